"""Long prompts are counted by content-defined chunks; results are cached per prompt; swaps."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from llmcost_lsp.core.pricing.db import load_price_db
from llmcost_lsp.core.prompt_tokens import CHUNKED_MIN_CHARS, TokenCounter, content_chunks
from llmcost_lsp.core.suggest import swap_suggestions
from llmcost_lsp.core.tokens.chunks import MAX_CHARS
from llmcost_lsp.core.tokens.registry import counter_for
from llmcost_lsp.core.workspace import Workspace

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _long_text(seed: int, size: int = 60_000) -> str:
    rng = random.Random(seed)
    words = ["cost", "token", "日本語", "  x", "/path", "'s", "\t", "a.b", "12345", "émoji 🙂"]
    lines = []
    while sum(len(line) + 1 for line in lines) < size:
        lines.append(" ".join(rng.choice(words) for _ in range(rng.randint(0, 14))))
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(4))
def test_chunked_count_equals_whole_count_and_edits_recount_little(seed: int) -> None:
    db = load_price_db()
    counter = counter_for(db.tokenizer_for(db.resolve("gpt-4o")))
    text = _long_text(seed)
    assert "".join(content_chunks(text)) == text
    tokens = TokenCounter()
    assert tokens._count_text(counter, text) == counter.count_raw(text)
    middle = len(text) // 2
    edited = text[:middle] + "Z" + text[middle:]
    before = tokens.tokenized_chars
    assert tokens._count_text(counter, edited) == counter.count_raw(edited)
    assert tokens.tokenized_chars - before < len(text) // 5  # only the chunks near the edit


def test_an_edited_long_prompt_is_recounted_around_the_edit_only(tmp_path: Path) -> None:
    """The editor's loop: each new version of a long prompt costs a few chunks, and its count
    is still exactly what a fresh workspace finds (two prompts edited in turn stay apart)."""
    root = tmp_path / "ws"
    (root / "prompts").mkdir(parents=True)
    (root / "llm-cost.toml").write_text('[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1\n')
    texts = {"a": _long_text(1, 200_000), "b": _long_text(2, 200_000)}
    for name, text in texts.items():
        (root / "prompts" / f"{name}.txt").write_text(text)
    workspace = Workspace(root, use_persistent_cache=False)
    workspace.load()
    rng = random.Random(5)
    for step in range(8):
        name = "ab"[step % 2]
        text = texts[name]
        at = rng.randrange(len(text))
        texts[name] = text[:at] + rng.choice(["x", " ", "\n", ""]) + text[at + 1 :]
        before = workspace.counter.tokenized_chars
        workspace.apply_change(root / "prompts" / f"{name}.txt", texts[name])
        found = workspace.result(name).estimate
        recounted = workspace.counter.tokenized_chars - before
        fresh_root = tmp_path / f"fresh{step}"
        shutil.copytree(root, fresh_root)
        (fresh_root / "prompts" / f"{name}.txt").write_text(texts[name])
        fresh = Workspace(fresh_root, use_persistent_cache=False)
        fresh.load()
        expected = fresh.result(name).estimate
        assert found and expected
        assert found.input_tokens.tokens == expected.input_tokens.tokens
        if step >= 2:  # each prompt's first edit keeps it chunked; later ones are incremental
            assert recounted < 4 * MAX_CHARS < len(text) // 10


def test_short_texts_are_counted_whole() -> None:
    assert CHUNKED_MIN_CHARS > 1000
    assert content_chunks("short\ntext") == ["short\ntext"]


@pytest.fixture
def examples(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLES, root)
    workspace = Workspace(root, use_persistent_cache=False)
    workspace.load()
    return workspace


def test_results_are_cached_until_their_prompt_changes(examples: Workspace) -> None:
    first = examples.result("classify")
    assert examples.result("classify") is first
    other = examples.result("summarize")
    path = examples.root / "prompts/classify.prompt"
    examples.apply_change(path, path.read_text() + "\nOne more instruction.\n")
    changed = examples.result("classify")
    assert changed is not first
    assert changed.estimate and first.estimate
    assert changed.estimate.input_tokens.tokens > first.estimate.input_tokens.tokens
    assert examples.result("summarize") is other


def test_swap_suggestions_bring_the_prompt_under_budget(examples: Workspace) -> None:
    terms = examples.scenario("launch")
    swaps = swap_suggestions(examples, "search/answer", terms)
    assert swaps, "the example goes over budget under launch; the rules offer cheaper models"
    assert swaps[0].source.startswith("rule")
    assert all(s.fits_budget for s in swaps)
    monthly = [s.estimate.monthly_usd for s in swaps]
    assert monthly == sorted(monthly)  # type: ignore[type-var]
    assert all((s.saving_monthly_usd or 0) > 0 for s in swaps)


def test_swaps_fall_back_to_the_same_provider_and_skip_forbidden(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLES, root)
    manifest = root / "llm-cost.toml"
    text = manifest.read_text()
    text = text[: text.index("[[rules]]")] + text[text.index("# --- contracted prices") :]
    text = text.replace('forbidden_models = ["gpt-4-32k"]', 'forbidden_models = ["gpt-4o-mini"]')
    manifest.write_text(text)
    workspace = Workspace(root, use_persistent_cache=False)
    workspace.load()
    swaps = swap_suggestions(workspace, "search/answer", workspace.scenario("launch"))
    assert swaps, "a cheaper OpenAI model fits the budget"
    assert all(s.source == "same provider" for s in swaps)
    assert all(s.estimate.model_entry.provider == "openai" for s in swaps)
    assert "gpt-4o-mini" not in {s.model_id for s in swaps}
    # the same job on the same endpoint: no embedding model, no Azure copy of an OpenAI model
    assert all(s.estimate.model_entry.kind == "chat" for s in swaps)
    assert all(s.estimate.model_entry.hosted_by is None for s in swaps)


def test_swaps_are_always_cheaper_per_month(examples: Workspace) -> None:
    # baseline: search/answer fits its budget, yet swaps are still only cheaper models
    swaps = swap_suggestions(examples, "search/answer")
    base = examples.result("search/answer").estimate
    assert base is not None and base.monthly_usd is not None
    assert all((s.estimate.monthly_usd or 0) < base.monthly_usd for s in swaps)
