"""`llm-cost diff --base REF`: what a change does to the monthly bill, per prompt and in total.

Table and JSON here; the markdown (a PR comment, also what the editor's `llmcost.diff` shows)
and the money formatting in llmcost_lsp/present_diff.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost_lsp.cli.terminal import add_format_arg, add_output_arg
from llmcost_lsp.cli.workspace_args import add_workspace_args, workspace_root

if TYPE_CHECKING:
    from llmcost_lsp.core.diff.model import CostDiff, Threshold
    from llmcost_lsp.core.pricing.db import PriceDB
    from llmcost_lsp.core.workspace import PromptResult

JSON_SCHEMA = "llm-cost.diff/1"


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
    add_format_arg(parser, ("text", "json", "markdown"))
    add_output_arg(parser)
    parser.add_argument(
        "--fail-on-increase",
        metavar="PCT%|USD",
        help="exit 1 when the monthly total rises by more than this: 10%% of the base, "
        "or 50 (USD per month)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.cli.freshness import apply_freshness
    from llmcost_lsp.core.diff.git import diff_git
    from llmcost_lsp.core.diff.model import parse_threshold
    from llmcost_lsp.core.pricing.db import load_price_db
    from llmcost_lsp.present_diff import headline, render_markdown, unpriced_text

    threshold = parse_threshold(args.fail_on_increase) if args.fail_on_increase else None
    root = workspace_root(args.path)
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
    if _head_manifest_broken(root, args.head):
        return 2
    if exceeded and diff.unpriced:
        print(
            f"llm-cost: {unpriced_text(diff)}: the increase is unknown, not zero",
            file=sys.stderr,
        )
        return 1
    if exceeded:
        assert threshold is not None
        print(
            f"llm-cost: monthly cost rises by {headline(diff)}, over --fail-on-increase "
            f"{threshold}",
            file=sys.stderr,
        )
        return 1
    return 0


def _head_manifest_broken(root: Path, head: str | None) -> bool:
    """A head manifest with errors makes the diff exit 2 (after the diff is printed): its
    numbers ignored the manifest. Says which errors on stderr. `head`: a git ref, or None for
    the working tree."""
    import subprocess

    from llmcost_lsp.core.manifest import MANIFEST_FILENAME, analyze_manifest
    from llmcost_lsp.present import issue_line

    if head is None:
        path = root / MANIFEST_FILENAME
        raw = path.read_bytes() if path.is_file() else None
    else:  # `REF:./path` is relative to the folder git runs in
        shown = subprocess.run(
            ["git", "show", f"{head}:./{MANIFEST_FILENAME}"], cwd=root, capture_output=True
        )
        raw = shown.stdout if shown.returncode == 0 else None
    if raw is None:
        return False
    text = raw.decode("utf-8", "replace").removeprefix("\ufeff").replace("\r\n", "\n")
    errors = analyze_manifest(text, MANIFEST_FILENAME).errors
    for issue in errors:
        print(issue_line(issue), file=sys.stderr)
    if errors:
        side = "the working tree's" if head is None else f"{head}'s"
        print(f"llm-cost: error: {side} {MANIFEST_FILENAME} has errors: exit 2", file=sys.stderr)
    return bool(errors)


# -- table -------------------------------------------------------------------------------------


def render_table(diff: CostDiff, db: PriceDB) -> str:
    from llmcost_lsp.present.table import render_table as table
    from llmcost_lsp.present_diff import (
        arrow,
        change_text,
        counts,
        issue_line,
        renames,
        side_model,
        side_monthly,
        side_tokens,
        signed_usd,
        totals_line,
    )

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
    from llmcost_lsp.present import decimal_text

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
    from llmcost_lsp.present import decimal_text, issue_data

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
