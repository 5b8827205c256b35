"""`llm-cost check [PATH]`: budgets and policy; exit 1 on a violation, 2 on broken input.

The findings are the one analysis the language server publishes and `llmcost-lsp --check`
prints (core/findings.py), rendered by present/findings.py.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from llmcost_lsp.cli.terminal import Progress, add_format_arg, add_output_arg
from llmcost_lsp.cli.workspace_args import (
    add_coverage_args,
    add_workspace_args,
    open_workspace,
    remember_for_diff,
)

FORMATS = ("text", "json", "github")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check budgets, per-call limits and model policy",
        description="Check every prompt under PATH against the budgets and policy of "
        "llm-cost.toml. Exit 0 when clean, 1 on a violation, 2 when the input is broken.",
    )
    add_workspace_args(parser)
    add_coverage_args(parser)
    add_format_arg(parser, FORMATS)
    parser.add_argument(
        "--show-info", action="store_true", help="also print informational findings"
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="every",
        help="list every finding: the same finding on many prompts is not folded into a count",
    )
    add_output_arg(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.findings import analyze, resolve_scenario
    from llmcost_lsp.present.findings import display_base, print_findings

    progress = Progress(quiet=args.quiet)
    workspace = open_workspace(args, broken_manifest_ok=True, freshness=False, progress=progress)
    settings = workspace.settings
    _, unknown = resolve_scenario(workspace, args.scenario)
    workspace.report(None if unknown else args.scenario, progress)  # estimated with progress
    progress.clear()
    findings = analyze(
        workspace,
        args.scenario,
        now=settings.now(),
        ci=settings.ci,
        strict=args.strict,
        allow_stale=args.allow_stale,
    )
    if not any(issue.code == "unknown-scenario" for issue in findings.issues):
        remember_for_diff(workspace, args, findings.check)
    return print_findings(
        findings,
        args.format,
        base=display_base(workspace.root),
        root=workspace.root,
        program="llm-cost",
        out=sys.stdout,
        err=sys.stderr,
        show_info=args.show_info,
        show_skipped=args.show_skipped,
        every=args.every,
        quiet=args.quiet,
    )
