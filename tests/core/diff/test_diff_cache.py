"""Diff work: only prompts that differ between the sides are parsed and estimated; unchanged ones
are estimated once or answered by the result cache, which is never used when anything that
decides a result differs (manifest entry, price DB, scenario, pricing date) or is damaged."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from diff_gitrepo import GitRepoBuilder, base_and_head_repo

import llmcost_lsp.core.diff.keys as keys_module
import llmcost_lsp.core.workspace as workspace_module
from llmcost_lsp.core.check import check_report
from llmcost_lsp.core.diff.caches import ResultCache, SideSummary, SideSummaryStore
from llmcost_lsp.core.diff.compare import _new_issues, _resolved_issues
from llmcost_lsp.core.diff.git import diff_git, load_commit_workspace
from llmcost_lsp.core.diff.gitobjects import GitRepo
from llmcost_lsp.core.diff.model import CostDiff
from llmcost_lsp.core.pricing.db import PriceDB, parse_price_db
from llmcost_lsp.core.prompt_tokens import TokenCounter
from llmcost_lsp.core.settings import Settings

SMALL_DB = Path(__file__).resolve().parents[1] / "pricing" / "small_prices.json"

DAY = date(2026, 11, 23)
MANIFEST = '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1_000\noutput_tokens = 50\n'


def many_prompts(tmp_path: Path, count: int = 30, manifest: str = MANIFEST) -> GitRepoBuilder:
    """`count` prompts at the base; the head changes p0 only."""
    builder = GitRepoBuilder(tmp_path / "repo")
    prompts = {f"prompts/p{i}.txt": f"Prompt {i}: answer the customer.\n" for i in range(count)}
    builder.commit({"llm-cost.toml": manifest, **prompts})
    builder.commit({"prompts/p0.txt": "Prompt 0, now much longer. " * 20 + "\n"})
    return builder


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths of the prompt files parsed, in order."""
    seen: list[str] = []
    real = workspace_module.parse_prompt

    def counting(path: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(workspace_module, "parse_prompt", counting)
    return seen


def run(builder: GitRepoBuilder, db: PriceDB, **kwargs: Any) -> CostDiff:
    options: dict[str, Any] = {"pricing_date": DAY} | kwargs
    return diff_git(builder.root, "HEAD~1", "HEAD", db=db, **options)


def outcome(diff: CostDiff) -> tuple[object, ...]:
    """Everything a user sees of a diff."""
    return (
        [(d.prompt_id, d.changes, d.monthly_usd_delta, d.input_tokens_delta) for d in diff.prompts],
        diff.unchanged,
        diff.base_monthly_usd,
        diff.head_monthly_usd,
        diff.head_incomplete,
        diff.new_issues,
        diff.resolved_issues,
    )


def reference(
    builder: GitRepoBuilder, db: PriceDB, scenario: str | None = None
) -> tuple[object, ...]:
    """Totals and findings over the full reports of both commits: what `outcome` must match."""
    with GitRepo.containing(builder.root) as git:
        sides = [
            load_commit_workspace(git, git.resolve(ref), builder.root, db=db,
                                  counter=TokenCounter(), pricing_date=DAY)
            for ref in ("HEAD~1", "HEAD")
        ]  # fmt: skip
        reports = [side.report(scenario) for side in sides]
        base, head = (
            check_report(r, w.manifest, w.settings.today()).issues
            for r, w in zip(reports, sides, strict=True)
        )
    return (
        reports[0].monthly_usd,
        reports[1].monthly_usd,
        len(reports[1].incomplete),
        _new_issues(base, head),
        _resolved_issues(base, head),
    )


def totals_and_findings(diff: CostDiff) -> tuple[object, ...]:
    return (
        diff.base_monthly_usd,
        diff.head_monthly_usd,
        diff.head_incomplete,
        diff.new_issues,
        diff.resolved_issues,
    )


def test_one_changed_prompt_of_many_is_all_that_is_parsed_and_estimated(
    tmp_path: Path, small_db: PriceDB, parses: list[str]
) -> None:
    builder = many_prompts(tmp_path, count=30)
    cold = run(builder, small_db)
    # cold: the 29 unchanged prompts once (on the head side), the changed one on both sides
    assert sorted(parses) == sorted([f"prompts/p{i}.txt" for i in range(30)] + ["prompts/p0.txt"])
    assert (cold.estimated_prompts, cold.cached_prompts) == (31, 0)
    parses.clear()
    warm = run(builder, small_db)
    # warm: the result cache answers for the 29; only the changed prompt is parsed, per side
    assert parses == ["prompts/p0.txt", "prompts/p0.txt"]
    assert (warm.estimated_prompts, warm.cached_prompts) == (2, 29)
    assert outcome(warm) == outcome(cold)
    assert [d.prompt_id for d in warm.prompts] == ["p0"]


def test_without_the_persistent_cache_nothing_is_written_or_read(
    tmp_path: Path, small_db: PriceDB
) -> None:
    builder = many_prompts(tmp_path, count=5)
    first = run(builder, small_db, use_persistent_cache=False)
    again = run(builder, small_db, use_persistent_cache=False)
    assert again.cached_prompts == 0 and outcome(again) == outcome(first)
    assert not ResultCache.path_for(Settings.from_env()).exists()


def test_a_changed_manifest_entry_is_never_answered_from_the_cache(
    tmp_path: Path, small_db: PriceDB
) -> None:
    builder = many_prompts(tmp_path, count=5)
    run(builder, small_db)
    # p3's volume changes in both commits: unchanged between them, but not what the cache holds
    entry = '[prompts.p3]\npath = "prompts/p3.txt"\ncalls_per_month = 50_000\n'
    builder.git("checkout", "-q", "-b", "other", "HEAD~1")
    builder.commit({"llm-cost.toml": MANIFEST + entry})
    builder.commit({"prompts/p0.txt": "Prompt 0, now much longer. " * 20 + "\n"})
    warm = run(builder, small_db)
    fresh = run(builder, small_db, use_persistent_cache=False)
    assert outcome(warm) == outcome(fresh)
    assert warm.cached_prompts == 3  # p1, p2, p4; p3 was estimated again
    assert warm.base_monthly_usd == totals_and_findings(warm)[0] == reference(builder, small_db)[0]


def test_another_price_db_is_never_answered_from_the_cache(
    tmp_path: Path, small_db: PriceDB
) -> None:
    builder = many_prompts(tmp_path, count=5)
    first = run(builder, small_db)
    document = json.loads(SMALL_DB.read_text())
    document["models"][0]["prices"][0]["output"] = "20.00"  # gpt-4o output price doubled
    dearer = parse_price_db(json.dumps(document).encode(), "dearer")
    second = run(builder, dearer)
    assert second.cached_prompts == 0
    assert outcome(second) == outcome(run(builder, dearer, use_persistent_cache=False))
    assert second.head_monthly_usd > first.head_monthly_usd


def test_another_scenario_is_never_answered_from_the_cache(
    tmp_path: Path, small_db: PriceDB
) -> None:
    scenarios = MANIFEST + "\n[scenarios.launch]\ncalls_multiplier = 3\n"
    builder = many_prompts(tmp_path, count=5, manifest=scenarios)
    baseline = run(builder, small_db)
    launch = run(builder, small_db, scenario="launch")
    assert launch.cached_prompts == 0
    assert launch.base_monthly_usd == baseline.base_monthly_usd * 3
    assert run(builder, small_db, scenario="launch").cached_prompts == 4


def test_a_pricing_date_past_a_price_change_is_never_answered_from_the_cache(
    tmp_path: Path, small_db: PriceDB
) -> None:
    claude = (
        '[defaults]\nmodel = "claude-sonnet-4-5"\ncalls_per_month = 1_000\noutput_tokens = 50\n'
    )
    builder = many_prompts(tmp_path, count=5, manifest=claude)
    december = run(builder, small_db, pricing_date=date(2026, 12, 15))
    # no price or deprecation date of the DB between the two days: the same results
    assert run(builder, small_db, pricing_date=date(2026, 12, 20)).cached_prompts == 4
    january = run(builder, small_db, pricing_date=date(2027, 1, 2))  # new claude prices
    assert january.cached_prompts == 0
    assert january.head_monthly_usd > december.head_monthly_usd


def test_results_cached_by_other_code_are_never_read(
    tmp_path: Path, small_db: PriceDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder = many_prompts(tmp_path, count=5)
    first = run(builder, small_db)
    # e.g. the action updated to a new commit that still says version 0.1.0
    monkeypatch.setattr(keys_module, "_code_fingerprint", lambda: "another build")
    second = run(builder, small_db)
    assert second.cached_prompts == 0 and outcome(second) == outcome(first)


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"this is not a database" * 100),
        lambda path: path.write_bytes(b""),
    ],
)
def test_a_damaged_result_cache_is_rebuilt(
    tmp_path: Path, small_db: PriceDB, damage: Callable[[Path], object]
) -> None:
    builder = many_prompts(tmp_path, count=5)
    first = run(builder, small_db)
    SideSummaryStore.path_for(Settings.from_env()).unlink()  # this is about the result cache alone
    path = ResultCache.path_for(Settings.from_env())
    damage(path)
    second = run(builder, small_db)
    assert outcome(second) == outcome(first) and second.cached_prompts == 0
    SideSummaryStore.path_for(Settings.from_env()).unlink()
    assert run(builder, small_db).cached_prompts == 4  # rebuilt by the second run


