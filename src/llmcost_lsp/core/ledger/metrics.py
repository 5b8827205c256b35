"""Prometheus metrics from the ledger's month rollups (`llm-cost actuals metrics`).

One scrape reads the current month's `rollup_month` rows (one per project × prompt × model,
whatever the day of the month) and the recorders' saved counters, and writes the Prometheus
text exposition format (0.0.4) itself: the format is a few lines of escaping, and writing it
from the rows lets a scrape reuse each series' label text from the previous scrape instead of
building a sample object per series as `prometheus_client`'s collector API does (measured in
benchmarks/bench_metrics.py). The real client's parser and a real Prometheus read it in the
tests.

Counters hold the month so far (UTC) and start again on the 1st, which `rate()` and
`increase()` treat as a counter reset. Money is written as exact decimal text from integer
pico-dollars; Prometheus stores float64, so the ledger stays the accounting truth.

Cardinality: there is never a user or session label. A label whose distinct values pass its
cap (prompts 1,000, models 100, projects 100 by default) keeps the most expensive values this
month and folds the rest into `__other__` (sums are kept, so totals still add up); a value
longer than 120 characters is cut and suffixed with a hash (two long ids stay apart);
`llmcost_folded_label_values{label}` says how many values were folded.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmcost_lsp.core.ledger.rows import MonthKey, Totals
from llmcost_lsp.core.ledger.store import SqlStore

if TYPE_CHECKING:
    from llmcost_lsp.core.manifest import Manifest

OTHER = "__other__"
NONE = "(none)"
MAX_LABEL_CHARS = 120
TOKEN_COMPONENTS = (
    ("input", "input_tokens"),  # all input, cache reads and writes included
    ("cache_read", "cache_read_tokens"),
    ("cache_write_5m", "cache_write_5m_tokens"),
    ("cache_write_1h", "cache_write_1h_tokens"),
    ("output", "output_tokens"),  # reasoning included
    ("reasoning", "reasoning_tokens"),
)


@dataclass(frozen=True)
class Caps:
    """How many distinct values each label may have before the rest is folded."""

    prompts: int = 1000
    models: int = 100
    projects: int = 100


@dataclass(frozen=True)
class BudgetScope:
    """A monthly budget and the calls it covers: every call (workspace), one prompt, or the
    prompts carrying a tag in the manifest."""

    scope: str  # "workspace", "prompt:<id>", "tag:<key>=<value>"
    budget_usd: Decimal | None
    prompts: frozenset[str] | None  # None: every prompt


def budget_scopes(manifest: Manifest | None) -> list[BudgetScope]:
    """The manifest's monthly budgets as scopes; the workspace scope is always there."""
    if manifest is None:
        return [BudgetScope("workspace", None, None)]
    scopes = [BudgetScope("workspace", manifest.budgets.monthly_usd, None)]
    for prompt_id, entry in sorted(manifest.prompts.items()):
        if entry.budget_monthly_usd is not None:
            scopes.append(
                BudgetScope(f"prompt:{prompt_id}", entry.budget_monthly_usd, frozenset([prompt_id]))
            )
    for key, values in sorted(manifest.budgets.tags.items()):
        for value, amount in sorted(values.items()):
            tagged = frozenset(
                prompt_id
                for prompt_id, entry in manifest.prompts.items()
                if entry.tags.get(key) == value
            )
            scopes.append(BudgetScope(f"tag:{key}={value}", amount, tagged))
    return scopes


def scope_prompts(
    scope: BudgetScope, keys: Iterable[str], name: Callable[[str], str] = str
) -> set[str]:
    """Which of `keys` (prompt ids as `name` maps them) `scope` covers."""
    keys = set(keys)
    if scope.prompts is None:
        return keys
    return {name(prompt) for prompt in scope.prompts} & keys


def scope_cost(
    scope: BudgetScope, by_prompt: Mapping[str, int], name: Callable[[str], str] = str
) -> int:
    """The priced cost (pico-USD) of the calls `scope` covers, from the cost per prompt
    (`name` maps a manifest prompt id to the key `by_prompt` uses)."""
    return sum(by_prompt[key] for key in scope_prompts(scope, by_prompt, name))


