"""Calibration: compare the estimates with what the bills say, and learn volumes and ratios.

Per prompt: requests per month, input and output tokens per request, and cost per month,
estimated vs actual, with drift = (actual − estimate) / estimate. A prompt is only tuned from
≥ 100 requests covering ≥ 24 hours. From the runtime ledger, which counts cache reads and
writes on every call, each prompt's cache shares are learned too (`cache_hit_ratio`,
`cache_write_ratio` under `[prompts.<id>]`, replacing the scenario's for that prompt).
`apply_changes` writes the learned values into llm-cost.toml through manifest.edit, with a
`# calibrated <date> from <file>` comment on each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from llmcost_lsp.core.estimate import Estimate
from llmcost_lsp.core.focus.actuals import Actuals, PromptActuals
from llmcost_lsp.core.manifest import Manifest
from llmcost_lsp.core.manifest.edit import CALIBRATED_MARK, Value, set_value
from llmcost_lsp.core.workspace import PromptResult, Report, Workspace

Severity = Literal["ok", "warning", "error"]
MetricName = Literal[
    "requests_per_month", "input_tokens_per_request", "output_tokens_per_request", "cost_per_month"
]


RATIO_STEP = Decimal("0.01")  # cache shares are learned to a percent


@dataclass(frozen=True)
class Thresholds:
    warning: Decimal = Decimal("0.20")
    error: Decimal = Decimal("0.50")
    min_requests: int = 100
    min_hours: int = 24


@dataclass(frozen=True)
class Metric:
    """One compared figure. `drift` is None when either side is unknown or the estimate is 0."""

    name: MetricName
    estimated: Decimal | None
    actual: Decimal | None
    drift: Decimal | None
    severity: Severity


@dataclass(frozen=True)
class Change:
    """A manifest value calibrate would write (or did not, and why)."""

    key_path: tuple[str, ...]
    old: int | Decimal | None
    new: int | Decimal
    comment: str
    refused: str | None = None  # e.g. "locked"


@dataclass(frozen=True)
class PromptCalibration:
    prompt_id: str
    actual: PromptActuals
    estimate: Estimate | None
    metrics: tuple[Metric, ...]
    not_enough_data: tuple[str, ...]  # why this prompt is not tuned ("only 40 requests …")
    changes: tuple[Change, ...]

    @property
    def severity(self) -> Severity:
        """The worst drift; drift from too little data is shown but never an error."""
        if self.not_enough_data:
            return "ok"
        order: dict[Severity, int] = {"ok": 0, "warning": 1, "error": 2}
        return max((m.severity for m in self.metrics), key=order.__getitem__, default="ok")


@dataclass(frozen=True)
class CalibrationReport:
    actuals: Actuals
    scenario: str
    prompts: tuple[PromptCalibration, ...]
    without_actuals: tuple[str, ...]  # workspace prompts the file says nothing about
    tokenizer_changes: tuple[Change, ...] = field(default=())

    @property
    def changes(self) -> list[Change]:
        found = [c for p in self.prompts for c in p.changes] + list(self.tokenizer_changes)
        return found

    @property
    def writable(self) -> list[Change]:
        return [c for c in self.changes if c.refused is None]

    @property
    def worst(self) -> Severity:
        levels = [p.severity for p in self.prompts]
        return "error" if "error" in levels else "warning" if "warning" in levels else "ok"


def drift(estimated: Decimal | None, actual: Decimal | None) -> Decimal | None:
    if estimated is None or actual is None or estimated == 0:
        return None
    return (actual - estimated) / estimated


def _severity(
    estimated: Decimal | None, actual: Decimal | None, thresholds: Thresholds
) -> tuple[Decimal | None, Severity]:
    value = drift(estimated, actual)
    if value is None:
        lopsided = estimated == 0 and actual is not None and actual > 0
        return None, "error" if lopsided else "ok"
    size = abs(value)
    if size >= thresholds.error:
        return value, "error"
    if size >= thresholds.warning:
        return value, "warning"
    return value, "ok"


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _metrics(
    estimate: Estimate | None, actual: PromptActuals, requests_known: bool, thresholds: Thresholds
) -> tuple[Metric, ...]:
    months = actual.months
    has_tokens = actual.input_tokens > 0 or actual.output_tokens > 0
    per_request = requests_known and actual.requests > 0
    pairs: list[tuple[MetricName, Decimal | None, Decimal | None]] = [
        (
            "requests_per_month",
            estimate.monthly_calls if estimate else None,
            actual.requests / months if requests_known and months > 0 else None,
        ),
        (
            "input_tokens_per_request",
            Decimal(estimate.input_tokens.tokens) if estimate else None,
            actual.input_tokens / actual.requests if per_request and has_tokens else None,
        ),
        (
            "output_tokens_per_request",
            estimate.effective_output_tokens if estimate else None,
            actual.output_tokens / actual.requests if per_request and has_tokens else None,
        ),
        (
            "cost_per_month",
            estimate.monthly_usd if estimate else None,
            actual.cost_usd / months if months > 0 else None,
        ),
    ]
    metrics = []
    for name, estimated, measured in pairs:
        value, level = _severity(estimated, measured, thresholds)
        metrics.append(Metric(name, estimated, measured, value, level))
    return tuple(metrics)


def _not_enough(actual: PromptActuals, requests_known: bool, thresholds: Thresholds) -> list[str]:
    reasons = []
    if not requests_known:
        reasons.append("the file has no request counts (x_Requests, a Requests unit, or wide rows)")
    elif actual.requests < thresholds.min_requests:
        reasons.append(
            f"only {_whole(actual.requests):,} requests (needs ≥ {thresholds.min_requests})"
        )
    if actual.span_hours < thresholds.min_hours:
        hours = actual.span_hours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        reasons.append(f"only {hours} h of data (needs ≥ {thresholds.min_hours} h)")
    return reasons


def _current(manifest: Manifest | None, prompt_id: str, key: str) -> int | None:
    if manifest is None:
        return None
    entry = manifest.prompts.get(prompt_id)
    value = getattr(entry, key, None) if entry else None
    if value is None:
        value = getattr(manifest.defaults, key, None)
    return value if isinstance(value, int) else None


def _prompt_changes(
    result: PromptResult,
    actual: PromptActuals,
    metrics: tuple[Metric, ...],
    manifest: Manifest | None,
    comment: str,
) -> list[Change]:
    estimate = result.estimate
    if estimate is None:
        return []
    by_name = {m.name: m for m in metrics}
    wanted: list[tuple[str, Decimal | None, Decimal]] = [
        (
            "calls_per_month",
            by_name["requests_per_month"].actual,
            estimate.scenario.calls_multiplier,
        ),
        (
            "output_tokens",
            by_name["output_tokens_per_request"].actual,
            estimate.scenario.output_tokens_multiplier,
        ),
    ]
    changes = []
    for key, measured, multiplier in wanted:
        if measured is None or multiplier == 0:
            continue
        new = _whole(measured / multiplier)  # the manifest holds the value before the scenario
        old = _current(manifest, result.prompt_id, key)
        if new == old:
            continue
        locked = result.entry is not None and result.entry.is_locked(key)
        changes.append(
            Change(("prompts", result.prompt_id, key), old, new, comment,
                   "locked" if locked else None)
        )  # fmt: skip
    return changes


def _cache_changes(result: PromptResult, actual: PromptActuals, comment: str) -> list[Change]:
    """The prompt's measured cache shares of all its input (reads, writes), to 0.01. The hit
    share is always written (0 too: no cache use is a fact); the write share when there were
    writes or the prompt already has one. Rounded so that the two never exceed 1 together."""
    if actual.input_tokens <= 0:
        return []
    hit = (actual.cached_tokens / actual.input_tokens).quantize(RATIO_STEP, ROUND_HALF_UP)
    write = (actual.cache_write_tokens / actual.input_tokens).quantize(RATIO_STEP, ROUND_HALF_UP)
    write = min(write, 1 - hit)
    entry = result.entry
    changes = []
    for key, new, current in (
        ("cache_hit_ratio", hit, entry.cache_hit_ratio if entry else None),
        ("cache_write_ratio", write, entry.cache_write_ratio if entry else None),
    ):
        if new == current or (key == "cache_write_ratio" and new == 0 and current is None):
            continue
        refused = "locked" if entry is not None and entry.is_locked(key) else None
        changes.append(Change(("prompts", result.prompt_id, key), current, new, comment, refused))
    return changes


def _tokenizer_changes(
    workspace: Workspace, tuned: Iterable[PromptCalibration], comment: str
) -> list[Change]:
    """Per approximate tokenizer family, the ratio that makes the scaled part of the estimate
    (the text, without overhead and token-sized variables) match the bills:
    ratio × Σ (actual − unscaled) / Σ (estimated − unscaled), weighted by requests, over the
    prompts with enough data."""
    sums: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    for prompt in tuned:
        estimate = prompt.estimate
        metric = next(m for m in prompt.metrics if m.name == "input_tokens_per_request")
        if estimate is None or estimate.input_tokens.is_exact or metric.actual is None:
            continue
        spec = workspace.db.tokenizer_for(estimate.model_entry)
        parts = estimate.input_tokens.parts
        if spec.ratio is None or parts is None:
            continue
        fixed = parts.unscaled  # chat overhead, token-sized variables, extra_input_tokens
        scaled_estimate = Decimal(estimate.input_tokens.tokens - fixed)
        if scaled_estimate <= 0:
            continue  # nothing the ratio scales: this prompt cannot tell
        manifest = workspace.manifest
        current = manifest.calibration.tokenizers.get(spec.family) if manifest else None
        ratio = current.ratio if current else spec.ratio
        actual_sum, estimated_sum, _ = sums.get(spec.family, (Decimal(0), Decimal(0), ratio))
        requests = prompt.actual.requests
        sums[spec.family] = (
            actual_sum + max(metric.actual - fixed, Decimal(0)) * requests,
            estimated_sum + scaled_estimate * requests,
            ratio,
        )
    changes = []
    for family, (actual_sum, estimated_sum, ratio) in sorted(sums.items()):
        if estimated_sum == 0:
            continue
        new = (ratio * actual_sum / estimated_sum).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if new == ratio or new <= 0:
            continue
        manifest = workspace.manifest
        entry = manifest.calibration.tokenizers.get(family) if manifest else None
        refused = None
        if entry is not None and entry.locked:
            refused = "locked"
        elif new > 10:
            refused = f"learned ratio {new} is implausible (more than 10)"
        changes.append(
            Change(("calibration", "tokenizers", family, "ratio"), ratio, new, comment, refused)
        )
    return changes


def calibrate(
    workspace: Workspace,
    actuals: Actuals,
    *,
    source: str,
    today: date,
    scenario: str | None = None,
    thresholds: Thresholds | None = None,
) -> CalibrationReport:
    """Compare every prompt the actuals mention with its estimate under `scenario`."""
    thresholds = thresholds or Thresholds()
    report: Report = workspace.report(scenario)
    by_id = {r.prompt_id: r for r in report.results}
    comment = f"{CALIBRATED_MARK}{today.isoformat()} from {source}"
    prompts = []
    for prompt_id in sorted(actuals.prompts):
        actual = actuals.prompts[prompt_id]
        result = by_id.get(prompt_id)
        if result is None:
            continue
        metrics = _metrics(result.estimate, actual, actuals.requests_known, thresholds)
        reasons = tuple(_not_enough(actual, actuals.requests_known, thresholds))
        changes: tuple[Change, ...] = ()
        if not reasons:
            changes = tuple(_prompt_changes(result, actual, metrics, workspace.manifest, comment))
            if actuals.cache_measured and result.estimate is not None:
                changes += tuple(_cache_changes(result, actual, comment))
        prompts.append(
            PromptCalibration(prompt_id, actual, result.estimate, metrics, reasons, changes)
        )
    tuned = [p for p in prompts if not p.not_enough_data]
    return CalibrationReport(
        actuals=actuals,
        scenario=report.scenario.name,
        prompts=tuple(prompts),
        without_actuals=tuple(sorted(set(by_id) - set(actuals.prompts))),
        tokenizer_changes=tuple(_tokenizer_changes(workspace, tuned, comment)),
    )


def apply_changes(text: str, changes: Iterable[Change], *, today: date, source: str) -> str:
    """The manifest text with every allowed change set; comments and formatting are kept."""
    for change in changes:
        if change.refused is not None:
            continue
        value: Value = change.new
        text = set_value(text, change.key_path, value, change.comment)
        if change.key_path[:2] == ("calibration", "tokenizers"):
            table = change.key_path[:3]
            text = set_value(text, (*table, "source"), f"llm-cost calibrate --actuals {source}")
            text = set_value(text, (*table, "calibrated_on"), today.isoformat())
    return text
