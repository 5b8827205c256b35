"""`llm-cost check [PATH]`: budgets and policy; exit 1 on a violation, 2 on broken input."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from llmcost_lsp.cli.workspace_args import (
    add_coverage_args,
    add_workspace_args,
    coverage_json,
    open_workspace,
    print_coverage,
    remember_for_diff,
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check budgets, per-call limits and model policy",
        description="Check every prompt under PATH against the budgets and policy of "
        "llm-cost.toml. Exit 0 when clean, 1 on a violation, 2 when the input is broken.",
    )
    add_workspace_args(parser)
    add_coverage_args(parser)
    parser.add_argument("--format", "-f", choices=("text", "json", "github"), default="text")
    parser.add_argument(
        "--show-info", action="store_true", help="also print informational findings"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.check import check_report
    from llmcost_lsp.present import (
        fold_repeats,
        github_data,
        issue_data,
        issue_line,
        monthly_total,
    )

    workspace = open_workspace(args, broken_manifest_ok=True)
    result = check_report(
        workspace.report(args.scenario), workspace.manifest, workspace.settings.today()
    )
    remember_for_diff(workspace, args, result)
    code = result.exit_code(strict=args.strict)
    shown = [i for i in result.issues if args.show_info or i.severity != "info"]
    if args.format == "json":
        data = {
            "schema": "llm-cost.check/1",
            "scenario": result.report.scenario.name,
            "exit_code": code,
            "monthly_usd": str(result.report.monthly_usd),
            "issues": [issue_data(i) for i in result.issues],
            **coverage_json(workspace, result.report),
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return code
    notes: list[str] = []
    if args.format == "text":  # annotations stay one per file: GitHub places each one
        shown, notes = fold_repeats(shown)
    for issue in shown:
        print(issue_line(issue, args.format))
    for note in notes:
        print(note)
    errors, warnings = len(result.errors), len(result.warnings)
    summary = (
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} · "
        f"{monthly_total(result.report)}/month (scenario {result.report.scenario.name})"
    )
    print(
        summary if args.format == "text" else f"::notice::{github_data(summary)}", file=sys.stderr
    )
    notice = "::notice::" if args.format == "github" else ""
    print_coverage(workspace, result.report, args.show_skipped, sys.stderr, notice)
    return code
