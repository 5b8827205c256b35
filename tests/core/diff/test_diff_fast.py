"""The warm diff's fast path: with the base tree's summary stored by an earlier diff, a head that
differs only in prompt texts is diffed from those files alone (no discovery walk, no other blob
read); anything else that differs takes the full path. Either way the answer is the one a diff
without any cache gives."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from diff_gitrepo import GitRepoBuilder

import llmcost_lsp.core.workspace as workspace_module
from llmcost_lsp.core.diff.caches import SideSummaryStore
from llmcost_lsp.core.diff.git import diff_git
from llmcost_lsp.core.diff.gitobjects import GitRepo
from llmcost_lsp.core.diff.model import CostDiff
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.settings import Settings

DAY = date(2026, 11, 23)
MANIFEST = (
    '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1_000\noutput_tokens = 50\n'
    '\n[prompts.p1]\npath = "prompts/p1.txt"\ntags = { team = "search" }\n'
    '\n[budgets]\nmonthly_usd = "20"\n\n[budgets.tags.team]\nsearch = "0.60"\n'
)
PROMPTS = {f"prompts/p{i}.txt": f"Prompt {i}: answer the customer about {i}.\n" for i in range(20)}
SAMPLED = MANIFEST + (
    '\n[prompts.ask]\npath = "prompts/ask.txt"\n'
    'variables = { doc = { sample = "samples/doc.txt" } }\n'
)
SAMPLED_FILES = {
    "llm-cost.toml": SAMPLED,
    "prompts/ask.txt": "Read {{doc}}\n",
    "samples/doc.txt": "x\n",
}
LONGER = "Prompt 1, now much longer: answer in detail. " * 30 + "\n"


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """One entry per discovery walk (of a tree or the disk)."""
    seen: list[object] = []
    real = workspace_module.discover

    def counting(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("tree"))
        return real(*args, **kwargs)

    monkeypatch.setattr(workspace_module, "discover", counting)
    return seen


@pytest.fixture
def blobs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many blobs each diff read from git objects, one entry per repository closed."""
    counts: list[int] = []
    real = GitRepo.close

    def closing(self: GitRepo) -> None:
        if self._batch is not None:
            counts.append(self.blobs_read)
        real(self)

    monkeypatch.setattr(GitRepo, "close", closing)
    return counts


def repo(tmp_path: Path, files: dict[str, str | bytes | None] | None = None) -> GitRepoBuilder:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit({"llm-cost.toml": MANIFEST, **PROMPTS, **(files or {})})
    return builder


def diff(builder: GitRepoBuilder, db: PriceDB, head: str | None = None, **kw: Any) -> CostDiff:
    return diff_git(builder.root, "HEAD~1" if head else "main", head, db=db, pricing_date=DAY, **kw)


def outcome(result: CostDiff) -> tuple[object, ...]:
    """Everything a user sees of a diff."""
    return (
        result.base_label,
        result.head_label,
        [
            (d.prompt_id, d.path, d.changes, d.monthly_usd_delta, d.input_tokens_delta)
            for d in result.prompts
        ],
        result.unchanged,
        result.base_monthly_usd,
        result.head_monthly_usd,
        result.head_incomplete,
        result.new_issues,
        result.resolved_issues,
    )


def uncached(builder: GitRepoBuilder, db: PriceDB, head: str | None = None) -> CostDiff:
    return diff(builder, db, head, use_persistent_cache=False)


def test_a_working_tree_changed_in_prompt_texts_is_diffed_from_those_files_alone(
    tmp_path: Path, small_db: PriceDB, walks: list[object], blobs: list[int]
) -> None:
    builder = repo(tmp_path)
    builder.write({"prompts/p3.txt": "Prompt 3, edited.\n"})
    diff(builder, small_db)  # the first diff against main walks both trees and stores main's
    assert len(walks) == 2
    walks.clear()
    builder.write({"prompts/p1.txt": LONGER, "prompts/p7.txt": "Prompt 7 is shorter.\n"})
    warm = diff(builder, small_db)
    assert walks == [] and blobs[-1] == 4  # the manifest and p1, p3, p7 at main
    assert outcome(warm) == outcome(uncached(builder, small_db))
    assert {d.prompt_id for d in warm.prompts} == {"p1", "p3", "p7"}
    assert (warm.estimated_prompts, warm.cached_prompts, warm.unchanged) == (6, 17, 17)
    # p1 crossed its tag's budget; the other budget, over every prompt, was not crossed
    assert [i.code for i in warm.budget_issues] == ["tag-budget-exceeded"]


def test_a_head_commit_is_diffed_fast_and_becomes_a_known_base(
    tmp_path: Path, small_db: PriceDB, walks: list[object]
) -> None:
    builder = repo(tmp_path)
    builder.commit({"prompts/p2.txt": "Prompt 2, edited.\n"})
    diff(builder, small_db, "HEAD")
    builder.commit({"prompts/p1.txt": LONGER})
    walks.clear()
    # HEAD~1 was the head of the first diff: its summary is known
    warm = diff(builder, small_db, "HEAD")
    assert walks == []
    assert outcome(warm) == outcome(uncached(builder, small_db, "HEAD"))
    builder.commit({"prompts/p4.txt": "Prompt 4, edited.\n"})
    walks.clear()
    again = diff(builder, small_db, "HEAD")  # its base is the head the fast path diffed
    assert walks == [] and outcome(again) == outcome(uncached(builder, small_db, "HEAD"))