def month_share(now: datetime) -> Decimal:
    """The share of `now`'s month (UTC) elapsed, at least an hour's worth."""
    now = now.astimezone(UTC)
    days = calendar.monthrange(now.year, now.month)[1]
    elapsed = (now - datetime(now.year, now.month, 1, tzinfo=UTC)).total_seconds()
    return Decimal(max(elapsed, 3600.0)) / Decimal(days * 86400)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def label_value(value: str) -> str:
    """A label value as exported: "(none)" for empty, long ones cut with a hash suffix."""
    if not value:
        return NONE
    if len(value) <= MAX_LABEL_CHARS:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:8]
    return f"{value[: MAX_LABEL_CHARS - 9]}…{digest}"


def usd_text(pico: int) -> str:
    """Exact decimal text of an amount in pico-dollars."""
    sign = "-" if pico < 0 else ""
    whole, part = divmod(abs(pico), 10**12)
    return f"{sign}{whole}.{part:012d}".rstrip("0").rstrip(".") if part else f"{sign}{whole}"


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _keep(totals: Mapping[str, Totals], cap: int) -> set[str]:
    """The values that keep their own label: the `cap - 1` most expensive (then busiest),
    or all of them when they fit."""
    if len(totals) <= cap:
        return set(totals)
    ranked = sorted(totals, key=lambda v: (-totals[v].cost_pusd, -totals[v].calls, v))
    return set(ranked[: max(cap - 1, 0)])


# Every metric family a scrape writes, in its order: name → (type, help).
FAMILIES: dict[str, tuple[str, str]] = {
    "llmcost_requests_total": (
        "counter", "LLM calls recorded this month (UTC; starts again on the 1st).",
    ),
    "llmcost_cost_usd_total": (
        "counter", "Cost of the priced calls this month in USD (exact in the ledger).",
    ),
    "llmcost_unpriced_requests_total": (
        "counter", "Calls this month the price DB could not price (not in the cost).",
    ),
    "llmcost_tokens_total": (
        "counter", "Tokens this month by component (input and output are inclusive).",
    ),
    "llmcost_month_to_date_usd": (
        "gauge", "Cost of the priced calls this month per budget scope, USD.",
    ),
    "llmcost_budget_monthly_usd": (
        "gauge", "The manifest's monthly budget per scope, USD (absent: no budget).",
    ),
    "llmcost_month_forecast_usd": (
        "gauge", "Month-to-date cost projected to the month's end at the same pace "
        "(month-to-date x month length / time elapsed), USD.",
    ),
    "llmcost_ledger_last_write_timestamp_seconds": (
        "gauge", "When a recorder last wrote a batch to the ledger (Unix time).",
    ),
    "llmcost_ledger_lag_seconds": (
        "gauge", "Seconds since any recorder last wrote to the ledger.",
    ),
    "llmcost_ledger_last_call_timestamp_seconds": (
        "gauge", "Time of the latest call recorded this month (Unix time).",
    ),
    "llmcost_recorder_dropped_total": (
        "counter", "Calls recorders dropped because their buffer was full.",
    ),
    "llmcost_recorder_rejected_total": (
        "counter", "Calls recorders rejected as malformed usage.",
    ),
    "llmcost_recorder_write_errors_total": (
        "counter", "Failed ledger writes (each batch is retried).",
    ),
    "llmcost_folded_label_values": (
        "gauge", "Distinct label values folded into __other__ by the cardinality cap.",
    ),
}  # fmt: skip


@dataclass
class _Family:
    """The sample lines of one family (FAMILIES says its type and help)."""

    name: str
    lines: list[str] = field(default_factory=list)

    def add(self, labels: str, value: object) -> None:
        self.lines.append(f"{self.name}{labels} {value}")


def _families(*names: str) -> list[_Family]:
    return [_Family(name) for name in names]


