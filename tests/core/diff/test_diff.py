"""Cost diff: every kind of change is named precisely, deltas add up to the totals, budgets newly
crossed are reported, and unchanged prompts are never tokenized twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from diff_gitrepo import HEAD_MANIFEST, GitRepoBuilder, base_and_head_repo

from llmcost_lsp.core.diff.git import diff_git, load_commit_workspace
from llmcost_lsp.core.diff.gitobjects import GitError, GitRepo
from llmcost_lsp.core.diff.model import CostDiff, Threshold, parse_threshold
from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.prompt_tokens import TokenCounter
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.workspace import Workspace

DAY = date(2026, 11, 23)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepoBuilder:
    return base_and_head_repo(tmp_path / "repo")


def run(builder: GitRepoBuilder, db: PriceDB, **kwargs: object) -> CostDiff:
    return diff_git(builder.root, "HEAD~1", "HEAD", db=db, pricing_date=DAY, **kwargs)  # type: ignore[arg-type]


def test_every_kind_of_change_is_named(repo: GitRepoBuilder, small_db: PriceDB) -> None:
    diff = run(repo, small_db, use_persistent_cache=False)
    kinds = {d.prompt_id: d.changes for d in diff.prompts}
    assert kinds == {
        "ident": ("renamed", "content-changed"),
        "vol": ("volume-changed",),
        "model": ("model-changed",),
        "claude": ("price-changed",),
        "search": ("content-changed",),
        "edit": ("content-changed",),
        "gone": ("removed",),
        "fresh": ("added",),
        "moved/elsewhere": ("renamed",),  # same content at a new path and id
    }
    moved = next(d for d in diff.prompts if d.prompt_id == "moved/elsewhere")
    assert (moved.base_id, moved.base_path) == ("move", "prompts/move.txt")
    assert moved.monthly_usd_delta == 0
    assert diff.unchanged == 8
    assert diff.head_label.startswith("HEAD (") and diff.base_label.startswith("HEAD~1 (")


def test_deltas_add_up_and_are_sorted_by_impact(repo: GitRepoBuilder, small_db: PriceDB) -> None:
    diff = run(repo, small_db, use_persistent_cache=False)
    deltas = [d.monthly_usd_delta for d in diff.prompts]
    assert all(d is not None for d in deltas)
    assert sum(d for d in deltas if d is not None) == diff.monthly_usd_delta
    assert diff.monthly_usd_delta == diff.head.monthly_usd - diff.base.monthly_usd
    impacts = [abs(d) for d in deltas if d is not None]
    assert impacts == sorted(impacts, reverse=True)
    assert diff.prompts[0].prompt_id == "search"
    gone = next(d for d in diff.prompts if d.prompt_id == "gone")
    assert gone.head_monthly_usd == 0 and gone.monthly_usd_delta == -gone.base_monthly_usd  # type: ignore[operator]
    pct = diff.monthly_pct_delta
    assert pct is not None and pct == diff.monthly_usd_delta / diff.base.monthly_usd * 100


def test_a_budget_newly_crossed_is_reported_once(repo: GitRepoBuilder, small_db: PriceDB) -> None:
    diff = run(repo, small_db, use_persistent_cache=False)
    codes = [(i.code, i.location.path) for i in diff.budget_issues]
    assert codes == [("budget-exceeded", "llm-cost.toml")]
    assert "prompt 'search'" in diff.budget_issues[0].message
    same = diff_git(repo.root, "HEAD", "HEAD", db=small_db, pricing_date=DAY)
    assert same.prompts == () and same.new_issues == () and same.monthly_usd_delta == 0


def test_scenario_applies_to_both_sides(repo: GitRepoBuilder, small_db: PriceDB) -> None:
    base = run(repo, small_db, use_persistent_cache=False)
    launch = run(repo, small_db, use_persistent_cache=False, scenario="launch")
    assert launch.scenario == "launch"
    assert launch.monthly_usd_delta == base.monthly_usd_delta * 3


def test_a_scenario_missing_at_the_base_is_explained(
    repo: GitRepoBuilder, small_db: PriceDB
) -> None:
    repo.commit({"llm-cost.toml": HEAD_MANIFEST + "\n[scenarios.peak]\ncalls_multiplier = 2\n"})
    with pytest.raises(InputError) as caught:
        run(repo, small_db, scenario="peak")
    assert "scenario 'peak' is not defined at HEAD~1" in caught.value.message


def test_working_tree_is_the_default_head(repo: GitRepoBuilder, small_db: PriceDB) -> None:
    repo.write({"prompts/fresh.txt": "A new prompt, edited but not committed.\n"})
    diff = diff_git(repo.root, "HEAD", db=small_db, pricing_date=DAY)
    assert diff.head_label == "working tree"
    assert [(d.prompt_id, d.changes) for d in diff.prompts] == [("fresh", ("content-changed",))]


def test_unchanged_prompts_are_never_tokenized_twice(tmp_path: Path, small_db: PriceDB) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    count, changed = 40, 4
    manifest = '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 10\noutput_tokens = 5\n'
    builder.commit(
        {"llm-cost.toml": manifest}
        | {f"prompts/p{i}.txt": f"Prompt {i}: summarise the ticket.\n" for i in range(count)}
    )
    builder.commit({f"prompts/p{i}.txt": f"Prompt {i}, now changed.\n" for i in range(changed)})
    # cold: one counter for both sides, so the unchanged texts are tokenized once, not twice
    cold = TokenCounter()
    diff_git(builder.root, "HEAD~1", "HEAD", db=small_db, counter=cold)
    assert cold.tokenized_texts == 1 + count + changed  # the role "user", then each text once
    # warm: an earlier estimate of the base filled the persistent cache, as after one CI run
    settings = Settings.from_env()
    builder.git("checkout", "-q", "HEAD~1")
    Workspace(builder.root, db=small_db, settings=settings).load()
    builder.git("checkout", "-q", "main")
    warm = TokenCounter(settings)
    diff = diff_git(builder.root, "HEAD~1", "HEAD", db=small_db, counter=warm)
    assert warm.tokenized_texts == changed
    assert len(diff.prompts) == changed and diff.unchanged == count - changed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10%", Threshold(Decimal(10), "pct")),
        ("2.5 %", Threshold(Decimal("2.5"), "pct")),
        ("50", Threshold(Decimal(50), "usd")),
        ("$1,200", Threshold(Decimal(1200), "usd")),
        ("50usd", Threshold(Decimal(50), "usd")),
    ],
)
def test_thresholds_parse(text: str, expected: Threshold) -> None:
    assert parse_threshold(text) == expected


@pytest.mark.parametrize("text", ["", "ten", "-5", "5%%", "nan", "inf%"])
def test_bad_thresholds_are_usage_errors(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_threshold(text)
    assert "--fail-on-increase" in caught.value.message


def test_thresholds_against_the_total(repo: GitRepoBuilder, small_db: PriceDB) -> None:
    diff = run(repo, small_db, use_persistent_cache=False)
    delta, pct = diff.monthly_usd_delta, diff.monthly_pct_delta
    assert delta > 0 and pct is not None
    assert Threshold(delta - 1, "usd").exceeded_by(diff)
    assert not Threshold(delta, "usd").exceeded_by(diff)
    assert Threshold(pct - 1, "pct").exceeded_by(diff)
    assert not Threshold(pct + 1, "pct").exceeded_by(diff)


def test_diff_outside_a_repository_is_an_input_error(tmp_path: Path, small_db: PriceDB) -> None:
    with pytest.raises(GitError) as caught:
        diff_git(tmp_path, "main", db=small_db)
    assert caught.value.exit_code == 2


def test_reused_base_results_equal_a_full_estimate_of_the_base(
    repo: GitRepoBuilder, small_db: PriceDB
) -> None:
    # an unchanged manifest lets the base take the head's results for identical prompts
    repo.commit({"prompts/same/s0.txt": "Now different.\n"})
    diff = run(repo, small_db, use_persistent_cache=False)
    with GitRepo.containing(repo.root) as git:
        full = load_commit_workspace(git, git.resolve("HEAD~1"), repo.root, db=small_db,
                                     counter=TokenCounter(), pricing_date=DAY)  # fmt: skip
        expected = {r.prompt_id: r.estimate for r in full.report().results}
    assert {r.prompt_id: r.estimate for r in diff.base.results} == expected
    assert [(d.prompt_id, d.changes) for d in diff.prompts] == [("same/s0", ("content-changed",))]


def test_a_changed_sample_is_seen_though_the_manifest_is_the_same(
    tmp_path: Path, small_db: PriceDB
) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    manifest = (
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 100\noutput_tokens = 10\n'
        '[prompts.ask]\npath = "prompts/ask.txt"\n'
        'variables = { doc = { sample = "samples/doc.txt" } }\n'
    )
    builder.commit({"llm-cost.toml": manifest, "prompts/ask.txt": "Read {{doc}}\n",
                    "samples/doc.txt": "short\n"})  # fmt: skip
    builder.commit({"samples/doc.txt": "a much longer sample document " * 40})
    diff = diff_git(builder.root, "HEAD~1", "HEAD", db=small_db, pricing_date=DAY)
    assert [(d.prompt_id, d.changes) for d in diff.prompts] == [("ask", ("tokens-changed",))]
    assert (diff.prompts[0].input_tokens_delta or 0) > 100


def test_a_workspace_folder_new_in_head_has_everything_added(
    tmp_path: Path, small_db: PriceDB
) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit({"README.md": "no prompts yet\n"})
    builder.commit({"svc/llm-cost.toml": '[defaults]\nmodel = "gpt-4o"\n',
                    "svc/prompts/a.txt": "Hello.\n"})  # fmt: skip
    diff = diff_git(builder.root / "svc", "HEAD~1", "HEAD", db=small_db, pricing_date=DAY)
    assert [(d.prompt_id, d.changes) for d in diff.prompts] == [("a", ("added",))]
    assert diff.base.results == () and diff.base.issues == ()


def _budget_repo(root: Path, budgets: tuple[str, str]) -> GitRepoBuilder:
    """One prompt of ≈$1.02/month (gpt-4o, 1,000 calls × 100 output tokens) whose budget is
    `budgets[0]` at the base and `budgets[1]` at the head."""
    builder = GitRepoBuilder(root)
    manifest = (
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1_000\noutput_tokens = 100\n\n'
        '[prompts.a]\npath = "prompts/a.txt"\nbudget_monthly_usd = "{}"\n'
    )
    builder.commit({"llm-cost.toml": manifest.format(budgets[0]), "prompts/a.txt": "Hi.\n"})
    builder.commit({"llm-cost.toml": manifest.format(budgets[1])})
    return builder


def test_a_budget_near_that_becomes_exceeded_is_new_not_resolved(
    tmp_path: Path, small_db: PriceDB
) -> None:
    diff = run(_budget_repo(tmp_path / "r", ("1.20", "1.00")), small_db)
    assert [i.code for i in diff.new_issues] == ["budget-exceeded"]
    assert diff.resolved_issues == ()


def test_findings_are_matched_by_their_key_not_their_words(
    tmp_path: Path, small_db: PriceDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same budget exceeded on both sides is neither new nor resolved, whatever its message
    says on each side (amounts, or a rewording of the message)."""
    import llmcost_lsp.core.check as check

    words = iter(["prompt 'a' is over", "the prompt called a went past", "a: over"] * 4)
    real = check._budget_message
    monkeypatch.setattr(
        check,
        "_budget_message",
        lambda *args: real(*args).replace("prompt 'a' is over", next(words)),
    )
    diff = run(_budget_repo(tmp_path / "r", ("0.50", "0.60")), small_db)
    assert diff.new_issues == () and diff.resolved_issues == ()
