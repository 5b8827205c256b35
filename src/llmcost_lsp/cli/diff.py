"""`llm-cost diff --base REF`: what a change does to the monthly bill, per prompt and in total.

Renderers (table, markdown for a PR comment, json) live here; the server's `llmcost.diff`
shows the same markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost_lsp.cli.workspace_args import add_workspace_args

if TYPE_CHECKING:
    from llmcost_lsp.core.diff import CostDiff, PromptDiff, Threshold
    from llmcost_lsp.core.issues import Issue
    from llmcost_lsp.core.pricing.db import PriceDB
    from llmcost_lsp.core.workspace import PromptResult

JSON_SCHEMA = "llm-cost.diff/1"
MARKER = "<!-- llm-cost-diff -->"  # finds the sticky PR comment again (action/pr_comment.py)
MARKDOWN_ROWS = 20  # the comment's main table; every prompt is in the details below it


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="cost difference between a git base and the working tree (or another commit)",
        description="Estimate PATH at the git commit BASE (read from git objects, no checkout) "
        "and in the working tree (or at --head), and show what changed per prompt and in total. "
        "Exit 1 when --fail-on-increase is exceeded.",
    )
    add_workspace_args(parser)
    parser.add_argument(
        "--base", required=True, metavar="REF", help="git ref or commit to compare against"
    )
    parser.add_argument(
        "--head", metavar="REF", help="git ref for the new side (default: the working tree)"
    )
    parser.add_argument("--format", "-f", choices=("table", "json", "markdown"), default="table")
    parser.add_argument(
        "--fail-on-increase",
        metavar="PCT%|USD",
        help="exit 1 when the monthly total rises by more than this: 10%% of the base, "
        "or 50 (USD per month)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.cli.freshness import apply_freshness
    from llmcost_lsp.core.diff import diff_git, parse_threshold
    from llmcost_lsp.core.errors import InputError
    from llmcost_lsp.core.pricing.db import load_price_db

    threshold = parse_threshold(args.fail_on_increase) if args.fail_on_increase else None
    root = Path(args.path)
    if not root.is_dir():
        raise InputError(f"{args.path}: no such folder" if not root.exists() else
                         f"{args.path} is a file; give the workspace folder")  # fmt: skip
    db = load_price_db()
    apply_freshness(args, db)
    diff = diff_git(
        root,
        args.base,
        args.head,
        args.scenario,
        db=db,
        use_persistent_cache=not args.no_cache,
        pricing_date=args.price_date,
    )
    exceeded = threshold is not None and threshold.exceeded_by(diff)
    if args.format == "json":
        print(json.dumps(diff_json(diff, db, threshold), indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        print(render_markdown(diff, db, threshold))
    else:
        print(render_table(diff, db))
    if exceeded:
        assert threshold is not None
        print(
            f"llm-cost: monthly cost rises by {headline(diff)}, over --fail-on-increase "
            f"{threshold}",
            file=sys.stderr,
        )
        return 1
    return 0


# -- shared pieces -----------------------------------------------------------------------------


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def usd(value: Decimal | None) -> str:
    """Monthly dollars: cents, or 2 significant digits where cents would show $0.00."""
    from llmcost_lsp.cli.report_formats import money

    if value is None:
        return "?"
    if value < 0:
        return "-" + usd(-value)
    if value == 0 or value >= Decimal("0.005"):
        return money(value)
    digits = Decimal(1).scaleb(value.adjusted() - 1)
    return f"${format(value.quantize(digits, ROUND_HALF_UP).normalize(), 'f')}"


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


def signed_int(value: int | None) -> str:
    if value is None:
        return "?"
    return f"{value:+,}" if value else "0"


def headline(diff: CostDiff) -> str:
    """`+$41.20/month (+7.5%)`, or `no change` when the totals are equal."""
    delta = diff.monthly_usd_delta
    if _cents(delta) == 0 and delta == 0:
        return "no change"
    pct = diff.monthly_pct_delta
    return f"{signed_usd(delta)}/month ({signed_pct(pct) if pct is not None else 'from $0'})"


def change_text(d: PromptDiff) -> str:
    return ", ".join(d.changes)


def _tokens(side: PromptResult | None) -> str:
    from llmcost_lsp.cli.report_formats import tokens_text

    if side is None:
        return "–"
    return tokens_text(side.estimate.input_tokens) if side.estimate else "?"


def _model(side: PromptResult | None) -> str:
    if side is None:
        return "–"
    return side.estimate.model_entry.id if side.estimate else "(none)"


def _arrow(old: str, new: str, d: PromptDiff) -> str:
    if d.base is None:
        return new
    if d.head is None:
        return old
    return new if old == new else f"{old} → {new}"


def _side_monthly(d: PromptDiff, side: PromptResult | None) -> str:
    if side is None:
        return "–"
    return usd(side.estimate.monthly_usd if side.estimate else None)


def _renames(diff: CostDiff) -> list[str]:
    lines = []
    for d in diff.prompts:
        if "renamed" in d.changes and d.base is not None:
            was = f"{d.base_path}" + (f" (id {d.base_id})" if d.base_id != d.prompt_id else "")
            lines.append(f"{d.prompt_id}: renamed from {was} to {d.path}")
    return lines


def _totals_line(diff: CostDiff) -> str:
    base, head = usd(diff.base_monthly_usd), usd(diff.head_monthly_usd)
    return f"{base} → {head}: {headline(diff)}"


def _counts(diff: CostDiff) -> str:
    changed = len(diff.prompts)
    return f"{changed} prompt{'s' * (changed != 1)} changed, {diff.unchanged} unchanged" + (
        f"; {len(diff.head.incomplete)} without a monthly cost" if diff.head.incomplete else ""
    )


def _issue_line(issue: Issue) -> str:
    loc = issue.location
    return f"{loc.path}:{loc.line or 1}:{loc.column or 1}: {issue.severity}: {issue.code}: " + (
        issue.message
    )


# -- table -------------------------------------------------------------------------------------


def render_table(diff: CostDiff, db: PriceDB) -> str:
    from llmcost_lsp.cli.table import render_table as table

    lines = [
        f"Cost diff: {diff.base_label} → {diff.head_label} (scenario {diff.scenario})",
        f"Monthly: {_totals_line(diff)}",
        "",
    ]
    if diff.prompts:
        rows = [
            [
                d.prompt_id,
                change_text(d),
                _arrow(_model(d.base), _model(d.head), d),
                _arrow(_tokens(d.base), _tokens(d.head), d),
                _arrow(_side_monthly(d, d.base), _side_monthly(d, d.head), d),
                signed_usd(d.monthly_usd_delta),
            ]
            for d in diff.prompts
        ]
        headers = ["PROMPT", "CHANGE", "MODEL", "IN TOK", "PER MONTH", "DELTA/MO"]
        lines += [table(headers, rows, right_align=(3, 4, 5)), ""]
    lines.append(_counts(diff))
    lines += _renames(diff)
    if diff.new_issues:
        lines += ["", "New in this change:", *(f"  {_issue_line(i)}" for i in diff.new_issues)]
    if diff.resolved_issues:
        lines += ["", "Resolved:", *(f"  {_issue_line(i)}" for i in diff.resolved_issues)]
    lines += ["", f"Prices: price DB {db.origin}, updated {db.updated_at:%Y-%m-%d}; USD."]
    return "\n".join(lines)


# -- markdown (a PR comment) -------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def _md_issue(issue: Issue) -> str:
    loc = issue.location
    where = f"`{loc.path}:{loc.line}`" if loc.line else f"`{loc.path}`"
    mark = {"error": "**error**", "warning": "warning"}.get(issue.severity, issue.severity)
    return f"- {mark} {where} {_md(issue.message)} (`{issue.code}`)"


def render_markdown(diff: CostDiff, db: PriceDB, threshold: Threshold | None = None) -> str:
    """The PR comment: headline, the biggest changes, budgets crossed, then every detail."""
    lines = [
        MARKER,
        f"### LLM cost: {headline(diff)}",
        "",
        f"**{usd(diff.base_monthly_usd)} → {usd(diff.head_monthly_usd)}** per month · "
        f"scenario `{diff.scenario}` · `{diff.base_label}` → `{diff.head_label}` · "
        f"{_counts(diff)}",
    ]
    if threshold is not None:
        over = threshold.exceeded_by(diff)
        lines += [
            "",
            f"**Over the limit:** the increase is above `--fail-on-increase {threshold}`."
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
                f"| `{_md(d.prompt_id)}` | {_md(change_text(d))} | "
                f"{_arrow(_tokens(d.base), _tokens(d.head), d)} | "
                f"{_arrow(_side_monthly(d, d.base), _side_monthly(d, d.head), d)} | "
                f"**{signed_usd(d.monthly_usd_delta)}** |"
            )
        if len(diff.prompts) > MARKDOWN_ROWS:
            lines.append(f"\n…and {len(diff.prompts) - MARKDOWN_ROWS} more in the details below.")
    else:
        lines += ["", "No prompt changed cost."]
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
    lines = [f"**`{_md(d.prompt_id)}`** ({_md(change_text(d))}) · `{_md(path)}`", ""]
    lines += ["| | base | head |", "|---|--:|--:|"]
    for label, pick in _DETAIL_ROWS:
        old = pick(d.base) if d.base else "–"
        new = pick(d.head) if d.head else "–"
        lines.append(f"| {label} | {_md(old)} | {_md(new)} |")
    return [*lines, ""]


def _detail(side: PromptResult, what: str) -> str:
    from llmcost_lsp.cli.report_formats import money, tokens_text

    e = side.estimate
    if e is None:
        return next((i.message for i in side.issues), "not estimated")[:60]
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


# -- json --------------------------------------------------------------------------------------


def _side_json(side: PromptResult | None) -> dict[str, Any] | None:
    from llmcost_lsp.cli.report_formats import decimal_text

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


def diff_json(diff: CostDiff, db: PriceDB, threshold: Threshold | None = None) -> dict[str, Any]:
    from llmcost_lsp.cli.report_formats import decimal_text, issue_json

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
        "new_issues": [issue_json(i) for i in diff.new_issues],
        "resolved_issues": [issue_json(i) for i in diff.resolved_issues],
        "fail_on_increase": None
        if threshold is None
        else {"threshold": str(threshold), "exceeded": threshold.exceeded_by(diff)},
    }