_SUMMED = ("calls", "unpriced", "input_tokens", "cache_read_tokens", "cache_write_5m_tokens",
           "cache_write_1h_tokens", "output_tokens", "reasoning_tokens", "cost_pusd",
           "list_cost_pusd")  # fmt: skip


_CALLS, _COST = _SUMMED.index("calls"), _SUMMED.index("cost_pusd")


def _figures(totals: Totals | None) -> list[int]:
    if totals is None:
        return [0] * len(_SUMMED)
    t = totals  # in _SUMMED's order, spelled out: this runs for every changed series
    return [t.calls, t.unpriced, t.input_tokens, t.cache_read_tokens, t.cache_write_5m_tokens,
            t.cache_write_1h_tokens, t.output_tokens, t.reasoning_tokens, t.cost_pusd,
            t.list_cost_pusd]  # fmt: skip


def _totals_of(figures: list[int]) -> Totals:
    return Totals(*figures)


class Exporter:
    """Builds the exposition text of one ledger, scrape after scrape.

    A scrape reads only the month rows written since the previous one (`seq`), updates the
    sums it keeps, and formats again only the series that changed: at 20,000 series a scrape
    costs what the new calls cost, not what the month holds. The first scrape of a month reads
    it all. When a label has more values than its cap, series are folded and built again
    whole on every scrape (slower, bounded output)."""

    def __init__(
        self,
        store: SqlStore,
        *,
        project: str | None = None,
        scopes: Sequence[BudgetScope] = (),
        caps: Caps = Caps(),
    ) -> None:
        self.store = store
        self.project = project
        self.scopes = list(scopes) or [BudgetScope("workspace", None, None)]
        self.caps = caps
        self._labels: dict[tuple[str, ...], str] = {}
        self._month = ""
        self.folded: dict[str, int] = {}

    def _reset(self, month: str) -> None:
        self._month = month
        self._seq = -1
        # keys are (project, prompt_id, model) tuples: hashed thousands of times a scrape
        self._raw: dict[tuple[str, str, str], Totals] = {}  # the month rows as stored
        self._exported: dict[tuple[str, str, str], tuple[str, str, str]] = {}  # their labels
        # sums by exported label values (unfolded), as lists of the _SUMMED figures
        self._series: dict[tuple[str, str, str], list[int]] = {}
        self._requests: dict[tuple[str, str, str], str] = {}  # lines, made when changed
        self._cost: dict[tuple[str, str, str], str] = {}
        self._by_model: dict[tuple[str, str], list[int]] = {}
        self._prompt_cost: dict[str, int] = {}
        self._values: dict[str, dict[str, int]] = {"project": {}, "prompt_id": {}, "model": {}}
        self._last_call: dict[str, int] = {}

    def _label_text(self, names: tuple[str, ...], values: tuple[str, ...]) -> str:
        key = (*names, *values)
        text = self._labels.get(key)
        if text is None:
            pairs = ",".join(
                f'{name}="{_escape(value)}"' for name, value in zip(names, values, strict=True)
            )
            text = self._labels[key] = "{" + pairs + "}"
        return text

    def render(self, now: datetime) -> str:
        """The exposition text for the month of `now` (UTC)."""
        now = now.astimezone(UTC)
        month = f"{now.year:04d}-{now.month:02d}"
        if month != self._month:
            self._reset(month)
        for key, totals, seq in self.store.month_changes(month, self._seq, self.project):
            self._apply((key.project, key.prompt_id, key.model), totals)
            self._seq = max(self._seq, seq)
        over = any(len(self._values[label]) > cap for label, cap in self._caps().items())
        if over:
            series = self._folded((MonthKey(month, *k), t) for k, t in self._raw.items())
            requests: dict[tuple[str, str, str], str] = {}
            cost: dict[tuple[str, str, str], str] = {}
            for key, totals in series.items():
                labels = (key.project, key.prompt_id, key.model)
                requests[labels], cost[labels] = self._format(
                    labels, totals.calls, totals.cost_pusd
                )
            by_model: dict[tuple[str, str], Totals] = {}
            prompt_cost: dict[str, int] = {}
            for key, totals in series.items():
                by_model.setdefault((key.project, key.model), Totals()).add(totals)
                prompt_cost[key.prompt_id] = prompt_cost.get(key.prompt_id, 0) + totals.cost_pusd
        else:
            self.folded = {label: 0 for label in self._values}
            requests, cost, prompt_cost = self._requests, self._cost, self._prompt_cost
            by_model = {key: _totals_of(figures) for key, figures in self._by_model.items()}
        families = {
            family.name: family
            for family in (
                *self._call_families(requests, cost, by_model),
                *self._budget_families(prompt_cost, now),
                *self._health_families(now),
            )
        }
        out: list[str] = []
        for name, (kind, text) in FAMILIES.items():
            out.append(f"# HELP {name} {text}")
            out.append(f"# TYPE {name} {kind}")
            if families[name].lines:
                out.append("\n".join(families[name].lines))
        return "\n".join(out) + "\n"

    def _caps(self) -> dict[str, int]:
        """Each label's cap on distinct values."""
        return {"project": self.caps.projects, "prompt_id": self.caps.prompts,
                "model": self.caps.models}  # fmt: skip

    # -- series ------------------------------------------------------------------------------

    def _apply(self, key: tuple[str, str, str], totals: Totals) -> None:
        """One changed month row: replace it, and move the sums from its old to its new
        figures."""
        old = self._raw.get(key)
        self._raw[key] = totals
        exported = self._exported.get(key)
        if exported is None:
            exported = self._exported[key] = (
                label_value(key[0]), label_value(key[1]), label_value(key[2])
            )  # fmt: skip
        project, prompt_id, model = exported
        if old is None:
            for label, value in zip(("project", "prompt_id", "model"), exported, strict=True):
                self._values[label][value] = self._values[label].get(value, 0) + 1
        new, before = _figures(totals), _figures(old)
        delta = [a - b for a, b in zip(new, before, strict=True)]
        series = self._series.get(exported)
        if series is None:
            series = self._series[exported] = [0] * len(_SUMMED)
        pair = self._by_model.get((project, model))
        if pair is None:
            pair = self._by_model[(project, model)] = [0] * len(_SUMMED)
        for index, change in enumerate(delta):
            series[index] += change
            pair[index] += change
        self._prompt_cost[prompt_id] = self._prompt_cost.get(prompt_id, 0) + delta[_COST]
        self._requests[exported], self._cost[exported] = self._format(
            exported, series[_CALLS], series[_COST]
        )
        if totals.last_ts is not None:
            self._last_call[project] = max(self._last_call.get(project, 0), totals.last_ts)

    def _format(self, key: tuple[str, str, str], calls: int, cost_pusd: int) -> tuple[str, str]:
        labels = self._label_text(("project", "prompt_id", "model"), key)
        return (
            f"llmcost_requests_total{labels} {calls}",
            f"llmcost_cost_usd_total{labels} {usd_text(cost_pusd)}",
        )

    def _folded(self, rows: Iterable[tuple[MonthKey, Totals]]) -> dict[MonthKey, Totals]:
        """Rows keyed by exported label values, over-cap values folded into __other__."""
        rows = list(rows)
        self.folded = {}
        by: dict[str, dict[str, Totals]] = {"project": {}, "prompt_id": {}, "model": {}}
        for key, totals in rows:
            for label, value in (("project", key.project), ("prompt_id", key.prompt_id),
                                 ("model", key.model)):  # fmt: skip
                by[label].setdefault(label_value(value), Totals()).add(totals)
        caps = self._caps()
        keep = {label: _keep(values, caps[label]) for label, values in by.items()}
        for label, values in by.items():
            self.folded[label] = len(values) - len(keep[label])
        out: dict[MonthKey, Totals] = {}
        for key, totals in rows:
            project, prompt, model = (
                label_value(key.project), label_value(key.prompt_id), label_value(key.model)
            )  # fmt: skip
            exported = MonthKey(
                key.month,
                project if project in keep["project"] else OTHER,
                prompt if prompt in keep["prompt_id"] else OTHER,
                model if model in keep["model"] else OTHER,
            )
            found = out.get(exported)
            if found is None:
                out[exported] = found = Totals()
            found.add(totals)
        return out

    def _call_families(
        self,
        requests_lines: Mapping[Any, str],
        cost_lines: Mapping[Any, str],
        by_model: Mapping[tuple[str, str], Totals],
    ) -> list[_Family]:
        requests, cost, unpriced, tokens = _families(
            "llmcost_requests_total", "llmcost_cost_usd_total",
            "llmcost_unpriced_requests_total", "llmcost_tokens_total",
        )  # fmt: skip
        # one pre-joined block each: tens of thousands of unchanged lines are not copied
        requests.lines = ["\n".join(requests_lines.values())] if requests_lines else []
        cost.lines = ["\n".join(cost_lines.values())] if cost_lines else []
        for (project, model), totals in sorted(by_model.items()):
            labels = self._label_text(("project", "model"), (project, model))
            unpriced.add(labels, totals.unpriced)
            for component, name in TOKEN_COMPONENTS:
                labels = self._label_text(
                    ("project", "model", "component"), (project, model, component)
                )
                tokens.add(labels, getattr(totals, name))
        return [requests, cost, unpriced, tokens]

    def _budget_families(self, by_prompt: Mapping[str, int], now: datetime) -> list[_Family]:
        spent, budget, forecast = _families(
            "llmcost_month_to_date_usd", "llmcost_budget_monthly_usd", "llmcost_month_forecast_usd"
        )
        share = month_share(now)
        for scope in self.scopes:
            pico = scope_cost(scope, by_prompt, label_value)
            labels = self._label_text(("scope",), (label_value(scope.scope),))
            spent.add(labels, usd_text(pico))
            projected = (Decimal(pico) / share / 10**12).quantize(Decimal("0.000001"))
            forecast.add(labels, _decimal_text(projected))
            if scope.budget_usd is not None:
                budget.add(labels, _decimal_text(scope.budget_usd))
        return [spent, budget, forecast]

    def _health_families(self, now: datetime) -> list[_Family]:
        stats = self.store.writer_stats(self.project)
        last_write, lag, last_call, *counters, folded = _families(
            "llmcost_ledger_last_write_timestamp_seconds", "llmcost_ledger_lag_seconds",
            "llmcost_ledger_last_call_timestamp_seconds", "llmcost_recorder_dropped_total",
            "llmcost_recorder_rejected_total", "llmcost_recorder_write_errors_total",
            "llmcost_folded_label_values",
        )  # fmt: skip
        per_project: dict[str, list[int]] = {}
        for item in stats:
            sums = per_project.setdefault(label_value(item.project), [0, 0, 0, 0])
            sums[0] = max(sums[0], item.seen_ts)
            sums[1] += item.dropped
            sums[2] += item.rejected
            sums[3] += item.write_errors
        for project, (seen, dropped, rejected, errors) in sorted(per_project.items()):
            labels = self._label_text(("project",), (project,))
            last_write.add(labels, _seconds(seen))
            for family, value in zip(counters, (dropped, rejected, errors), strict=True):
                family.add(labels, value)
        if per_project:
            newest = max(seen for seen, *_ in per_project.values())
            seconds = max(now.timestamp() - newest / 1_000_000, 0.0)
            lag.add("", f"{seconds:.3f}")
        for project, ts in sorted(self._last_call.items()):
            labels = self._label_text(("project",), (project,))
            last_call.add(labels, _seconds(ts))
        for label, count in sorted(self.folded.items()):
            labels = self._label_text(("label",), (label,))
            folded.add(labels, count)
        return [last_write, lag, last_call, *counters, folded]


def _seconds(micros: int) -> str:
    whole, part = divmod(micros, 1_000_000)
    return f"{whole}.{part:06d}"


def today_of(now: datetime) -> date:
    return now.astimezone(UTC).date()