def write_link(builder: GitRepoBuilder) -> None:
    os.symlink("p0.txt", builder.root / "prompts" / "link.txt")


# Changes after which the fast path must not answer: each can change which prompts there are,
# their ids or their results in ways the stored summary does not know.
FALLBACKS: dict[str, Callable[[GitRepoBuilder], object]] = {
    "prompt added": lambda b: b.write({"prompts/new.txt": "A new prompt.\n"}),
    "prompt deleted": lambda b: b.write({"prompts/p5.txt": None}),
    "prompt renamed": lambda b: b.git("mv", "prompts/p5.txt", "prompts/q5.txt"),
    "manifest edited": lambda b: b.write({"llm-cost.toml": MANIFEST.replace("1_000", "2_000")}),
    "gitignore hides a prompt": lambda b: b.write({".gitignore": "prompts/p5.txt\n"}),
    "changed prompt is now binary": lambda b: b.write({"prompts/p5.txt": b"\x00\x01\x02" * 9}),
    "skipped file now text": lambda b: b.write({"prompts/blob.txt": "Now a prompt.\n"}),
    "symlink followed on disk": write_link,
    "sample changed": lambda b: b.write({"samples/doc.txt": "a longer sample " * 20}),
}


@pytest.mark.parametrize("change", list(FALLBACKS), ids=list(FALLBACKS))
def test_other_changes_take_the_full_path_with_the_same_answer(
    tmp_path: Path, small_db: PriceDB, walks: list[object], change: str
) -> None:
    builder = repo(tmp_path, {**SAMPLED_FILES, "prompts/blob.txt": b"\x00binary\x00"})
    builder.write({"prompts/p3.txt": "Prompt 3, edited.\n"})
    diff(builder, small_db)
    walks.clear()
    FALLBACKS[change](builder)
    result = diff(builder, small_db)
    assert len(walks) == 2  # both trees walked
    assert outcome(result) == outcome(uncached(builder, small_db))


def test_a_prompt_reading_a_sample_is_estimated_on_both_sides_by_the_fast_path(
    tmp_path: Path, small_db: PriceDB, walks: list[object]
) -> None:
    builder = repo(tmp_path, SAMPLED_FILES)
    builder.write({"prompts/p3.txt": "Prompt 3, edited.\n"})
    diff(builder, small_db)
    walks.clear()
    builder.write({"prompts/ask.txt": "Read {{doc}} twice: {{doc}}\n"})
    warm = diff(builder, small_db)
    assert walks == [] and warm.estimated_prompts == 4  # ask and p3, each on both sides
    assert outcome(warm) == outcome(uncached(builder, small_db))


def test_an_edited_ignore_file_above_the_folder_takes_the_full_path(
    tmp_path: Path, small_db: PriceDB, walks: list[object]
) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    files = {f"app/{name}": text for name, text in {"llm-cost.toml": MANIFEST, **PROMPTS}.items()}
    builder.commit(files)
    folder = builder.root / "app"
    builder.write({"app/prompts/p3.txt": "Prompt 3, edited.\n"})
    diff_git(folder, "main", db=small_db, pricing_date=DAY)
    walks.clear()
    builder.write({"app/prompts/p4.txt": "Prompt 4, edited.\n"})
    warm = diff_git(folder, "main", db=small_db, pricing_date=DAY)
    assert walks == []
    builder.write({".gitignore": "app/prompts/p5.txt\n"})  # not even committed
    walks.clear()
    result = diff_git(folder, "main", db=small_db, pricing_date=DAY)
    fresh = diff_git(folder, "main", db=small_db, pricing_date=DAY, use_persistent_cache=False)
    assert len(walks) == 4 and outcome(result) == outcome(fresh)
    assert [d.prompt_id for d in result.prompts if "removed" in d.changes] == ["p5"]
    assert {d.prompt_id for d in warm.prompts} == {"p3", "p4"}


def test_untracked_files_in_skipped_folders_do_not_stop_the_fast_path(
    tmp_path: Path, small_db: PriceDB, walks: list[object]
) -> None:
    builder = repo(tmp_path)
    builder.write({"prompts/p3.txt": "Prompt 3, edited.\n"})
    diff(builder, small_db)
    builder.write({"node_modules/pkg/README.md": "not ours\n", "prompts/p1.txt": LONGER})
    walks.clear()
    warm = diff(builder, small_db)
    assert walks == [] and outcome(warm) == outcome(uncached(builder, small_db))


