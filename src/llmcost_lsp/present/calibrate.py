"""A calibration for people and machines: `llm-cost calibrate`'s table of estimates against
bills with its notes, or JSON (`llm-cost.calibrate/1`)."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from llmcost_lsp.core.calibrate import CalibrationReport, Change, Metric
from llmcost_lsp.core.manifest import format_key_path
from llmcost_lsp.present.table import render_table

JSON_SCHEMA = "llm-cost.calibrate/1"
_LABELS = {
    "requests_per_month": "requests/month",
    "input_tokens_per_request": "input tok/request",
    "output_tokens_per_request": "output tok/request",
    "cost_per_month": "cost/month",
}


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


def calibration_table(report: CalibrationReport) -> str:
    """Each prompt's metrics: estimate, actual, drift and status."""
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
    key = format_key_path(change.key_path)
    old = "unset" if change.old is None else str(change.old)
    return f"{key}: {old} -> {change.new}"


def _rows(count: int) -> str:
    return f"{count:,} row{'s' * (count != 1)}"


def calibration_notes(report: CalibrationReport, written: list[Change], write: bool) -> list[str]:
    """What was read, ignored and left untuned, and each change: would set, set, kept."""
    actuals = report.actuals
    notes: list[str] = []
    notes.append(
        f"{actuals.rows_read:,} rows read from {actuals.path} ({actuals.format}); "
        f"requests from {actuals.request_source or 'nowhere (no request counts in the file)'}; "
        f"scenario {report.scenario}"
    )
    if actuals.ignored_rows:
        notes.append(
            f"{_rows(actuals.ignored_rows)} ignored (not Usage, corrections, or outside --period)"
        )
    if actuals.unmatched_rows:
        sample = ", ".join(actuals.unmatched_keys)
        notes.append(f"{_rows(actuals.unmatched_rows)} name no prompt of this workspace: {sample}")
    for prompt in report.prompts:
        if prompt.not_enough_data:
            notes.append(f"{prompt.prompt_id}: not tuned: {'; '.join(prompt.not_enough_data)}")
    estimated = [p.prompt_id for p in report.prompts if p.actual.estimate_rows]
    if estimated:
        notes.append(f"Note: the rows of {', '.join(estimated)} are llm-cost estimates, not bills")
    if report.without_actuals:
        notes.append(f"No actuals for: {', '.join(report.without_actuals)}")
    for change in report.changes:
        if change.refused is not None:
            notes.append(f"kept {_change_text(change)} ({change.refused})")
        elif not write:
            notes.append(f"would set {_change_text(change)}")
    for change in written:
        notes.append(f"set {_change_text(change)}  # {change.comment}")
    if not write and report.writable:
        notes.append("Run again with --write to store these values in llm-cost.toml.")
    return notes


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


def calibration_json(report: CalibrationReport, written: list[Change], notes: list[str]) -> str:
    """`llm-cost.calibrate/1` (docs/calibrate.md), with the notes of a ledger read."""
    return json.dumps(_json(report, written) | {"notes": notes}, indent=2, ensure_ascii=False)


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
