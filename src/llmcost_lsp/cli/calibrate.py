"""`llm-cost calibrate --actuals FILE [PATH]`: estimates vs bills per prompt; `--write` tunes
llm-cost.toml. Exit 0; 1 on error-level drift (≥ 50%) when not written; 2 on bad input."""

from __future__ import annotations

import argparse
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost_lsp.cli.terminal import add_format_arg
from llmcost_lsp.cli.workspace_args import add_workspace_args

if TYPE_CHECKING:
    from llmcost_lsp.core.calibrate import CalibrationReport, Change, Metric

JSON_SCHEMA = "llm-cost.calibrate/1"
_LABELS = {
    "requests_per_month": "requests/month",
    "input_tokens_per_request": "input tok/request",
    "output_tokens_per_request": "output tok/request",
    "cost_per_month": "cost/month",
}


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
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.cli.workspace_args import open_workspace
    from llmcost_lsp.core.calibrate import apply_changes, calibrate
    from llmcost_lsp.core.errors import InputError
    from llmcost_lsp.core.focus.actuals import read_actuals
    from llmcost_lsp.core.focus.export import BillingPeriod
    from llmcost_lsp.core.init import read_manifest_exactly
    from llmcost_lsp.core.manifest.edit import write_atomic

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
        data = _json(report, written)
        data["notes"] = ledger_notes
        output = json.dumps(data, indent=2, ensure_ascii=False)
    else:
        output = _table(report)
    if updated is not None:
        write_atomic(workspace.manifest_path, updated)
    print(output)
    if args.format != "json":
        _print_notes(report, written, args.write)
        for note in ledger_notes:
            print(note)
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


def _pct(value: Decimal | None) -> str:
    if value is None:
        return "—"
    percent = (value * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{'+' if percent > 0 else ''}{percent}%"


def _number(value: Decimal | None, metric: str) -> str:
    if value is None:
        return "?"
    if metric == "cost_per_month":
        return f"${value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    return f"{value.quantize(Decimal(1), ROUND_HALF_UP):,}"


def _table(report: CalibrationReport) -> str:
    from llmcost_lsp.present.table import render_table

    rows = []
    for prompt in report.prompts:
        for index, metric in enumerate(prompt.metrics):
            if prompt.not_enough_data:
                status = "too little data" if index == 0 else ""
            else:
                status = "" if metric.severity == "ok" else metric.severity
            rows.append(
                [
                    prompt.prompt_id if index == 0 else "",
                    _LABELS[metric.name],
                    _number(metric.estimated, metric.name),
                    _number(metric.actual, metric.name),
                    _pct(metric.drift),
                    status,
                ]
            )
    headers = ["PROMPT", "METRIC", "ESTIMATE", "ACTUAL", "DRIFT", "STATUS"]
    return render_table(headers, rows, right_align=(2, 3, 4))


def _change_text(change: Change) -> str:
    from llmcost_lsp.core.manifest import format_key_path

    key = format_key_path(change.key_path)
    old = "unset" if change.old is None else str(change.old)
    return f"{key}: {old} -> {change.new}"


def _rows(count: int) -> str:
    return f"{count:,} row{'s' * (count != 1)}"


def _print_notes(report: CalibrationReport, written: list[Change], write: bool) -> None:
    actuals = report.actuals
    print(
        f"\n{actuals.rows_read:,} rows read from {actuals.path} ({actuals.format}); "
        f"requests from {actuals.request_source or 'nowhere (no request counts in the file)'}; "
        f"scenario {report.scenario}"
    )
    if actuals.ignored_rows:
        print(
            f"{_rows(actuals.ignored_rows)} ignored (not Usage, corrections, or outside --period)"
        )
    if actuals.unmatched_rows:
        sample = ", ".join(actuals.unmatched_keys)
        print(f"{_rows(actuals.unmatched_rows)} name no prompt of this workspace: {sample}")
    for prompt in report.prompts:
        if prompt.not_enough_data:
            print(f"{prompt.prompt_id}: not tuned: {'; '.join(prompt.not_enough_data)}")
    estimated = [p.prompt_id for p in report.prompts if p.actual.estimate_rows]
    if estimated:
        print(f"Note: the rows of {', '.join(estimated)} are llm-cost estimates, not bills")
    if report.without_actuals:
        print(f"No actuals for: {', '.join(report.without_actuals)}")
    for change in report.changes:
        if change.refused is not None:
            print(f"kept {_change_text(change)} ({change.refused})")
        elif not write:
            print(f"would set {_change_text(change)}")
    for change in written:
        print(f"set {_change_text(change)}  # {change.comment}")
    if not write and report.writable:
        print("Run again with --write to store these values in llm-cost.toml.")


def _metric_json(metric: Metric) -> dict[str, Any]:
    return {
        "estimated": None if metric.estimated is None else str(metric.estimated),
        "actual": None if metric.actual is None else str(metric.actual),
        "drift": None if metric.drift is None else str(metric.drift),
        "severity": metric.severity,
    }


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "key": list(change.key_path),
        "old": None if change.old is None else str(change.old),
        "new": str(change.new),
        "refused": change.refused,
    }


def _json(report: CalibrationReport, written: list[Change]) -> dict[str, Any]:
    actuals = report.actuals
    return {
        "schema": JSON_SCHEMA,
        "actuals": {
            "path": actuals.path,
            "format": actuals.format,
            "rows_read": actuals.rows_read,
            "ignored_rows": actuals.ignored_rows,
            "unmatched_rows": actuals.unmatched_rows,
            "unmatched_ids": actuals.unmatched_keys,
            "request_source": actuals.request_source,
        },
        "scenario": report.scenario,
        "worst": report.worst,
        "prompts": [
            {
                "id": p.prompt_id,
                "requests": str(p.actual.requests),
                "hours": str(p.actual.span_hours),
                "severity": p.severity,
                "not_enough_data": list(p.not_enough_data),
                "metrics": {m.name: _metric_json(m) for m in p.metrics},
                "changes": [_change_json(c) for c in p.changes],
            }
            for p in report.prompts
        ],
        "tokenizer_changes": [_change_json(c) for c in report.tokenizer_changes],
        "without_actuals": list(report.without_actuals),
        "written": [_change_json(c) for c in written],
    }
