"""The workspace: resolution of each input with its source, variables, scenarios and changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.tokens.registry import count_text
from llmcost_lsp.core.workspace import Workspace

MANIFEST = """\
# team manifest
[defaults]
model = "gpt-4o"
calls_per_month = 1_000
output_tokens = 100

[prompts.search]
path = "prompts/search.txt"
calls_per_month = 5_000
variables = { query = 40, context = { sample = "fixtures/context.txt" } }
tags = { team = "search" }

[scenarios.launch]
calls_multiplier = "3"
"""


def make(tmp: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp


def search_workspace(tmp: Path) -> Path:
    """MANIFEST's `search` prompt, with its sized variable and its sample file."""
    return make(
        tmp,
        {
            "llm-cost.toml": MANIFEST,
            "prompts/search.txt": "Find {{query}} in:\n{{context}}\n",
            "fixtures/context.txt": "The quick brown fox.\n",
        },
    )


def open_ws(root: Path, db: PriceDB) -> Workspace:
    ws = Workspace(root, db=db, use_persistent_cache=False, pricing_date=date(2026, 11, 23))
    ws.load()
    return ws


def test_zero_config_finds_prompts_and_asks_for_a_model(tmp_path: Path, small_db: PriceDB) -> None:
    make(tmp_path, {"prompts/a.txt": "Say hi.\n"})
    ws = open_ws(tmp_path, small_db)
    result = ws.result("a")
    assert result.estimate is None
    assert [i.code for i in result.issues] == ["no-model"]


def test_model_and_max_tokens_from_the_prompt_file(tmp_path: Path, small_db: PriceDB) -> None:
    make(
        tmp_path,
        {
            "ask.prompt.yml": "model: openai/gpt-4o\nmodelParameters:\n  max_tokens: 50\n"
            "messages:\n  - role: user\n    content: Hello there\n"
        },
    )
    result = open_ws(tmp_path, small_db).result("ask")
    assert result.estimate is not None
    assert result.estimate.model.source.startswith("prompt file")
    assert result.estimate.output_tokens is not None
    assert result.estimate.output_tokens.value == 50
    assert "upper bound" in result.estimate.output_tokens.source
    assert result.estimate.calls_per_month is None
    assert result.estimate.monthly_usd is None


def test_manifest_inputs_carry_their_source(tmp_path: Path, small_db: PriceDB) -> None:
    e = open_ws(search_workspace(tmp_path), small_db).result("search").estimate
    assert e is not None
    assert e.model.source == "manifest: defaults.model"
    assert e.calls_per_month is not None
    assert e.calls_per_month.source == "manifest: prompts.search.calls_per_month"
    assert e.output_tokens is not None
    assert e.output_tokens.source == "manifest: defaults.output_tokens"


def test_variables_sample_is_substituted_and_sizes_added(tmp_path: Path, small_db: PriceDB) -> None:
    e = open_ws(search_workspace(tmp_path), small_db).result("search").estimate
    assert e is not None
    spec = small_db.tokenizer_for(small_db.resolve("gpt-4o"))
    sent = "Find  in:\nThe quick brown fox.\n\n"  # sample in, sized placeholder out
    expected = count_text("user", spec).tokens + count_text(sent, spec).tokens + 3 + 3 + 40
    assert e.input_tokens.tokens == expected


def test_the_input_tokens_carry_their_parts(tmp_path: Path, small_db: PriceDB) -> None:
    """Text, chat overhead, token-sized variables and extra tokens add up to the count: what
    calibrate takes as the part a tokenizer ratio does not scale."""
    root = search_workspace(tmp_path)
    manifest = (root / "llm-cost.toml").read_text()
    (root / "llm-cost.toml").write_text(
        manifest.replace(
            'tags = { team = "search" }', 'tags = { team = "search" }\nextra_input_tokens = 7'
        )
    )
    e = open_ws(root, small_db).result("search").estimate
    assert e is not None and e.input_tokens.parts is not None
    parts = e.input_tokens.parts
    spec = small_db.tokenizer_for(small_db.resolve("gpt-4o"))
    sent = "Find  in:\nThe quick brown fox.\n\n"
    assert parts.text == count_text("user", spec).tokens + count_text(sent, spec).tokens
    assert (parts.overhead, parts.variables, parts.extra) == (3 + 3, 40, 7)
    assert parts.text + parts.unscaled == e.input_tokens.tokens


def test_unsized_variable_is_reported_at_its_position(tmp_path: Path, small_db: PriceDB) -> None:
    make(tmp_path, {"llm-cost.toml": MANIFEST, "prompts/other.txt": "Hi\nDo {{task}} now\n"})
    result = open_ws(tmp_path, small_db).result("other")
    issue = next(i for i in result.issues if i.code == "unsized-variable")
    assert (issue.location.path, issue.location.line, issue.location.column) == (
        "prompts/other.txt",
        2,
        4,
    )
    assert result.estimate is not None  # still estimated, placeholder counted as text


