"""`llm-cost report [PATH] -o report.html`: one self-contained HTML page with the costs as
charts (present/html.py): by prompt, model and tag, budgets, scenarios, and a diff (--base)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from llmcost_lsp.cli.terminal import Progress, add_format_arg, add_output_arg
from llmcost_lsp.cli.workspace_args import add_workspace_args, open_workspace


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write an HTML page with the costs as charts (offline, self-contained)",
        description="Write one self-contained HTML page (no network, nothing to load): cost by "
        "prompt, by model and by tag, the budgets as bars, every scenario side by side, and "
        "with --base the diff against a git ref. Example: llm-cost report -o cost.html",
    )
    add_workspace_args(parser)
    add_format_arg(parser, ("html",), default="html")
    parser.add_argument(
        "--base", metavar="REF", help="also show what changed since this git ref or commit"
    )
    add_output_arg(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.report_output is None and sys.stdout.isatty():
        print(
            "llm-cost: error: the report is an HTML page: write it to a file with "
            "-o report.html (or redirect stdout)",
            file=sys.stderr,
        )
        return 2
    from llmcost_lsp.present.html import Page, render_page

    progress = Progress(quiet=args.quiet)
    workspace = open_workspace(args, progress=progress)
    report = workspace.report(args.scenario, progress)
    progress.clear()
    names = [None, *(workspace.manifest.scenarios if workspace.manifest else ())]
    scenarios = [workspace.report(name) for name in dict.fromkeys(names) if name != "baseline"]
    diff = None
    if args.base:
        from llmcost_lsp.core.diff.git import diff_git

        diff = diff_git(
            workspace.root,
            args.base,
            None,
            args.scenario,
            db=workspace.db,
            use_persistent_cache=not args.no_cache,
            pricing_date=args.price_date,
        )
    db = workspace.db
    page = Page(
        title=workspace.root.resolve().name,
        report=report,
        scenarios=scenarios,
        manifest=workspace.manifest,
        price_db=f"{db.origin}, updated {db.updated_at:%Y-%m-%d}",
        generated=workspace.settings.today().isoformat(),
        diff=diff,
    )
    sys.stdout.write(render_page(page))
    return 0
