"""`llm-cost estimate [PATH]`: what every prompt costs per call and per month."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from llmcost_lsp.cli.terminal import TABLE_ROWS, Progress, add_format_arg, add_output_arg
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
    add_format_arg(parser, ("text", "json", "markdown"))
    parser.add_argument(
        "--all",
        action="store_true",
        dest="every",
        help=f"list every prompt (the table shows the {TABLE_ROWS} most expensive when there are "
        "more) and every problem (the same one on many prompts is folded into a count)",
    )
    add_output_arg(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.present import estimate as formats

    progress = Progress(quiet=args.quiet)
    workspace = open_workspace(args, progress=progress)
    report = workspace.report(args.scenario, progress)
    progress.clear()
    if args.format == "json":
        data = formats.report_json(report, workspace.db) | coverage_json(workspace, report)
        print(formats.dump_report_json(data))
    elif args.format == "markdown":
        print(formats.render_markdown_report(report, workspace.db) + "\n")  # its own paragraph
        if not args.quiet:
            print_coverage(workspace, report, args.show_skipped, sys.stdout)
    else:
        limit = None if args.every else TABLE_ROWS
        print(formats.render_table_report(report, workspace.db, limit))
        _print_problems(report, every=args.every)
        sys.stderr.flush()  # the problems come before the coverage line on a terminal
        if not args.quiet:
            print_coverage(workspace, report, args.show_skipped, sys.stdout)
    remember_for_diff(workspace, args)
    # a broken manifest is bad input (docs/manifest.md): the table above is without it
    return 2 if any(i.severity == "error" for i in workspace.manifest_issues) else 0


def _print_problems(report: Any, *, every: bool) -> None:
    from llmcost_lsp.present import summarise_repeats
    from llmcost_lsp.present.style import Style

    problems = [i for i in report.issues if i.severity != "info"]
    for result in report.results:
        problems += [i for i in result.issues if i.severity == "error"]
    shown, notes = (problems, []) if every else summarise_repeats(problems)
    style = Style.of(sys.stderr)
    for issue in shown:
        severity = style.paint(issue.severity, issue.severity)
        print(f"{issue.location}: {severity}: {issue.message}", file=sys.stderr)
    for note in notes:
        print(note, file=sys.stderr)
    if problems:
        print("Run `llm-cost check` for budgets and policy.", file=sys.stderr)
