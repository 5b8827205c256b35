"""`llm-cost diff`: golden files of every format on a repository built here with fixed dates,
exit codes of --fail-on-increase, and clear errors for what CI gets wrong (missing base ref).

Regenerate after an intended change with `LLMCOST_UPDATE_GOLDEN=1 python -m pytest tests/cli`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "diff"))
from diff_gitrepo import GitRepoBuilder, base_and_head_repo

from golden import assert_golden as check_golden
from llmcost_lsp.cli.main import main

GOLDEN = Path(__file__).parent / "golden"
PRICE_DATE = "2026-11-23"


def assert_golden(name: str, text: str) -> None:
    check_golden(GOLDEN / name, text)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepoBuilder:
    return base_and_head_repo(tmp_path / "repo")


def diff(
    repo: GitRepoBuilder, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    args = ["diff", str(repo.root), "--base", "HEAD~1", "--head", "HEAD"]
    code = main([*args, "--price-date", PRICE_DATE, *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("fmt", "golden"),
    [("table", "diff_example.txt"), ("markdown", "diff_example.md"), ("json", "diff_example.json")],
)
def test_diff_formats_match_golden_files(
    repo: GitRepoBuilder, capsys: pytest.CaptureFixture[str], fmt: str, golden: str
) -> None:
    code, out, _ = diff(repo, capsys, "--format", fmt)
    assert code == 0
    assert_golden(golden, out)


def test_markdown_is_a_sticky_comment_with_the_biggest_change_first(
    repo: GitRepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = diff(repo, capsys, "-f", "markdown", "--fail-on-increase", "1000%")
    lines = out.splitlines()
    assert lines[0] == "<!-- llm-cost-diff -->"
    assert lines[1].startswith("### ❌ LLM cost: +$") and lines[1].endswith("%)")  # a budget
    rows = [line for line in lines if line.startswith("| `")]
    assert rows[0].startswith("| `search` |")
    assert "#### Budgets crossed" in out and "budget-exceeded" in out
    assert "<details><summary>Details</summary>" in out and out.rstrip().endswith("</details>")
    assert "Within `--fail-on-increase 1000%`" in out


UNPRICED_BASE = {
    "llm-cost.toml": "[defaults]\ncalls_per_month = 10_000\noutput_tokens = 100\n\n"
    '[prompts.triage]\npath = "prompts/triage.txt"\nmodel = "gpt-4o"\n\n'
    '[prompts.answer]\npath = "prompts/answer.txt"\nmodel = "gpt-4o"\n',
    "prompts/triage.txt": "Triage the ticket.\n",
    "prompts/answer.txt": "Answer the question.\n",
}


@pytest.mark.parametrize("side", ["head", "base"])
def test_an_unpriced_prompt_on_either_side_makes_the_change_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], side: str
) -> None:
    """A prompt switched to a model the price DB does not know leaves the head total: the
    headline must not report the rest as the change, and --fail-on-increase must not pass
    (unknown is not zero). The same when the base is the unpriced side."""
    manifest = UNPRICED_BASE["llm-cost.toml"]
    unknown = manifest.replace(
        '"prompts/triage.txt"\nmodel = "gpt-4o"', '"prompts/triage.txt"\nmodel = "claude-opus-9-9"'
    )
    grown = {"prompts/answer.txt": "Answer the question.\n" + "Cite every source. " * 200}
    repo = GitRepoBuilder(tmp_path / "repo")
    first, second = ({"llm-cost.toml": unknown}, {"llm-cost.toml": manifest})
    if side == "head":
        first, second = second, first
    repo.commit(UNPRICED_BASE | first)
    repo.commit(second | grown)
    code, out, err = diff(repo, capsys, "-f", "markdown", "--fail-on-increase", "1000%")
    headline = out.splitlines()[1]
    assert headline.startswith("### ❔ LLM cost: unknown (+$"), headline
    assert "1 changed prompt without a price" in headline
    assert "**Not priced:** 1 changed prompt has no monthly cost (triage)" in out
    assert "| `triage` | " in out and f"{side}: unknown model" in out
    assert code == 1 and "the increase is unknown, not zero" in err
    code, out, _ = diff(repo, capsys)
    assert code == 0 and "(without 1 unpriced prompt): unknown (+$" in out


def test_the_comment_shows_the_budget_under_it_too_and_a_delta_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    manifest = UNPRICED_BASE["llm-cost.toml"] + '\n[budgets]\nmonthly_usd = "100"\n'
    repo.commit(UNPRICED_BASE | {"llm-cost.toml": manifest})
    repo.commit({"prompts/answer.txt": "Answer.\n" * 300, "prompts/triage.txt": "Triage.\n" * 30})
    code, out, _ = diff(repo, capsys, "-f", "markdown")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].startswith("### ✅ LLM cost: +$")
    assert "Budget: $" in out and " of $100.00 per month (" in out and "over budget" not in out
    chart = out[out.index("```text\n") + 8 : out.index("\n```\n")].splitlines()
    assert [row.split()[0] for row in chart] == ["answer", "triage"]
    assert chart[0].count("█") == 24 > chart[1].count("█")  # the biggest change is the longest


def test_the_budget_line_is_a_lower_bound_when_a_head_prompt_is_unpriced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """triage moves to a model the DB does not know: the head total leaves it out, so the
    budget line must not read as a plain "under budget"."""
    repo = GitRepoBuilder(tmp_path / "repo")
    manifest = UNPRICED_BASE["llm-cost.toml"] + '\n[budgets]\nmonthly_usd = "100"\n'
    repo.commit(UNPRICED_BASE | {"llm-cost.toml": manifest})
    unknown = manifest.replace('"prompts/triage.txt"\nmodel = "gpt-4o"',
                               '"prompts/triage.txt"\nmodel = "claude-opus-9-9"')  # fmt: skip
    repo.commit({"llm-cost.toml": unknown})
    _, out, _ = diff(repo, capsys, "-f", "markdown")
    budget = next(line for line in out.splitlines() if line.startswith("Budget: "))
    assert budget.startswith("Budget: at least $"), budget
    assert budget.endswith(
        "of $100.00 per month (10%); 1 prompt without a monthly cost, so the total is a lower bound"
    ), budget
    # and the check of the head says the budget may not hold, as a new finding of the change
    assert "workspace-budget-unknown" in out


def test_json_deltas_add_up(repo: GitRepoBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = diff(repo, capsys, "-f", "json")
    data = json.loads(out)
    assert data["schema"] == "llm-cost.diff/1"
    deltas = sum(Decimal(p["delta"]["monthly_usd"]) for p in data["prompts"])
    totals = data["totals"]
    assert deltas == Decimal(totals["delta_monthly_usd"])
    assert Decimal(totals["head_monthly_usd"]) - Decimal(totals["base_monthly_usd"]) == deltas
    kinds = {p["id"]: p["changes"] for p in data["prompts"]}
    assert kinds["claude"] == ["price-changed"] and kinds["vol"] == ["volume-changed"]


@pytest.mark.parametrize(("limit", "code"), [("10%", 1), ("100000%", 0), ("50", 1), ("$100000", 0)])
def test_fail_on_increase(
    repo: GitRepoBuilder, capsys: pytest.CaptureFixture[str], limit: str, code: int
) -> None:
    got, _, err = diff(repo, capsys, "--fail-on-increase", limit)
    assert got == code
    if code:
        assert "over --fail-on-increase" in err and "monthly cost rises by +$" in err


def test_no_change_exits_0_even_with_a_zero_limit(
    repo: GitRepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["diff", str(repo.root), "--base", "HEAD", "--fail-on-increase", "0"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "no change" in out and "0 prompts changed, 16 unchanged" in out


def test_working_tree_with_an_uncommitted_edit(
    repo: GitRepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write({"prompts/fresh.txt": "A new prompt. " * 100})
    code = main(["diff", str(repo.root), "--base", "HEAD", "--price-date", PRICE_DATE])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "HEAD (" in out and "→ working tree" in out
    assert "fresh" in out and "content-changed" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "origin/main"], "git fetch --depth=1 origin main"),
        (["--base", "HEAD", "--fail-on-increase", "lots"], "is not a percentage"),
        (["--base", "HEAD", "-s", "nope"], "not defined at HEAD"),
    ],
)
def test_bad_input_exits_2_with_the_fix(
    repo: GitRepoBuilder, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = main(["diff", str(repo.root), *args])
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err


def test_outside_a_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["diff", str(tmp_path), "--base", "main"])
    assert code == 2
    assert "not inside a git repository" in capsys.readouterr().err


def test_shallow_ci_clone_with_the_base_fetched(repo: GitRepoBuilder, tmp_path: Path) -> None:
    """What the GitHub Action does: clone the PR head at depth 1, fetch the base commit, diff."""
    base = repo.git("rev-parse", "HEAD~1")
    clone = tmp_path / "ci"
    env = {**repo.env(), "CI": "true"}
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{repo.root}", str(clone)],
                   check=True, env=env)  # fmt: skip
    command = [sys.executable, "-m", "llmcost_lsp.cli.main", "diff", "--base", base, "-f", "json"]
    missing = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True)
    assert missing.returncode == 2
    assert f"git fetch --depth=1 origin {base}" in missing.stderr
    subprocess.run(["git", "fetch", "-q", "--depth=1", "origin", base], cwd=clone, check=True,
                   env=env)  # fmt: skip
    done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["prompts"]) == 9


@pytest.mark.parametrize("command", ["check", "estimate"])
@pytest.mark.parametrize("ci", [True, False], ids=["in CI", "outside CI"])
def test_in_ci_a_check_or_estimate_of_a_checkout_makes_it_a_known_base(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    ci: bool,
) -> None:
    import llmcost_lsp.core.workspace as workspace_module
    from llmcost_lsp.core.diff.caches import SideSummaryStore
    from llmcost_lsp.core.settings import Settings

    monkeypatch.setenv("CI", "true" if ci else "false")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    builder = GitRepoBuilder(tmp_path / "repo")
    prompts = {f"prompts/p{i}.txt": f"Prompt {i} for the customer.\n" for i in range(8)}
    manifest = '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1_000\noutput_tokens = 50\n'
    builder.commit({"llm-cost.toml": manifest, **prompts})
    main([command, str(builder.root), "--price-date", PRICE_DATE])  # main's CI job
    assert SideSummaryStore.path_for(Settings.from_env()).exists() == ci
    builder.git("checkout", "-q", "-b", "feature")
    builder.write({"prompts/p2.txt": "Prompt 2, now with more to say to the customer.\n"})
    walks: list[object] = []
    real = workspace_module.discover
    monkeypatch.setattr(
        workspace_module, "discover", lambda *a, **k: walks.append(1) or real(*a, **k)
    )
    capsys.readouterr()
    code = main(["diff", str(builder.root), "--base", "main", "--price-date", PRICE_DATE])
    out, _ = capsys.readouterr()
    assert code == 0 and "1 prompt changed, 7 unchanged\n" in out and "p2" in out
    assert len(walks) == (0 if ci else 2)  # the pull request's first diff starts warm in CI


def test_a_broken_working_tree_manifest_exits_2_after_the_diff(
    repo: GitRepoBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = repo.root / "llm-cost.toml"
    manifest.write_text(manifest.read_text() + "\n[defaults]\ncalls_per_mnth = 5\n")
    code = main(["diff", str(repo.root), "--base", "HEAD", "--price-date", PRICE_DATE])
    out, err = capsys.readouterr()
    assert code == 2
    assert out  # the diff itself is still printed
    assert "llm-cost.toml:" in err and "the working tree's llm-cost.toml has errors: exit 2" in err
    # the same when the head is a commit
    repo.git("add", "-A")
    repo.git("commit", "-qm", "broken manifest")
    code = main(["diff", str(repo.root), "--base", "HEAD~1", "--head", "HEAD"])
    out, err = capsys.readouterr()
    assert code == 2 and out
    assert "toml-syntax" in err and "HEAD's llm-cost.toml has errors" in err


def test_a_blob_missing_from_a_partial_clone_is_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`git ls-tree --long` prints the size BAD for an object the clone lacks (a large image of a
    partial clone): the diff reads only prompts, so it goes on."""
    root = tmp_path / "partial"
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "a.txt").write_text("You are terse.\n")
    (root / "logo.png").write_bytes(b"PNG\0\0")
    env = {**os.environ, "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    for who in ("AUTHOR", "COMMITTER"):
        env |= {f"GIT_{who}_NAME": "a", f"GIT_{who}_EMAIL": "a@b"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    oid = subprocess.run(
        ["git", "rev-parse", "HEAD:logo.png"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    (root / ".git" / "objects" / oid[:2] / oid[2:]).unlink()
    (root / "prompts" / "a.txt").write_text("You are terse. Very.\n")
    code = main(["diff", str(root), "--base", "HEAD", "--price-date", PRICE_DATE])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "1 prompt changed" in out


@pytest.mark.parametrize(
    "ref",
    [
        "--upload-pack=touch {pwned}",
        "-c core.pager=touch {pwned}",
        "HEAD; touch {pwned}",
        "$(touch {pwned})",
        "x" * 100_000,
        "base:llm-cost.toml",
    ],
    ids=["upload-pack", "config", "semicolon", "subshell", "100k", "path"],
)
@pytest.mark.parametrize("flag", ["--base", "--head"])
def test_a_hostile_ref_is_refused_runs_nothing_and_its_hint_is_safe_to_paste(
    repo: GitRepoBuilder,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    ref: str,
    flag: str,
) -> None:
    """Probe 6.1: every ref was refused, but the fetch hint pasted the ref into a shell
    command (`git fetch … origin HEAD; touch …`)."""
    pwned = tmp_path / "pwned"
    ref = ref.format(pwned=pwned)
    args = [flag, ref] if flag == "--base" else ["--base", "HEAD", flag, ref]
    code = main(["diff", str(repo.root), *args])
    err = capsys.readouterr().err
    assert code == 2 and not pwned.exists()
    assert "invalid git ref" in err or "is not in this clone" in err
    for line in err.splitlines():
        if "git fetch" in line:
            command = line.split("`")[1]
            words = shlex.split(command)
            assert words[:4] == ["git", "fetch", "--depth=1", "origin"] and len(words) == 5