def test_a_locked_result_cache_is_skipped(tmp_path: Path, small_db: PriceDB) -> None:
    builder = many_prompts(tmp_path, count=5)
    first = run(builder, small_db)
    SideSummaryStore.path_for(Settings.from_env()).unlink()
    path = ResultCache.path_for(Settings.from_env())
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = run(builder, small_db)
    finally:
        holder.rollback()
        holder.close()
    assert outcome(locked) == outcome(first) and locked.cached_prompts == 0


def test_cached_and_fresh_diffs_agree_with_full_reports(tmp_path: Path, small_db: PriceDB) -> None:
    builder = base_and_head_repo(tmp_path / "repo")
    fresh = run(builder, small_db, use_persistent_cache=False)
    cold = run(builder, small_db)
    warm = run(builder, small_db)
    assert outcome(fresh) == outcome(cold) == outcome(warm)
    assert warm.cached_prompts == 8
    assert totals_and_findings(warm) == reference(builder, small_db)
    assert warm.base_monthly_usd == warm.base.monthly_usd
    assert warm.head_monthly_usd == warm.head.monthly_usd
    assert warm.head_incomplete == len(warm.head.incomplete)
    assert Decimal(0) < warm.base_monthly_usd < warm.head_monthly_usd


COLLIDING_BASE = {
    "llm-cost.toml": MANIFEST,
    "prompts/old.txt": "Hello {{name}}.\n",  # unsized variable: a warning without a subject
    "prompts/claude.prompty": "---\nmodel: claude-sonnet-4-5\n---\nDeprecated soon.\n",
    "prompts/other.txt": "Other.\n",
}
COLLIDING_HEAD = {
    "prompts/other.txt": "Other, for {{name}}.\n",  # the same warning text as old.txt's
    "prompts/claude2.prompty": "---\nmodel: claude-sonnet-4-5\n---\nAnother one.\n",
}