@pytest.mark.parametrize("damage", [b"this is not a database" * 100, b""], ids=["garbage", "empty"])
def test_a_damaged_summary_store_is_a_miss_and_is_rebuilt(
    tmp_path: Path, small_db: PriceDB, walks: list[object], damage: bytes
) -> None:
    builder = repo(tmp_path)
    builder.write({"prompts/p3.txt": "Prompt 3, edited.\n"})
    first = diff(builder, small_db)
    SideSummaryStore.path_for(Settings.from_env()).write_bytes(damage)
    walks.clear()
    assert outcome(diff(builder, small_db)) == outcome(first) and len(walks) == 2
    walks.clear()
    assert outcome(diff(builder, small_db)) == outcome(first) and walks == []


@pytest.mark.parametrize("dirty", [False, True], ids=["clean checkout", "dirty checkout"])
def test_a_diff_of_a_clean_checkout_makes_its_commit_a_known_base(
    tmp_path: Path, small_db: PriceDB, walks: list[object], dirty: bool
) -> None:
    builder = repo(tmp_path)
    builder.commit({"prompts/p3.txt": "Prompt 3, edited.\n"})  # main's CI checks this out
    if dirty:
        builder.write({"prompts/p9.txt": "Prompt 9, not committed.\n"})
    diff_git(builder.root, "HEAD~1", db=small_db, pricing_date=DAY)  # main's CI run
    builder.write({"prompts/p9.txt": PROMPTS["prompts/p9.txt"]})
    builder.git("checkout", "-q", "-b", "feature")
    builder.write({"prompts/p1.txt": LONGER})
    walks.clear()
    # the pull request's first diff: its base is the commit main's diff had checked out
    result = diff_git(builder.root, "main", db=small_db, pricing_date=DAY)
    assert len(walks) == (2 if dirty else 0)
    fresh = diff_git(builder.root, "main", db=small_db, pricing_date=DAY,
                     use_persistent_cache=False)  # fmt: skip
    assert outcome(result) == outcome(fresh)
    assert [d.prompt_id for d in result.prompts] == ["p1"]


def test_odd_file_names_are_read_right_by_the_fast_path(
    tmp_path: Path, small_db: PriceDB, walks: list[object]
) -> None:
    odd = ["prompts/a *b?.txt", "prompts/[x] é.md", "prompts/-dash.txt", "prompts/new\tline.txt"]
    builder = repo(tmp_path, {name: f"Prompt {name}.\n" for name in odd})
    builder.write({"prompts/p3.txt": "Prompt 3, edited.\n"})
    diff(builder, small_db)
    walks.clear()
    builder.write({name: f"Prompt {name}, edited to say more.\n" for name in odd})
    warm = diff(builder, small_db)
    assert walks == [] and len(warm.prompts) == 5
    assert outcome(warm) == outcome(uncached(builder, small_db))


APP = (
    "from pathlib import Path\nfrom openai import OpenAI\n\nclient = OpenAI()\n\n"
    "def answer(question):\n"
    "    return client.chat.completions.create(model='gpt-4o-mini', messages=[\n"
    "        {'role': 'system', 'content': 'Answer about returns in two sentences.'},\n"
    "        {'role': 'user', 'content': question}])\n\n"
    "def triage():\n"
    "    system = Path('prompts/sent.txt').read_text()\n"
    "    return client.chat.completions.create(model='gpt-4o', messages=[\n"
    "        {'role': 'system', 'content': system}])\n"
)
CODE_FILES = {"app.py": APP, "prompts/sent.txt": "Sort the ticket.\n", "helpers.py": "X = 1\n"}


def test_calls_in_code_leave_the_fast_path_to_changes_of_other_prompt_files(
    tmp_path: Path, small_db: PriceDB, walks: list[object]
) -> None:
    """A repository with calls in source code diffed every change on the full path; now a
    change to prompt files no call sends is diffed from those files, and the calls' results
    come from the summary."""
    builder = repo(tmp_path, CODE_FILES)
    builder.write({"prompts/p3.txt": "Prompt 3, edited.\n"})
    diff(builder, small_db)
    walks.clear()
    builder.write({"prompts/p1.txt": LONGER})
    warm = diff(builder, small_db)
    assert walks == []
    assert outcome(warm) == outcome(uncached(builder, small_db))
    assert {d.prompt_id for d in warm.prompts} == {"p1", "p3"}
    assert warm.estimated_prompts == 4  # p1 and p3 on both sides; the calls from the summary


CODE_FALLBACKS: dict[str, dict[str, str | bytes | None]] = {
    "call edited": {"app.py": APP.replace("two sentences", "three sentences")},
    "sent prompt file edited": {"prompts/sent.txt": "Sort the ticket, then route it.\n"},
    "other module edited": {"helpers.py": "X = 2\n"},
}


@pytest.mark.parametrize("change", list(CODE_FALLBACKS), ids=list(CODE_FALLBACKS))
def test_changes_that_reach_calls_in_code_take_the_full_path(
    tmp_path: Path, small_db: PriceDB, walks: list[object], change: str
) -> None:
    builder = repo(tmp_path, CODE_FILES)
    builder.write({"prompts/p3.txt": "Prompt 3, edited.\n"})
    diff(builder, small_db)
    walks.clear()
    builder.write(CODE_FALLBACKS[change])
    result = diff(builder, small_db)
    assert len(walks) == 2
    assert outcome(result) == outcome(uncached(builder, small_db))
