"""`llm-cost export focus`: the workspace's estimates as a FOCUS 1.2/1.3 CSV (a group: more
export formats can join `focus` as further subcommands)."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

from llmcost_lsp.cli.workspace_args import add_workspace_args


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export the estimates in another format (FOCUS)",
        description="Export the estimates of a workspace for other tools.",
    )
    formats = parser.add_subparsers(dest="export_format", metavar="FORMAT")
    parser.set_defaults(run=lambda _args: _usage(parser))
    focus = formats.add_parser(
        "focus",
        help="FOCUS cost-and-usage CSV (FinOps Open Cost and Usage Specification)",
        description="Write one FOCUS row per prompt × price component for a billing month. "
        "BilledCost is 0.00 (an estimate is not billed); the estimate is in EffectiveCost. "
        "Prompts without a known monthly volume are left out (listed on stderr). "
        "See docs/focus.md.",
    )
    add_workspace_args(focus)
    focus.add_argument(
        "--period",
        metavar="YYYY-MM",
        help="billing month (default: the current month, UTC)",
    )
    focus.add_argument(
        "--focus-version",
        choices=("1.2", "1.3"),
        default="1.2",
        help="FOCUS version (default 1.2; 1.3 adds ServiceProviderName and HostProviderName)",
    )
    focus.add_argument(
        "--hack-billed-cost",
        action="store_true",
        help="legacy: put the estimate in BilledCost too, tagged x-hack-billed-cost, for tools "
        "that drop zero-cost rows",
    )
    focus.add_argument("-o", "--output", metavar="FILE", help="write here (atomically), not stdout")
    focus.add_argument(
        "--validate",
        action="store_true",
        help="check the export against every FOCUS rule llm-cost knows; exit 1 on a violation",
    )
    focus.set_defaults(run=run_focus)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


_LEFT_OUT_SHOWN = 20


def _report_left_out(left_out: Any) -> None:
    """Name the prompts left out (up to 20), so a short export is never mistaken for a total."""
    for left in left_out[:_LEFT_OUT_SHOWN]:
        reason = left.reason if len(left.reason) <= 90 else left.reason[:89] + "…"
        print(f"llm-cost: left out {left.prompt_id}: {reason}", file=sys.stderr)
    if len(left_out) > _LEFT_OUT_SHOWN:
        print(f"llm-cost: … and {len(left_out) - _LEFT_OUT_SHOWN} more", file=sys.stderr)
    if left_out:
        count = len(left_out)
        print(
            f"llm-cost: {count} prompt{'s' * (count != 1)} without a known monthly cost "
            "left out of the export (never written as 0)",
            file=sys.stderr,
        )


def run_focus(args: argparse.Namespace) -> int:
    from llmcost_lsp.cli.workspace_args import open_workspace
    from llmcost_lsp.core.focus.conformance import check_table
    from llmcost_lsp.core.focus.export import (
        BillingPeriod,
        ExportOptions,
        FocusExport,
        write_csv,
        write_csv_file,
    )

    workspace = open_workspace(args)
    period = (
        BillingPeriod.parse(args.period)
        if args.period
        else BillingPeriod.containing(workspace.settings.now())
    )
    options = ExportOptions(
        period=period,
        version=args.focus_version,
        hack_billed_cost=args.hack_billed_cost,
        billing_account_name=workspace.root.name or None,
    )
    export = FocusExport(workspace.report(args.scenario), options)
    _report_left_out(export.left_out)
    if args.output:
        rows = write_csv_file(export, Path(args.output))
        print(
            f"llm-cost: wrote {rows:,} rows ({len(export.included):,} prompts, period {period}, "
            f"FOCUS {args.focus_version}, scenario {export.scenario}) to {args.output}",
            file=sys.stderr,
        )
        text = Path(args.output).read_bytes().decode("utf-8") if args.validate else ""
    else:
        buffer = io.StringIO()
        rows = write_csv(export, buffer)
        text = buffer.getvalue()
        sys.stdout.write(text)
    if args.validate:  # what a reader of the bytes gets, not what we meant to write
        table = list(csv.reader(io.StringIO(text, newline="")))
        header, cells = (table[0], table[1:]) if table else ([], [])
        if len(cells) != rows:
            print(
                f"llm-cost: the CSV reads back as {len(cells):,} records, not the {rows:,} rows "
                "written",
                file=sys.stderr,
            )
            return 1
        violations = check_table(header, cells, args.focus_version, house=True)
        for violation in violations:
            print(f"llm-cost: FOCUS {args.focus_version}: {violation}", file=sys.stderr)
        if violations:
            return 1
        print(f"llm-cost: conforms to FOCUS {args.focus_version}", file=sys.stderr)
    return 0
