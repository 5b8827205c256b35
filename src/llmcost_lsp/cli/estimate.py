"""`llm-cost estimate [PATH]`: what every prompt costs per call and per month."""

from __future__ import annotations

import argparse
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
        "estimate",
        help="estimate the cost of every prompt in a workspace",
        description="Estimate per-call and monthly cost of every prompt under PATH, offline. "
        "Works without llm-cost.toml; the manifest adds volumes, variables and scenarios.",
    )
    add_workspace_args(parser)
    add_coverage_args(parser)
    parser.add_argument("--format", "-f", choices=("table", "json", "markdown"), default="table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.cli import report_formats as formats

    workspace = open_workspace(args)
    report = workspace.report(args.scenario)
    if args.format == "json":
        data = formats.report_json(report, workspace.db) | coverage_json(workspace, report)
        print(formats.dump_report_json(data))
    elif args.format == "markdown":
        print(formats.render_markdown_report(report, workspace.db) + "\n")  # its own paragraph
        print_coverage(workspace, report, args.show_skipped, sys.stdout)
    else:
        print(formats.render_table_report(report, workspace.db))
        _print_problems(report)
        sys.stderr.flush()  # the problems come before the coverage line on a terminal
        print_coverage(workspace, report, args.show_skipped, sys.stdout)
    remember_for_diff(workspace, args)
    # a broken manifest is bad input (docs/manifest.md): the table above is without it
    return 2 if any(i.severity == "error" for i in workspace.manifest_issues) else 0


def _print_problems(report: Any) -> None:
    from llmcost_lsp.present import fold_repeats

    problems = [i for i in report.issues if i.severity != "info"]
    for result in report.results:
        problems += [i for i in result.issues if i.severity == "error"]
    shown, notes = fold_repeats(problems)
    for issue in shown:
        print(f"{issue.location}: {issue.severity}: {issue.message}", file=sys.stderr)
    for note in notes:
        print(note, file=sys.stderr)
    if problems:
        print("Run `llm-cost check` for budgets and policy.", file=sys.stderr)
