"""`llm-cost calibrate --actuals FILE [PATH]`: estimates vs bills per prompt; `--write` tunes
llm-cost.toml. Exit 0; 1 on error-level drift (≥ 50%) when not written; 2 on bad input."""

from __future__ import annotations

import argparse
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost_lsp.cli.terminal import add_format_arg, add_output_arg
from llmcost_lsp.cli.workspace_args import add_workspace_args

if TYPE_CHECKING:
    from llmcost_lsp.core.calibrate import Change


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "calibrate",
        help="compare estimates with actual usage (FOCUS) and tune llm-cost.toml",
        description="Read a FOCUS actuals file (CSV, gzip CSV or Parquet), compare each "
        "prompt's requests, tokens and cost with its estimate, and with --write store the "
        "learned calls_per_month, output_tokens and tokenizer ratios in llm-cost.toml. "
        "Drift ≥ 20% warns, ≥ 50% is an error (exit 1 unless --write). See docs/focus.md.",
    )
    add_workspace_args(parser)
    parser.add_argument(
        "--actuals",
        required=True,
        metavar="FILE",
        help="FOCUS CSV, .csv.gz or Parquet file, or `ledger` (the runtime ledger; "
        "`ledger:LOCATION` names one)",
    )
    parser.add_argument(
        "--period", metavar="YYYY-MM", help="only rows whose charge starts in this month"
    )
    parser.add_argument(
        "--tag-key",
        metavar="KEY",
        help="the Tags key that holds the prompt id (default: prompt_id, else ResourceId)",
    )
    parser.add_argument(
        "--write", action="store_true", help="update llm-cost.toml with the learned values"
    )
    add_format_arg(parser, ("text", "json"))
    add_output_arg(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.cli.workspace_args import open_workspace
    from llmcost_lsp.core.calibrate import apply_changes, calibrate
    from llmcost_lsp.core.errors import InputError
    from llmcost_lsp.core.focus.actuals import read_actuals
    from llmcost_lsp.core.focus.export import BillingPeriod
    from llmcost_lsp.core.init import read_manifest_exactly
    from llmcost_lsp.core.manifest.edit import write_atomic
    from llmcost_lsp.present.calibrate import (
        calibration_json,
        calibration_notes,
        calibration_table,
    )

    period = BillingPeriod.parse(args.period) if args.period else None
    workspace = open_workspace(args)
    ledger_notes: list[str] = []
    if args.actuals == "ledger" or args.actuals.startswith("ledger:"):
        actuals, ledger_notes = _ledger_actuals(args, workspace, period)
    else:
        actuals = read_actuals(
            Path(args.actuals),
            tag_key=args.tag_key,
            period=period,
            known_ids={p.id for p in workspace.prompts},
            display_path=args.actuals,
        )
    actuals.raise_if_malformed()
    if not actuals.prompts:
        seen = ", ".join(actuals.unmatched_keys) or "none"
        raise InputError(
            f"no usage row of {args.actuals} names a prompt of this workspace "
            f"({actuals.unmatched_rows:,} rows unmatched; ids seen: {seen})",
            code="no-matching-actuals",
            hint="rows map by the Tags key prompt_id, else ResourceId; "
            "--tag-key KEY reads another tag",
        )
    today = workspace.settings.today()
    source = "ledger" if actuals.format == "ledger" else Path(args.actuals).name
    report = calibrate(workspace, actuals, source=source, today=today, scenario=args.scenario)
    written: list[Change] = []
    updated: str | None = None
    if args.write and report.writable:
        path = workspace.manifest_path
        # bytes as they are: CRLF or CR line ends and a BOM stay (init reads the same way)
        text, bom = read_manifest_exactly(path) if path.exists() else ("", "")
        ending = _line_end(text)
        editable = text.replace("\r", "\n") if ending == "\r" else text  # TOML has no lone CR
        edited = apply_changes(editable, report.writable, today=today, source=source)
        updated = bom + (re.sub(r"\r\n|\r|\n", ending, edited) if ending else edited)
        written = report.writable
    # everything shown is rendered before the manifest is touched: an input that fails to
    # render must not leave the manifest rewritten behind an error
    if args.format == "json":
        output = calibration_json(report, written, ledger_notes)
    else:
        notes = calibration_notes(report, written, args.write)
        output = "\n".join([calibration_table(report), "", *notes, *ledger_notes])
    if updated is not None:
        write_atomic(workspace.manifest_path, updated)
    print(output)
    if report.worst == "error" and not args.write:
        return 1
    return 0


def _ledger_actuals(args: argparse.Namespace, workspace: Any, period: Any) -> tuple[Any, list[str]]:
    """calibrate's Actuals from the runtime ledger: one model per prompt (the estimate's)."""
    from llmcost_lsp.core.ledger.api import display_location, ledger_location
    from llmcost_lsp.core.ledger.calibration import cache_hit_ratio, ledger_actuals
    from llmcost_lsp.core.ledger.store import open_store
    from llmcost_lsp.core.ledger.summary import Period

    named = args.actuals.removeprefix("ledger").removeprefix(":")
    location = named or ledger_location(workspace.manifest, root=workspace.root)
    models = {}
    for prompt in workspace.prompts:
        entry = workspace.model_entry(prompt.id)
        models[prompt.id] = entry.id if entry else None
    window = Period(period.start.date(), period.end.date()) if period else Period(None, None)
    project = workspace.manifest.actuals.project if workspace.manifest else None
    with open_store(location) as store:
        found = ledger_actuals(store, display_location(location), models, window, project=project)
    notes = list(found.notes)
    for prompt_id, prompt in sorted(found.actuals.prompts.items()):
        ratio = cache_hit_ratio(prompt)
        if ratio is not None:
            notes.append(f"{prompt_id}: {_pct_plain(ratio)} of input tokens were cache hits")
    return found.actuals, notes


def _pct_plain(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _line_end(text: str) -> str | None:
    """CRLF or CR when the file ends every line so (the lines an edit adds end the same), else
    None (LF, or mixed: left as the edit makes it)."""
    crlf = text.count("\r\n")
    lone_cr, lone_lf = text.count("\r") - crlf, text.count("\n") - crlf
    if crlf and not lone_cr and not lone_lf:
        return "\r\n"
    if lone_cr and not crlf and not lone_lf:
        return "\r"
    return None
