"""A cost diff for people and machines: money deltas, the headline, the text table, the JSON
(`llm-cost.diff/1`) and the markdown PR comment, shared by `llm-cost diff` and the language
server's `llmcost.diff`."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from llmcost_lsp.core.diff.model import CostDiff, PromptDiff, Threshold
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.numbers import usd
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.workspace import PromptResult
from llmcost_lsp.present import (
    decimal_text,
    issue_data,
    markdown_code,
    markdown_text,
    money,
    tokens_text,
)
from llmcost_lsp.present.table import render_table as table

JSON_SCHEMA = "llm-cost.diff/1"
MARKER = "<!-- llm-cost-diff -->"  # finds the sticky PR comment again (action/pr_comment.py)
MARKDOWN_ROWS = 20  # the comment's main table; every prompt is in the details below it
NO_CHANGE = "<!-- llm-cost: no change -->"  # a diff with nothing for a reviewer (action.yml)


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
    """`+$41.20/month (+7.5%)`, or `no change` when the totals are equal. With a changed prompt
    that has no monthly cost on a side (an unknown model, no volume, unreadable) the change is
    unknown, and the headline says so first: the totals leave that prompt out, so their
    difference would understate (or overstate) the change."""
    if diff.unpriced:
        count = len(diff.unpriced)
        return (
            f"unknown ({signed_usd(diff.priced_delta_usd)}/month on the prompts priced on both "
            f"sides; {count} changed prompt{'s' * (count != 1)} without a price)"
        )
    delta = diff.monthly_usd_delta
    if delta == 0:
        return "no change"
    pct = diff.monthly_pct_delta
    return f"{signed_usd(delta)}/month ({signed_pct(pct) if pct is not None else 'from $0'})"


def unchanged(diff: CostDiff) -> bool:
    """Nothing for a reviewer: no prompt changed, no finding came or went, the gate is as it
    was (`comment: changed` skips the PR comment then)."""
    return not (diff.prompts or diff.new_issues or diff.resolved_issues or diff.gate_changes)


def verdict(diff: CostDiff, threshold: Threshold | None) -> str:
    """The mark before the headline: ❌ over --fail-on-increase or a budget newly exceeded,
    ❔ the change is unknown (an unpriced prompt), ✅ otherwise."""
    over = threshold is not None and threshold.exceeded_by(diff) and not diff.unpriced
    if over or any(i.severity == "error" for i in diff.budget_issues):
        return "❌"
    return "❔" if diff.unpriced else "✅"


def unpriced_text(diff: CostDiff) -> str:
    """`1 prompt cannot be read in the head (a); 2 changed prompts have no monthly cost (b, c)`:
    why the change is unknown and a threshold cannot pass."""
    unreadable = [d.prompt_id for d in diff.unpriced if d.unreadable]
    other = [d.prompt_id for d in diff.unpriced if not d.unreadable]
    parts = []
    if unreadable:
        parts.append(
            f"{len(unreadable)} prompt{'s' * (len(unreadable) != 1)} cannot be read in the head "
            f"({', '.join(unreadable)})"
        )
    if other:
        have = "has" if len(other) == 1 else "have"
        parts.append(
            f"{len(other)} changed prompt{'s' * (len(other) != 1)} {have} no monthly cost "
            f"({', '.join(other)})"
        )
    return "; ".join(parts)


def budget_line(diff: CostDiff) -> str | None:
    """`$1,745.27 of $5,000.00 per month (35%)`: the workspace budget, under it too. With head
    prompts that have no monthly cost the total is a floor: `at least …; 2 prompts unpriced`,
    never a plain "under budget"."""
    budget = diff.budget_monthly_usd
    if budget is None:
        return None
    spent = diff.head_monthly_usd
    share = f" ({spent / budget:.0%})" if budget else ""
    over = " — over budget" if spent > budget else ""
    line = f"{usd(spent)} of {usd(budget)} per month{share}{over}"
    unpriced = diff.head_incomplete
    if not unpriced:
        return line
    return (
        f"at least {line}; {unpriced} prompt{'s' * (unpriced != 1)} without a monthly cost, "
        "so the total is a lower bound"
    )


def _count(value: Decimal | int) -> str:
    """`400k`, `1.2M`, `900`: volumes in a few characters."""
    number = Decimal(value)
    for size, suffix in ((Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if abs(number) >= size:
            return (
                f"{(number / size).quantize(Decimal('0.1'), ROUND_HALF_UP).normalize():f}{suffix}"
            )
    return f"{number.quantize(Decimal(1), ROUND_HALF_UP):,}"


def why(d: PromptDiff) -> str:
    """What made the prompt's cost change, in a few words: `sonnet-4-6 → opus-4-5, +329 tok`,
    `calls 400k → 600k`, or why it has no price."""
    if d.unreadable:
        return "cannot be read in the head"
    parts: list[str] = []
    if d.base is None:
        parts.append("new prompt")
    elif d.head is None:
        parts.append("removed")
    elif "renamed" in d.changes:
        parts.append("renamed")
    b = d.base.estimate if d.base else None
    h = d.head.estimate if d.head else None
    if b is not None and h is not None:
        if b.model_entry.id != h.model_entry.id:
            parts.append(f"{b.model_entry.id} → {h.model_entry.id}")
        elif b.rates != h.rates:
            parts.append("price changed")
        tokens = d.input_tokens_delta
        if tokens:
            parts.append(f"{tokens:+,} tok")
        if b.monthly_calls != h.monthly_calls and None not in (b.monthly_calls, h.monthly_calls):
            parts.append(f"calls {_count(b.monthly_calls or 0)} → {_count(h.monthly_calls or 0)}")
        out_b, out_h = b.effective_output_tokens, h.effective_output_tokens
        if out_b != out_h and out_b is not None and out_h is not None:
            parts.append(f"output {_count(out_b)} → {_count(out_h)} tok")
    for side in (d.base, d.head):
        if side is not None and (side.estimate is None or side.estimate.monthly_usd is None):
            reason = side.why_not_estimated if side.estimate is None else "volume unknown"
            where = "base" if side is d.base else "head"
            parts.append(f"{where}: {reason if len(reason) <= 70 else reason[:69] + '…'}")
    return ", ".join(parts) or ", ".join(d.changes)


CHART_ROWS = 10  # prompts in the delta chart
CHART_WIDTH = 24  # characters of the longest bar
_EIGHTHS = " ▏▎▍▌▋▊▉"


def delta_chart(diff: CostDiff) -> list[str]:
    """The biggest priced changes as bars of block characters, longest = CHART_WIDTH: text in a
    code block, so it renders the same in a PR comment, an e-mail and a terminal."""
    rows = [(d.prompt_id, d.monthly_usd_delta) for d in diff.prompts]
    priced = [(name, delta) for name, delta in rows if delta][:CHART_ROWS]
    if not priced:
        return []
    biggest = max(abs(delta) for _, delta in priced)
    width = max(len(name) for name, _ in priced)
    lines = []
    for name, delta in priced:
        eighths = int(abs(delta) / biggest * CHART_WIDTH * 8) or 1
        bar = "█" * (eighths // 8) + _EIGHTHS[eighths % 8].strip()
        lines.append(f"{name.ljust(width)}  {bar.ljust(CHART_WIDTH)}  {signed_usd(delta)}")
    return lines


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


def totals_line(diff: CostDiff) -> str:
    base, head = usd(diff.base_monthly_usd), usd(diff.head_monthly_usd)
    return f"{base} → {head}{_left_out(diff)}: {headline(diff)}"


def _left_out(diff: CostDiff) -> str:
    count = len(diff.unpriced)
    return f" (without {count} unpriced prompt{'s' * (count != 1)})" if count else ""


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
    """The PR comment: a verdict and the headline, the budget, the biggest changes and why they
    changed, a small chart of the deltas, budgets crossed, then every detail."""
    lines = [MARKER]
    if unchanged(diff):
        lines.append(NO_CHANGE)  # the Action's `comment: changed` looks for it
    lines += [
        f"### {verdict(diff, threshold)} LLM cost: {headline(diff)}",
        "",
        f"**{usd(diff.base_monthly_usd)} → {usd(diff.head_monthly_usd)}** per month"
        f"{_left_out(diff)} · scenario {markdown_code(diff.scenario)} · "
        f"{markdown_code(diff.base_label)} → {markdown_code(diff.head_label)} · {counts(diff)}",
    ]
    if diff.unpriced:
        lines += [
            "",
            f"**Not priced:** {_md(unpriced_text(diff))}: what the change costs is unknown, "
            "not zero.",
        ]
    if threshold is not None:
        over = threshold.exceeded_by(diff)
        lines += [
            "",
            f"**Over the limit:** {_md(unpriced_text(diff))}, so the increase is unknown "
            f"(`--fail-on-increase {threshold}`)."
            if diff.unpriced
            else f"**Over the limit:** the increase is above `--fail-on-increase {threshold}`."
            if over
            else f"Within `--fail-on-increase {threshold}`.",
        ]
    budget = budget_line(diff)
    if budget is not None:
        lines += ["", f"Budget: {budget}"]
    if diff.prompts:
        lines += [
            "",
            "| Prompt | Why | Per month | Δ per month |",
            "|---|---|--:|--:|",
        ]
        for d in diff.prompts[:MARKDOWN_ROWS]:
            lines.append(
                f"| {markdown_code(d.prompt_id, in_table=True)} | {_md(why(d))} | "
                f"{arrow(side_monthly(d, d.base), side_monthly(d, d.head), d)} | "
                f"**{signed_usd(d.monthly_usd_delta)}** |"
            )
        if len(diff.prompts) > MARKDOWN_ROWS:
            lines.append(f"\n…and {len(diff.prompts) - MARKDOWN_ROWS} more in the details below.")
        chart = delta_chart(diff)
        if len(chart) > 1:  # one bar says nothing the table does not
            lines += ["", "```text", *chart, "```"]
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


# -- text (a table) ---------------------------------------------------------------------------


def render_table(diff: CostDiff, db: PriceDB) -> str:
    lines = [
        f"Cost diff: {diff.base_label} → {diff.head_label} (scenario {diff.scenario})",
        f"Monthly: {totals_line(diff)}",
        "",
    ]
    if diff.prompts:
        rows = [
            [
                d.prompt_id,
                change_text(d),
                arrow(side_model(d.base), side_model(d.head), d),
                arrow(side_tokens(d.base), side_tokens(d.head), d),
                arrow(side_monthly(d, d.base), side_monthly(d, d.head), d),
                signed_usd(d.monthly_usd_delta),
            ]
            for d in diff.prompts
        ]
        headers = ["PROMPT", "CHANGE", "MODEL", "IN TOK", "PER MONTH", "DELTA/MO"]
        lines += [table(headers, rows, right_align=(3, 4, 5)), ""]
    lines.append(counts(diff))
    if diff.gate_changes:
        lines += ["", "Changes to the gate itself:", *(f"  {c}" for c in diff.gate_changes)]
    lines += renames(diff)
    if diff.new_issues:
        lines += ["", "New in this change:", *(f"  {issue_line(i)}" for i in diff.new_issues)]
    if diff.resolved_issues:
        lines += ["", "Resolved:", *(f"  {issue_line(i)}" for i in diff.resolved_issues)]
    lines += ["", f"Prices: price DB {db.origin}, updated {db.updated_at:%Y-%m-%d}; USD."]
    return "\n".join(lines)


# -- json --------------------------------------------------------------------------------------


def _side_json(side: PromptResult | None) -> dict[str, Any] | None:
    if side is None:
        return None
    e = side.estimate
    data: dict[str, Any] = {
        "id": side.prompt_id,
        "path": side.prompt.path,
        "content_hash": side.prompt.content_hash,
        "estimated": e is not None,
    }
    if e is not None:
        data |= {
            "model": e.model_entry.id,
            "input_tokens": e.input_tokens.tokens,
            "token_method": e.input_tokens.method,
            "output_tokens": decimal_text(e.effective_output_tokens),
            "input_per_mtok": decimal_text(e.rates.input),
            "output_per_mtok": decimal_text(e.rates.output),
            "contracted": e.contracted,
            "per_call_usd": decimal_text(e.per_call_usd),
            "monthly_calls": decimal_text(e.monthly_calls),
            "monthly_usd": decimal_text(e.monthly_usd),
        }
    return data


def diff_json(diff: CostDiff, db: PriceDB, threshold: Threshold | None = None) -> str:
    """`llm-cost.diff/1` (docs/ci.md)."""
    return json.dumps(_diff_data(diff, db, threshold), indent=2, ensure_ascii=False)


def _diff_data(diff: CostDiff, db: PriceDB, threshold: Threshold | None) -> dict[str, Any]:
    pct = diff.monthly_pct_delta
    return {
        "schema": JSON_SCHEMA,
        "scenario": diff.scenario,
        "base": {"label": diff.base_label, "monthly_usd": decimal_text(diff.base_monthly_usd)},
        "head": {"label": diff.head_label, "monthly_usd": decimal_text(diff.head_monthly_usd)},
        "price_db": {
            "origin": db.origin,
            "updated_at": db.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "totals": {
            "base_monthly_usd": decimal_text(diff.base_monthly_usd),
            "head_monthly_usd": decimal_text(diff.head_monthly_usd),
            "delta_monthly_usd": decimal_text(diff.monthly_usd_delta),
            "delta_pct": decimal_text(pct.quantize(Decimal("0.01"), ROUND_HALF_UP))
            if pct is not None
            else None,
            "changed": len(diff.prompts),
            "unchanged": diff.unchanged,
            # the change over the prompts priced on both sides, and the changed prompts without
            # a monthly cost on a side (then the change is unknown: delta_monthly_usd leaves
            # them out)
            "priced_delta_monthly_usd": decimal_text(diff.priced_delta_usd),
            "unpriced": [d.prompt_id for d in diff.unpriced],
        },
        "prompts": [
            {
                "id": d.prompt_id,
                "base_id": d.base_id,
                "path": d.path,
                "base_path": d.base_path,
                "changes": list(d.changes),
                "delta": {
                    "input_tokens": d.input_tokens_delta,
                    "monthly_usd": decimal_text(d.monthly_usd_delta),
                },
                "base": _side_json(d.base),
                "head": _side_json(d.head),
            }
            for d in diff.prompts
        ],
        "gate_changes": list(diff.gate_changes),
        "new_issues": [issue_data(i) for i in diff.new_issues],
        "resolved_issues": [issue_data(i) for i in diff.resolved_issues],
        "fail_on_increase": None
        if threshold is None
        else {"threshold": str(threshold), "exceeded": threshold.exceeded_by(diff)},
    }
