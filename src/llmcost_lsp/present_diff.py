"""Cost diff for people: money deltas, the headline and the markdown PR comment, shared by
`llm-cost diff` and the language server's `llmcost.diff` (neutral ground, like present.py)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from llmcost_lsp.core.diff.model import CostDiff, PromptDiff, Threshold
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.numbers import usd
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.workspace import PromptResult
from llmcost_lsp.present import markdown_code, markdown_text, money, tokens_text

MARKER = "<!-- llm-cost-diff -->"  # finds the sticky PR comment again (action/pr_comment.py)
MARKDOWN_ROWS = 20  # the comment's main table; every prompt is in the details below it


# -- shared pieces -----------------------------------------------------------------------------


def signed_usd(value: Decimal | None) -> str:
    if value is None:
        return "?"
    if value == 0:
        return "$0.00"
    return ("+" if value > 0 else "-") + usd(abs(value))


def signed_pct(value: Decimal | None) -> str:
    if value is None:
        return "new"  # from $0
    rounded = value.quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{'+' if rounded > 0 else ''}{rounded}%"


def headline(diff: CostDiff) -> str:
    """`+$41.20/month (+7.5%)`, or `no change` when the totals are equal."""
    delta = diff.monthly_usd_delta
    if delta == 0:
        return "no change"
    pct = diff.monthly_pct_delta
    return f"{signed_usd(delta)}/month ({signed_pct(pct) if pct is not None else 'from $0'})"


def change_text(d: PromptDiff) -> str:
    return ", ".join(d.changes)


def side_tokens(side: PromptResult | None) -> str:
    if side is None:
        return "–"
    return tokens_text(side.estimate.input_tokens) if side.estimate else "?"


def side_model(side: PromptResult | None) -> str:
    if side is None:
        return "–"
    return side.estimate.model_entry.id if side.estimate else "(none)"


def arrow(old: str, new: str, d: PromptDiff) -> str:
    if d.base is None:
        return new
    if d.head is None:
        return old
    return new if old == new else f"{old} → {new}"


def side_monthly(d: PromptDiff, side: PromptResult | None) -> str:
    if side is None:
        return "–"
    return usd(side.estimate.monthly_usd if side.estimate else None)


def renames(diff: CostDiff) -> list[str]:
    lines = []
    for d in diff.prompts:
        if "renamed" in d.changes and d.base is not None:
            was = f"{d.base_path}" + (f" (id {d.base_id})" if d.base_id != d.prompt_id else "")
            lines.append(f"{d.prompt_id}: renamed from {was} to {d.path}")
    return lines


def unreadable_text(diff: CostDiff) -> str:
    """`2 prompts cannot be read in the head (a, b)`: why a threshold cannot pass."""
    names = [d.prompt_id for d in diff.unreadable]
    return (
        f"{len(names)} prompt{'s' * (len(names) != 1)} cannot be read in the head "
        f"({', '.join(names)})"
    )


def totals_line(diff: CostDiff) -> str:
    base, head = usd(diff.base_monthly_usd), usd(diff.head_monthly_usd)
    return f"{base} → {head}: {headline(diff)}"


def counts(diff: CostDiff) -> str:
    changed = len(diff.prompts)
    return f"{changed} prompt{'s' * (changed != 1)} changed, {diff.unchanged} unchanged" + (
        f"; {diff.head_incomplete} without a monthly cost" if diff.head_incomplete else ""
    )


def issue_line(issue: Issue) -> str:
    loc = issue.location
    return f"{loc.path}:{loc.line or 1}:{loc.column or 1}: {issue.severity}: {issue.code}: " + (
        issue.message
    )


# -- markdown (a PR comment) -------------------------------------------------------------------


def _md(text: str) -> str:
    return markdown_text(text)


def _md_issue(issue: Issue) -> str:
    loc = issue.location
    where = markdown_code(f"{loc.path}:{loc.line}" if loc.line else f"{loc.path}")
    mark = {"error": "**error**", "warning": "warning"}.get(issue.severity, issue.severity)
    return f"- {mark} {where} {_md(issue.message)} ({markdown_code(issue.code)})"


def render_markdown(diff: CostDiff, db: PriceDB, threshold: Threshold | None = None) -> str:
    """The PR comment: headline, the biggest changes, budgets crossed, then every detail."""
    lines = [
        MARKER,
        f"### LLM cost: {headline(diff)}",
        "",
        f"**{usd(diff.base_monthly_usd)} → {usd(diff.head_monthly_usd)}** per month · "
        f"scenario {markdown_code(diff.scenario)} · {markdown_code(diff.base_label)} → "
        f"{markdown_code(diff.head_label)} · "
        f"{counts(diff)}",
    ]
    if threshold is not None:
        over = threshold.exceeded_by(diff)
        lines += [
            "",
            f"**Over the limit:** {_md(unreadable_text(diff))}, so the increase is unknown "
            f"(`--fail-on-increase {threshold}`)."
            if diff.unreadable
            else f"**Over the limit:** the increase is above `--fail-on-increase {threshold}`."
            if over
            else f"Within `--fail-on-increase {threshold}`.",
        ]
    if diff.prompts:
        lines += [
            "",
            "| Prompt | Change | Input tokens | Per month | Δ per month |",
            "|---|---|--:|--:|--:|",
        ]
        for d in diff.prompts[:MARKDOWN_ROWS]:
            lines.append(
                f"| {markdown_code(d.prompt_id, in_table=True)} | {_md(change_text(d))} | "
                f"{arrow(side_tokens(d.base), side_tokens(d.head), d)} | "
                f"{arrow(side_monthly(d, d.base), side_monthly(d, d.head), d)} | "
                f"**{signed_usd(d.monthly_usd_delta)}** |"
            )
        if len(diff.prompts) > MARKDOWN_ROWS:
            lines.append(f"\n…and {len(diff.prompts) - MARKDOWN_ROWS} more in the details below.")
    else:
        lines += ["", "No prompt changed cost."]
    if diff.gate_changes:  # a pull request that moves the gate says so first
        lines += ["", "#### Changes to the gate itself", ""]
        lines += [f"- {markdown_text(change)}" for change in diff.gate_changes]
    budgets = diff.budget_issues
    if budgets:
        lines += ["", "#### Budgets crossed", "", *(_md_issue(i) for i in budgets)]
    others = [i for i in diff.new_issues if i not in budgets]
    lines += ["", "<details><summary>Details</summary>", ""]
    for d in diff.prompts:
        lines += _md_prompt_details(d)
    if others:
        lines += ["**Other findings new in this change**", "", *map(_md_issue, others), ""]
    if diff.resolved_issues:
        lines += ["**Resolved by this change**", "", *map(_md_issue, diff.resolved_issues), ""]
    lines += [
        f"Unchanged prompts: {diff.unchanged}. Prices: price DB updated "
        f"{db.updated_at:%Y-%m-%d}, USD. Generated by `llm-cost diff`.",
        "",
        "</details>",
    ]
    return "\n".join(lines)


def _md_prompt_details(d: PromptDiff) -> list[str]:
    path = d.path if d.base is None or d.base_path == d.path else f"{d.base_path} → {d.path}"
    lines = [
        f"**{markdown_code(d.prompt_id)}** ({_md(change_text(d))}) · {markdown_code(path)}",
        "",
    ]
    lines += ["| | base | head |", "|---|--:|--:|"]
    for label, pick in _DETAIL_ROWS:
        old = pick(d.base) if d.base else "–"
        new = pick(d.head) if d.head else "–"
        lines.append(f"| {label} | {_md(old)} | {_md(new)} |")
    return [*lines, ""]


def _detail(side: PromptResult, what: str) -> str:
    e = side.estimate
    if e is None:  # the reason once, in the first row, not truncated seven times
        reason = side.why_not_estimated
        return (reason if len(reason) <= 200 else reason[:199] + "…") if what == "model" else "–"
    values = {
        "model": e.model_entry.id + (" (contracted)" if e.contracted else ""),
        "tokens": tokens_text(e.input_tokens),
        "output": tokens_text(e.effective_output_tokens),
        "rates": f"${e.rates.input} / ${e.rates.output}",
        "per_call": money(e.per_call_usd, per_call=True),
        "calls": tokens_text(e.monthly_calls),
        "monthly": usd(e.monthly_usd),
    }
    return values[what]


_DETAIL_ROWS: list[tuple[str, Any]] = [
    ("model", lambda s: _detail(s, "model")),
    ("input tokens", lambda s: _detail(s, "tokens")),
    ("output tokens", lambda s: _detail(s, "output")),
    ("in / out per Mtok", lambda s: _detail(s, "rates")),
    ("per call", lambda s: _detail(s, "per_call")),
    ("calls per month", lambda s: _detail(s, "calls")),
    ("per month", lambda s: _detail(s, "monthly")),
]
