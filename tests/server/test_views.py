"""Pure parts of the editor views: lens titles, the first-run fold, prompt states."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from types import SimpleNamespace

from lsprotocol import types
from test_helpers import estimate, small_db

from llmcost_lsp.core.errors import Location
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.server.convert import line_getter, to_diagnostic
from llmcost_lsp.server.explain import short_reason
from llmcost_lsp.server.features.code_lens import lens_title
from llmcost_lsp.server.features.prompt_list import state_of
from llmcost_lsp.server.first_run import SUMMARY_CODE, fold, summary_message

__all__ = ["small_db"]  # the session fixture of test_helpers, used here too


def result(e: object = None, issues: tuple[Issue, ...] = (), budget: str | None = None) -> object:
    entry = SimpleNamespace(budget_monthly_usd=Decimal(budget)) if budget else None
    return SimpleNamespace(prompt_id="p", estimate=e, issues=issues, entry=entry)


def test_a_lens_title_starts_with_the_monthly_cost(small_db: PriceDB) -> None:
    title = lens_title(result(estimate(small_db)), "+$164/mo vs main")  # type: ignore[arg-type]
    assert title == "$45.00/mo · $0.0045/call · 1,000 tok · +$164/mo vs main"
    unknown = lens_title(result(estimate(small_db, calls=None)))  # type: ignore[arg-type]
    assert unknown.startswith("?/mo · $0.0045/call")


def test_a_lens_without_estimate_says_why_in_a_few_words() -> None:
    no_model = Issue(
        "no-model", "no model for prompt 'x': set `model` in [defaults]", Location("p")
    )
    assert lens_title(result(None, (no_model,))) == "llm-cost: no estimate (no model set)"  # type: ignore[arg-type]
    unknown = Issue(
        "unknown-model", "unknown model 'gpt-4' (from prompt file: model)", Location("p"), "error"
    )
    assert short_reason(result(None, (unknown,))) == "unknown model 'gpt-4'"  # type: ignore[arg-type]


def test_prompt_states_follow_the_budget(small_db: PriceDB) -> None:
    e = estimate(small_db)  # $45/mo
    assert state_of(result(e, budget="40")) == "over-budget"  # type: ignore[arg-type]
    assert state_of(result(e, budget="50")) == "near-budget"  # type: ignore[arg-type]
    assert state_of(result(e, budget="500")) == "ok"  # type: ignore[arg-type]
    assert state_of(result(e)) == "ok"  # type: ignore[arg-type]
    assert state_of(result(estimate(small_db, calls=None))) == "unknown-volume"  # type: ignore[arg-type]
    assert state_of(result(None)) == "no-estimate"  # type: ignore[arg-type]


def diagnostic(code: str, severity: str, line: int) -> types.Diagnostic:
    issue = Issue(code, code, Location("p", line, 1), severity)  # type: ignore[arg-type]
    return to_diagnostic(issue, line_getter("a\nb\nc\nd\n"), {"promptId": "p"})


def test_a_first_run_folds_a_files_findings_into_one_note_and_hints() -> None:
    folded = fold(
        [
            diagnostic("unsized-variable", "warning", 3),
            diagnostic("no-model", "warning", 1),
            diagnostic("unsized-variable", "warning", 4),
            diagnostic("unknown-model", "error", 2),
            diagnostic("template-logic", "info", 2),
        ]
    )
    summary, *rest = folded
    assert summary.code == SUMMARY_CODE
    assert summary.severity == types.DiagnosticSeverity.Information
    assert summary.range.start == types.Position(0, 0) and summary.data == {"promptId": "p"}
    assert "no model set, 2 unsized variables, 1 note" in summary.message
    assert "Create llm-cost.toml" in summary.message
    by_code = {str(d.code): d.severity for d in rest}
    assert by_code["unknown-model"] == types.DiagnosticSeverity.Warning  # actionable: kept
    assert {by_code[c] for c in ("no-model", "unsized-variable", "template-logic")} == {
        types.DiagnosticSeverity.Hint
    }
    assert len(rest) == 5


def test_an_unknown_model_alone_is_a_warning_without_summary() -> None:
    [kept] = fold([diagnostic("unknown-model", "error", 1)])
    assert kept.code == "unknown-model" and kept.severity == types.DiagnosticSeverity.Warning


def test_the_summary_names_counts_in_words() -> None:
    text = summary_message(Counter({"unknown-volume": 1, "unsized-variable": 1}))
    assert "an unsized variable, no call volume" in text