@pytest.mark.parametrize(
    "manifest",
    [
        MANIFEST,
        MANIFEST + '\n[budgets]\nmonthly_usd = "0.01"\n',  # a budget over every prompt
        MANIFEST + '\n[prompts.other]\npath = "prompts/other.txt"\ntags = { team = "a" }\n'
        '\n[budgets.tags.team]\na = "0.001"\n',
    ],
    ids=["per-prompt findings", "workspace budget", "tag budget"],
)
def test_findings_of_unchanged_prompts_are_not_new_the_same_on_another_prompt_is(
    tmp_path: Path, small_db: PriceDB, manifest: str
) -> None:
    """Findings are told apart by what they are about (Issue.key): an unsized {{name}} in
    other.txt is new though old.txt has one with the same words, and so is a new prompt on a
    deprecated model; old.txt's and claude.prompty's own findings are not."""
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit(COLLIDING_BASE | {"llm-cost.toml": manifest})
    builder.commit(COLLIDING_HEAD)
    expected = reference(builder, small_db)
    cold, warm = run(builder, small_db), run(builder, small_db)
    assert totals_and_findings(cold) == totals_and_findings(warm) == expected
    assert warm.cached_prompts == 2  # old.txt and claude.prompty
    new = {(i.code, i.key[:2]) for i in warm.new_issues if i.key[:1] == ("prompt",)}
    assert new == {
        ("unsized-variable", ("prompt", "other")),
        ("deprecated-model", ("prompt", "claude2")),
    }