def test_scenario_multiplies_and_unknown_scenario_suggests(
    tmp_path: Path, small_db: PriceDB
) -> None:
    make(
        tmp_path,
        {
            "llm-cost.toml": MANIFEST,
            "prompts/search.txt": "Find {{query}}\n",
            "fixtures/context.txt": "x",
        },
    )
    ws = open_ws(tmp_path, small_db)
    base = ws.report().monthly_usd
    assert ws.report("launch").monthly_usd == base * 3
    with pytest.raises(InputError) as error:
        ws.report("lanch")
    assert error.value.hint == "did you mean 'launch'?"


def test_apply_change_recounts_only_the_changed_prompt(tmp_path: Path, small_db: PriceDB) -> None:
    files = {f"prompts/p{i}.txt": f"Prompt number {i}.\n" for i in range(20)}
    make(tmp_path, {"llm-cost.toml": '[defaults]\nmodel = "gpt-4o"\n', **files})
    ws = open_ws(tmp_path, small_db)
    ws.report()
    before = ws.counter.tokenized_texts
    changed = ws.apply_change(tmp_path / "prompts/p3.txt", "Prompt number three, longer now.\n")
    assert changed == {"p3"}
    report = ws.report()
    assert ws.counter.tokenized_texts == before + 1
    estimate = next(r.estimate for r in report.results if r.prompt_id == "p3")
    assert estimate is not None and estimate.input_tokens.tokens > 10


def test_apply_change_to_the_manifest_reprices_everything(
    tmp_path: Path, small_db: PriceDB
) -> None:
    make(tmp_path, {"llm-cost.toml": '[defaults]\nmodel = "gpt-4o"\n', "prompts/a.txt": "Hi\n"})
    ws = open_ws(tmp_path, small_db)
    text = '[defaults]\nmodel = "claude-sonnet-4-5"\ncalls_per_month = 10\noutput_tokens = 1\n'
    assert ws.apply_change(tmp_path / "llm-cost.toml", text) == {"a"}
    e = ws.result("a").estimate
    assert e is not None and e.model_entry.id == "claude-sonnet-4-5"
    assert not e.input_tokens.is_exact


def test_deleted_and_new_prompts_are_picked_up(tmp_path: Path, small_db: PriceDB) -> None:
    make(tmp_path, {"prompts/a.txt": "A\n", "prompts/b.txt": "B\n"})
    ws = open_ws(tmp_path, small_db)
    (tmp_path / "prompts/a.txt").unlink()
    assert ws.apply_change(tmp_path / "prompts/a.txt") == {"a"}
    (tmp_path / "prompts/c.txt").write_text("C\n")
    assert ws.apply_change(tmp_path / "prompts/c.txt") == {"c"}
    assert [p.id for p in ws.prompts] == ["b", "c"]


def test_broken_manifest_keeps_prompts_and_locates_the_error(
    tmp_path: Path, small_db: PriceDB
) -> None:
    make(tmp_path, {"llm-cost.toml": "[defaults\nmodel = 1\n", "prompts/a.txt": "A\n"})
    ws = open_ws(tmp_path, small_db)
    assert ws.manifest is None
    issue = ws.manifest_issues[0]
    assert issue.severity == "error"
    assert issue.location.path == "llm-cost.toml" and issue.location.line == 1
    assert [p.id for p in ws.prompts] == ["a"]


def test_unknown_model_points_at_the_manifest_line(tmp_path: Path, small_db: PriceDB) -> None:
    manifest = (
        '[defaults]\ncalls_per_month = 1\n\n[prompts.a]\npath = "prompts/a.txt"\n'
        'model = "gpt-4oo"\n'
    )
    make(tmp_path, {"llm-cost.toml": manifest, "prompts/a.txt": "A\n"})
    issue = open_ws(tmp_path, small_db).result("a").issues[0]
    assert issue.code == "unknown-model"
    assert (issue.location.path, issue.location.line) == ("llm-cost.toml", 6)
    assert issue.hint is not None and "gpt-4o" in issue.hint


def test_override_applies_by_alias(tmp_path: Path, small_db: PriceDB) -> None:
    manifest = (
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1000\noutput_tokens = 0\n\n'
        '[pricing.overrides."gpt-4o-2024-08-06"]\ninput = "1.00"\n'
    )
    make(tmp_path, {"llm-cost.toml": manifest, "prompts/a.txt": "A\n"})
    e = open_ws(tmp_path, small_db).result("a").estimate
    assert e is not None and e.contracted and e.rates.input == Decimal("1.00")


def test_sized_variable_without_placeholder_is_reported(tmp_path: Path, small_db: PriceDB) -> None:
    manifest = (
        '[defaults]\nmodel = "gpt-4o"\n\n[prompts.a]\npath = "prompts/a.txt"\n'
        "variables = { quer = 5 }\n"
    )
    make(tmp_path, {"llm-cost.toml": manifest, "prompts/a.txt": "Find {{query}}\n"})
    codes = {i.code: i for i in open_ws(tmp_path, small_db).result("a").issues}
    assert codes["unused-variable"].location.line == 6
    assert "unsized-variable" in codes
