"""Presentation helpers shared by the shells (CLI tables, editor hints): money and token text.

Neutral ground so the server never imports the CLI; both format the same figures the same way.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.numbers import plain_decimal
from llmcost_lsp.core.tokens.spec import TokenCount

if TYPE_CHECKING:  # the workspace pulls in pydantic and tiktoken: not for `llm-cost --version`
    from llmcost_lsp.core.workspace import Report

# An unexpected exception is a bug in llm-cost, not a broken budget (1) or bad input (2):
# EX_SOFTWARE from sysexits.h, so CI can tell "the tool crashed" from "the budget is over".
EXIT_INTERNAL_ERROR = 70
ISSUES_URL = "https://github.com/llm-cost/llm-cost/issues"


def crash_message(program: str, error: BaseException, verbose: bool) -> str:
    """One line saying it is a bug and where to report it; the traceback above it with -v."""
    detail = (f"{type(error).__name__}: {error}".strip().splitlines() or ["?"])[0][:300]
    line = (
        f"{program}: internal error, a bug in llm-cost: {detail}. Please report it at "
        f"{ISSUES_URL} with the command you ran"
    )
    if not verbose:
        return line + " (run again with -v for the traceback)."
    return "".join(traceback.format_exception(error)) + line + "."


def decimal_text(value: Decimal | None) -> str | None:
    """Exact decimal as text without exponent or trailing zeros ("0.0031", "12")."""
    if value is None:
        return None
    return plain_decimal(value)


def monthly_total(report: Report) -> str:
    """The monthly total for people: `?` while no prompt found has a monthly cost (a sum of
    nothing known is unknown, not $0.00)."""
    return "?" if report.monthly_unknown else money(report.monthly_usd)


def money(value: Decimal | None, *, per_call: bool = False) -> str:
    """Dollars for people: cents for monthly sums, 4 significant digits for small per-call costs."""
    if value is None:
        return "?"
    if per_call and abs(value) < 1:
        if value == 0:
            return "$0"
        digits = max(2, -value.adjusted() + 3)
        return f"${value.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)}"
    return f"${value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def tokens_text(count: TokenCount | Decimal | int | None) -> str:
    """`1,234`, with `≈` in front of an approximate count."""
    if count is None:
        return "?"
    if isinstance(count, TokenCount):
        return ("" if count.is_exact else "≈") + f"{count.tokens:,}"
    return f"{Decimal(count).quantize(Decimal(1), ROUND_HALF_UP):,}"


def issue_data(issue: Issue) -> dict[str, Any]:
    """A finding as JSON (CLI `--format json`, the server's `llmcost.check` result)."""
    loc = issue.location
    return {
        "code": issue.code,
        "severity": issue.severity,
        "message": issue.message,
        "hint": issue.hint,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
    }


FOLD_OVER = 5  # a kind of finding repeated more often than this is folded…
FOLD_KEEP = 3  # …to its first few and one line with the count


def fold_repeats(issues: Sequence[Issue]) -> tuple[list[Issue], list[str]]:
    """A terminal's findings with the repeats of one kind of warning folded: 227 prompts without
    a model are 3 findings and `… and 224 more no-model warnings`, not 227 lines."""
    by_code: dict[str, list[Issue]] = {}
    for issue in issues:
        by_code.setdefault(issue.code, []).append(issue)
    folded = {  # errors are never folded: each one is a violation to fix
        code
        for code, group in by_code.items()
        if len(group) > FOLD_OVER and group[0].severity != "error"
    }
    shown: list[Issue] = []
    seen: dict[str, int] = {}
    for issue in issues:
        seen[issue.code] = seen.get(issue.code, 0) + 1
        if issue.code not in folded or seen[issue.code] <= FOLD_KEEP:
            shown.append(issue)
    notes = [
        f"… and {len(by_code[code]) - FOLD_KEEP:,} more {code} "
        f"{by_code[code][0].severity}s like these (--format json lists every one)"
        for code in by_code
        if code in folded
    ]
    return shown, notes


def issue_line(issue: Issue, fmt: str = "text", path: str | None = None) -> str:
    """`file:line:col: severity: code: message` (+ hint), or a GitHub annotation for "github"."""
    loc = issue.location
    shown = path if path is not None else loc.path
    if fmt == "github":
        level = {"error": "error", "warning": "warning"}.get(issue.severity, "notice")
        message = issue.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return (
            f"::{level} file={shown},line={loc.line or 1},col={loc.column or 1},"
            f"title=llm-cost {issue.code}::{message}"
        )
    where = f"{shown}:{loc.line or 1}:{loc.column or 1}"
    text = f"{where}: {issue.severity}: {issue.code}: {issue.message}"
    return f"{text}\n  hint: {issue.hint}" if issue.hint else text
