"""Budgets and policy: each finding's code, severity, location, and the exit codes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from llmcost_lsp.core.check import CheckResult, FindingsMemo, check_report
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.workspace import Workspace

# gpt-4o: 1,000 calls × (≈10 input tokens × $2.5/M + 1,000 output × $10/M) ≈ $10.03/month
BASE = """\
[defaults]
model = "gpt-4o"
calls_per_month = 1_000
output_tokens = 1_000
"""


DAY = date(2026, 11, 23)


def run_check(tmp: Path, db: PriceDB, manifest: str, prompts: dict[str, str] | None = None,
              scenario: str | None = None) -> CheckResult:  # fmt: skip
    (tmp / "llm-cost.toml").write_text(manifest)
    for name, text in (prompts or {"prompts/a.txt": "Summarise the text.\n"}).items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_text(text)
    ws = Workspace(tmp, db=db, use_persistent_cache=False, pricing_date=date(2026, 11, 23))
    ws.load()
    return check_report(ws.report(scenario), ws.manifest, today=date(2026, 11, 23))


def codes(result: CheckResult) -> dict[str, str]:
    return {i.code: i.severity for i in result.issues}


def test_clean_workspace_exits_zero(tmp_path: Path, small_db: PriceDB) -> None:
    result = run_check(tmp_path, small_db, BASE)
    assert result.exit_code() == 0
    assert not result.errors and not result.warnings


def test_prompt_budget_exceeded_is_an_error_at_the_budget_line(
    tmp_path: Path, small_db: PriceDB
) -> None:
    manifest = BASE + '\n[prompts.a]\npath = "prompts/a.txt"\nbudget_monthly_usd = "5"\n'
    result = run_check(tmp_path, small_db, manifest)
    issue = next(i for i in result.issues if i.code == "budget-exceeded")
    assert issue.severity == "error"
    assert (issue.location.path, issue.location.line) == ("llm-cost.toml", 8)
    assert "$10.03/mo" in issue.message and "$5.00/mo" in issue.message
    assert result.exit_code() == 1


def test_prompt_near_budget_is_a_warning(tmp_path: Path, small_db: PriceDB) -> None:
    manifest = BASE + '\n[prompts.a]\npath = "prompts/a.txt"\nbudget_monthly_usd = "11"\n'
    result = run_check(tmp_path, small_db, manifest)
    assert codes(result)["budget-near"] == "warning"
    assert result.exit_code() == 0
    assert result.exit_code(strict=True) == 1


def test_scenario_pushes_a_prompt_over_budget(tmp_path: Path, small_db: PriceDB) -> None:
    manifest = (
        BASE
        + '\n[prompts.a]\npath = "prompts/a.txt"\nbudget_monthly_usd = "20"\n'
        + '\n[scenarios.launch]\ncalls_multiplier = "3"\n'
    )
    assert run_check(tmp_path, small_db, manifest).exit_code() == 0
    assert codes(run_check(tmp_path, small_db, manifest, scenario="launch"))["budget-exceeded"]


def test_tag_and_workspace_budgets(tmp_path: Path, small_db: PriceDB) -> None:
    manifest = (
        BASE
        + '\n[prompts.a]\npath = "prompts/a.txt"\ntags = { team = "search" }\n'
        + '\n[prompts.b]\npath = "prompts/b.txt"\ntags = { team = "search" }\n'
        + '\n[budgets]\nmonthly_usd = "15"\ntags = { "team.search" = "12" }\n'
    )
    prompts = {"prompts/a.txt": "A\n", "prompts/b.txt": "B\n"}
    result = run_check(tmp_path, small_db, manifest, prompts)
    found = codes(result)
    assert found["tag-budget-exceeded"] == "error"
    assert found["workspace-budget-exceeded"] == "error"


UNPRICED = (
    BASE
    + '\n[prompts.a]\npath = "prompts/a.txt"\ntags = { team = "search" }\n'
    + '\n[prompts.b]\npath = "prompts/b.txt"\ntags = { team = "search" }\n'
    + 'model = "gpt-9-imaginary"\n'
    + '\n[prompts.c]\npath = "prompts/c.txt"\ntags = { team = "ops" }\ncalls_per_month = 0\n'
)
TWO_PROMPTS = {"prompts/a.txt": "A\n", "prompts/b.txt": "B\n", "prompts/c.txt": "C\n"}


def test_an_unpriced_prompt_is_unknown_in_a_budget_never_zero(
    tmp_path: Path, small_db: PriceDB
) -> None:
    """'b' runs on a model the DB does not know: under the tag and workspace budgets the priced
    prompts fit ($10.02 of $100), but what 'b' costs is unknown, so the budget may not hold."""
    manifest = UNPRICED + '\n[budgets]\nmonthly_usd = "100"\ntags = { "team.search" = "50" }\n'
    result = run_check(tmp_path, small_db, manifest, TWO_PROMPTS)
    found = {i.code: i for i in result.issues}
    workspace = found["workspace-budget-unknown"]
    assert workspace.severity == "warning"
    assert workspace.message == (
        "all prompts may be over budget: at least $10.02/mo, 10% of $100.00/mo; 1 prompt has "
        "no monthly cost, so the total is a lower bound (scenario baseline)"
    )
    assert workspace.hint and "calls_per_month" in workspace.hint
    tag = found["tag-budget-unknown"]
    assert tag.message.startswith("tag team=search may be over budget: at least $10.02/mo")
    assert (tag.location.path, tag.location.line) == ("llm-cost.toml", 22)
    assert result.exit_code() == 1  # the unknown model itself is an error
    assert result.exit_code(strict=True) == 1


def test_over_a_budget_with_unpriced_prompts_says_at_least(
    tmp_path: Path, small_db: PriceDB
) -> None:
    manifest = UNPRICED + '\n[budgets]\nmonthly_usd = "5"\ntags = { "team.search" = "9" }\n'
    result = run_check(tmp_path, small_db, manifest, TWO_PROMPTS)
    found = {i.code: i for i in result.issues}
    assert "workspace-budget-unknown" not in found
    assert found["workspace-budget-exceeded"].message == (
        "all prompts are over budget: at least $10.02/mo, 200% of $5.00/mo; 1 prompt has no "
        "monthly cost, so the total is a lower bound (scenario baseline)"
    )
    assert "at least $10.02/mo" in found["tag-budget-exceeded"].message


def test_a_budget_whose_prompts_are_all_priced_says_nothing_of_unpriced_ones_elsewhere(
    tmp_path: Path, small_db: PriceDB
) -> None:
    """The unpriced prompt 'b' is tagged team=search: the team=ops budget is not affected."""
    manifest = UNPRICED + '\n[budgets]\ntags = { "team.ops" = "50" }\n'
    result = run_check(tmp_path, small_db, manifest, TWO_PROMPTS)
    assert not [i for i in result.issues if "budget" in i.code]


def test_per_call_limit(tmp_path: Path, small_db: PriceDB) -> None:
    manifest = BASE + '\n[budgets]\nmax_cost_per_call_usd = "0.005"\n'
    issue = next(
        i for i in run_check(tmp_path, small_db, manifest).issues if i.code == "per-call-limit"
    )
    assert issue.location.line == 7
    assert "costs $0.01003 per call, over the limit of $0.005" in issue.message


def test_a_tiny_per_call_limit_is_written_with_its_digits(
    tmp_path: Path, small_db: PriceDB
) -> None:
    """One money formatter: not "costs $0.0000 per call, over the limit of $0.0000"."""
    manifest = BASE.replace("1_000\n", "1\n")
    manifest += '\n[budgets]\nmax_cost_per_call_usd = "0.00001"\n'
    [issue] = [
        i for i in run_check(tmp_path, small_db, manifest).issues if i.code == "per-call-limit"
    ]
    assert issue.message.endswith("costs $0.0000425 per call, over the limit of $0.00001")


def test_a_prompt_id_that_contains_defaults_is_located_on_its_own_model_line(
    tmp_path: Path, small_db: PriceDB
) -> None:
    """Where a value came from is a key path, not text parsed back: the model of
    [prompts.defaults-writer] is not `defaults.model`."""
    manifest = (
        "[defaults]\ncalls_per_month = 1000\noutput_tokens = 100\n\n"
        '[prompts.defaults-writer]\npath = "prompts/defaults-writer.txt"\nmodel = "gpt-4o-mnii"\n'
        '\n[prompts.writer]\npath = "prompts/writer.txt"\nmodel = "claude-sonnet-4-5"\n'
        '\n[budgets]\nforbidden_models = ["claude-sonnet-4-5"]\n'
    )
    prompts = {"prompts/defaults-writer.txt": "Write.\n", "prompts/writer.txt": "Write.\n"}
    result = run_check(tmp_path, small_db, manifest, prompts)
    where = {i.code: (i.location.path, i.location.line, i.key) for i in result.issues}
    assert where["unknown-model"] == ("llm-cost.toml", 7, ("prompt", "defaults-writer"))
    assert where["forbidden-model"] == ("llm-cost.toml", 11, ("prompt", "writer"))
    assert where["deprecated-model"][:2] == ("llm-cost.toml", 11)


def test_each_prompt_rule_is_one_function_named_by_its_documented_code() -> None:
    """Rules findable by their code: every rule about one prompt starts its docstring with the
    code it reports, and docs/check.md lists that code."""
    from llmcost_lsp.core.check import PROMPT_RULES

    docs = (Path(__file__).resolve().parents[3] / "docs" / "check.md").read_text()
    for rule in PROMPT_RULES:
        code = (rule.__doc__ or "").split("`")[1]
        assert f"| `{code}`" in docs, rule.__name__
        assert code.startswith(rule.__name__.strip("_").replace("_", "-")), rule.__name__


def test_forbidden_model_by_alias(tmp_path: Path, small_db: PriceDB) -> None:
    manifest = BASE + '\n[budgets]\nforbidden_models = ["gpt-4o-2024-08-06"]\n'
    issue = next(
        i for i in run_check(tmp_path, small_db, manifest).issues if i.code == "forbidden-model"
    )
    assert issue.location.line == 2  # defaults.model


def test_context_window_and_max_output(tmp_path: Path, small_db: PriceDB) -> None:
    manifest = BASE.replace("output_tokens = 1_000", "output_tokens = 130_000")
    manifest += '\n[prompts.a]\npath = "prompts/a.txt"\nmax_tokens = 20_000\n'
    found = codes(run_check(tmp_path, small_db, manifest))
    assert found["context-overflow"] == "error"
    assert found["max-tokens-over-limit"] == "error"
    assert found["output-over-limit"] == "error"


def test_unknown_volume_is_information_not_failure(tmp_path: Path, small_db: PriceDB) -> None:
    result = run_check(tmp_path, small_db, '[defaults]\nmodel = "gpt-4o"\n')
    assert codes(result)["unknown-volume"] == "info"
    assert result.exit_code() == 0


def test_deprecated_model_warns(tmp_path: Path, small_db: PriceDB) -> None:
    manifest = BASE.replace('"gpt-4o"', '"claude-sonnet-4-5"')
    assert codes(run_check(tmp_path, small_db, manifest))["deprecated-model"] == "warning"


def test_tag_cardinality_over_100_values(tmp_path: Path, small_db: PriceDB) -> None:
    prompts = {f"prompts/p{i}.txt": "x\n" for i in range(101)}
    entries = "".join(
        f'\n[prompts.p{i}]\npath = "prompts/p{i}.txt"\ntags = {{ user = "u{i}" }}\n'
        for i in range(101)
    )
    result = run_check(tmp_path, small_db, BASE + entries, prompts)
    assert codes(result)["tag-cardinality"] == "warning"


def test_broken_manifest_is_an_input_error(tmp_path: Path, small_db: PriceDB) -> None:
    result = run_check(tmp_path, small_db, "[defaults]\ncalls_per_month = -1\n")
    assert result.exit_code() == 2
    assert result.errors[0].location.line == 2


def test_a_memo_rechecks_only_changed_prompts_and_agrees_with_a_full_check(
    tmp_path: Path, small_db: PriceDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    import llmcost_lsp.core.check as check_module

    manifest = BASE + '\n[prompts.a]\npath = "prompts/a.txt"\nbudget_monthly_usd = "10.05"\n'
    prompts = {f"prompts/{name}.txt": f"Prompt {name}.\n" for name in "abcdef"}
    run_check(tmp_path, small_db, manifest, prompts)
    ws = Workspace(tmp_path, db=small_db, use_persistent_cache=False, pricing_date=DAY)
    ws.load()
    checked: list[str] = []
    real = check_module._prompt_limits

    def counting(result: Any, *args: Any) -> Any:
        checked.append(result.prompt_id)
        return real(result, *args)

    monkeypatch.setattr(check_module, "_prompt_limits", counting)
    memo = FindingsMemo()

    def both(today: date = DAY) -> CheckResult:
        with_memo = check_report(ws.report(), ws.manifest, today, memo=memo)
        assert with_memo.issues == check_report(ws.report(), ws.manifest, today).issues
        return with_memo

    both()
    checked.clear()
    assert "budget-exceeded" not in codes(both()) and checked == list("abcdef")  # no memo: all
    checked.clear()
    ws.apply_change(tmp_path / "prompts/a.txt", "Prompt a, now a lot longer than it was.\n" * 3)
    with_memo = check_report(ws.report(), ws.manifest, DAY, memo=memo)
    assert checked == ["a"] and codes(with_memo)["budget-exceeded"] == "error"
    checked.clear()
    both(date(2030, 1, 1))  # another day: every prompt again (deprecations, limits by date)
    assert checked[:6] == list("abcdef")
    checked.clear()
    ws.apply_change(tmp_path / "llm-cost.toml", manifest.replace("10.05", "100"))
    assert "budget-exceeded" not in codes(both()) and checked[:6] == list("abcdef")