def test_budgets_over_every_prompt_are_checked_without_estimating_every_prompt(
    tmp_path: Path, small_db: PriceDB, parses: list[str]
) -> None:
    budgets = (
        '\n[prompts.p0]\npath = "prompts/p0.txt"\ntags = { team = "search" }\n'
        '\n[budgets]\nmonthly_usd = "16.40"\n\n[budgets.tags.team]\nsearch = "0.90"\n'
    )
    builder = many_prompts(tmp_path, count=30, manifest=MANIFEST + budgets)
    run(builder, small_db)  # fills the result cache
    parses.clear()
    warm = run(builder, small_db)
    assert parses == ["prompts/p0.txt", "prompts/p0.txt"] and warm.cached_prompts == 29
    # p0 grew from $0.54 to $0.92/month: past its tag's budget, and the total from $16.13 to
    # $16.51 past the workspace's
    crossed = {(i.code, i.key) for i in warm.budget_issues}
    assert crossed == {("tag-budget-exceeded", ("tag", "team", "search")),
                       ("workspace-budget-exceeded", ("workspace",))}  # fmt: skip
    assert totals_and_findings(warm) == reference(builder, small_db)


def test_a_new_default_model_reestimates_every_prompt_on_both_sides(
    tmp_path: Path, small_db: PriceDB
) -> None:
    builder = many_prompts(tmp_path, count=6)
    run(builder, small_db)  # the cache knows every prompt under gpt-4o
    builder.commit({"llm-cost.toml": MANIFEST.replace("gpt-4o", "claude-sonnet-4-5")})
    diff = run(builder, small_db)
    assert {d.changes for d in diff.prompts} == {("model-changed",)} and len(diff.prompts) == 6
    assert (diff.cached_prompts, diff.estimated_prompts) == (0, 12)
    assert outcome(diff) == outcome(run(builder, small_db, use_persistent_cache=False))


def test_prompts_reading_samples_are_estimated_on_both_sides_every_time(
    tmp_path: Path, small_db: PriceDB
) -> None:
    sampled = MANIFEST + (
        '[prompts.ask]\npath = "prompts/ask.txt"\n'
        'variables = { doc = { sample = "samples/doc.txt" } }\n'
    )
    builder = many_prompts(tmp_path, count=3, manifest=sampled)
    builder.write({"prompts/ask.txt": "Read {{doc}}\n", "samples/doc.txt": "short\n"})
    builder.commit({})
    builder.commit({"samples/doc.txt": "a much longer sample document " * 40})
    # cold, then warm: the sample's content is in no cache key, so `ask` is estimated per side
    for estimated, cached in ((3 + 2, 0), (2, 3)):
        diff = run(builder, small_db)
        assert [(d.prompt_id, d.changes) for d in diff.prompts] == [("ask", ("tokens-changed",))]
        assert (diff.estimated_prompts, diff.cached_prompts) == (estimated, cached)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not zlib",
        zlib.compress(b"not json"),
        zlib.compress(b'{"links": false}'),
        zlib.compress(b"[false, [[1, 2, 3]]]"),
        zlib.compress(b'[false, [["id", "p.txt", "text", false, null, "NaN-ish", []]]]'),
        zlib.compress(b'[false, [["id", "p.txt", "text", false, null, null, [["only-code"]]]]]'),
    ],
)
def test_a_side_summary_this_version_did_not_write_is_a_miss(payload: bytes) -> None:
    assert SideSummary.from_bytes(payload) is None
