"""What `llm-cost actuals alerts` finds in the ledger: budget thresholds, cost spikes, drift from
the estimate and the weekly/monthly reports. Evaluation only: the presentation layer writes the
messages, `integrations/webhook.py` delivers them, the ledger's `alerts_sent` table remembers
what was delivered where (so each alert goes out once per destination).

- **Budget**: month-to-date cost of each budget scope (the workspace, each prompt with
  `budget_monthly_usd`, each tag budget: `metrics.budget_scopes`) from the month rollups; an
  alert for the highest share of `[alerts] budget_thresholds` reached this month (UTC). The lower
  shares it passed are superseded: recorded as sent without a message of their own.
- **Spike**: a prompt's cost over the last 60 minutes against its mean hour over the
  `spike_baseline_hours` before them (hours without calls count as $0): a spike when above
  `spike_factor` × that mean *and* above `spike_min_usd`. Read from the raw rows of those hours
  through the `ts` index; at most one alert per prompt per UTC hour.
- **Drift**: `core.ledger.drift`, the editor's rule; once per prompt, month and direction.
- **Reports**: the last complete week (Monday-Sunday, UTC) and month, once each, when the
  ledger has calls in them.

Money is the priced calls' cost in exact pico-dollars; unpriced calls are counted and named,
never taken as $0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from llmcost_lsp.core.ledger.drift import PromptDrift
from llmcost_lsp.core.ledger.metrics import BudgetScope, scope_cost
from llmcost_lsp.core.ledger.price import pico_usd
from llmcost_lsp.core.ledger.rows import Totals, micros
from llmcost_lsp.core.ledger.store import HOUR_US, SqlStore
from llmcost_lsp.core.ledger.summary import Period, SummaryLine, summarise

if TYPE_CHECKING:
    from llmcost_lsp.core.manifest import AlertKind, AlertsConfig

Severity = Literal["info", "warning", "critical"]


@dataclass(frozen=True)
class BudgetAlert:
    scope: BudgetScope
    month: str  # YYYY-MM
    threshold: Decimal  # the share reached, e.g. 0.8
    spent_pusd: int
    budget_pusd: int
    unpriced: int  # calls of the scope this month without a price (not in `spent_pusd`)

    @property
    def share(self) -> Decimal | None:
        return Decimal(self.spent_pusd) / self.budget_pusd if self.budget_pusd else None


@dataclass(frozen=True)
class SpikeAlert:
    prompt_id: str
    hour_end: datetime  # the last hour is [hour_end - 1h, hour_end)
    last_hour_pusd: int
    baseline_pusd: Decimal  # mean cost of an hour over the baseline hours
    baseline_hours: int
    calls: int  # in the last hour
    unpriced: int

    @property
    def factor(self) -> Decimal | None:
        return Decimal(self.last_hour_pusd) / self.baseline_pusd if self.baseline_pusd else None


@dataclass(frozen=True)
class SpendReport:
    cadence: Literal["weekly", "monthly"]
    name: str  # 2026-W48, 2026-11
    period: Period
    total: Totals
    previous: Totals  # the period before, for the change
    by_prompt: tuple[SummaryLine, ...]
    by_model: tuple[SummaryLine, ...]
    budgets: tuple[tuple[BudgetScope, int], ...]  # monthly: each budget and its month's cost


@dataclass(frozen=True)
class Alert:
    """One message to deliver. `key` names it for deduplication: the same condition in the
    same period has the same key, run after run."""

    key: str
    kind: AlertKind
    severity: Severity
    project: str | None
    detail: BudgetAlert | SpikeAlert | PromptDrift | SpendReport
    supersedes: tuple[str, ...] = ()  # keys this alert replaces (lower budget shares)


@dataclass(frozen=True)
class AlertRules:
    thresholds: tuple[Decimal, ...] = (Decimal("0.5"), Decimal("0.8"), Decimal(1))
    spike_factor: Decimal = Decimal(3)
    spike_baseline_hours: int = 24
    spike_min_pusd: int = 5 * 10**12
    drift: bool = True
    reports: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: AlertsConfig) -> AlertRules:
        return cls(
            tuple(sorted(set(config.budget_thresholds))),
            config.spike_factor,
            config.spike_baseline_hours,
            pico_usd(config.spike_min_usd),
            config.drift,
            tuple(config.reports),
        )


def _key(*parts: str | None) -> str:
    return "|".join(part or "*" for part in parts)


def _pct(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def budget_alerts(
    store: SqlStore,
    now: datetime,
    scopes: Sequence[BudgetScope],
    rules: AlertRules,
    project: str | None = None,
) -> list[Alert]:
    """The highest threshold each budget scope has reached this month."""
    month = now.astimezone(UTC).strftime("%Y-%m")
    cost: dict[str, int] = {}
    unpriced: dict[str, int] = {}
    for key, totals in store.month_rollups(month, project):
        cost[key.prompt_id] = cost.get(key.prompt_id, 0) + totals.cost_pusd
        unpriced[key.prompt_id] = unpriced.get(key.prompt_id, 0) + totals.unpriced
    out = []
    for scope in scopes:
        if scope.budget_usd is None or not rules.thresholds:
            continue
        budget = pico_usd(scope.budget_usd)
        spent = scope_cost(scope, cost)
        if budget:
            reached = [t for t in rules.thresholds if spent >= t * budget]
        else:  # a $0 budget: any spend is over it
            reached = list(rules.thresholds) if spent > 0 else []
        if not reached:
            continue
        top = reached[-1]
        out.append(
            Alert(
                _key("budget", project, scope.scope, month, _pct(top)),
                "budget",
                "critical" if top >= 1 else "warning",
                project,
                BudgetAlert(scope, month, top, spent, budget, scope_cost(scope, unpriced)),
                tuple(_key("budget", project, scope.scope, month, _pct(t)) for t in reached[:-1]),
            )
        )
    return out


def spike_alerts(
    store: SqlStore, now: datetime, rules: AlertRules, project: str | None = None
) -> list[Alert]:
    """Prompts whose last 60 minutes cost more than `spike_factor` × their mean hour before."""
    hours = rules.spike_baseline_hours
    until = micros(now)
    rows = store.hourly_cost(until - (hours + 1) * HOUR_US, until, project)
    last: dict[str, tuple[int, int, int]] = {}
    before: dict[str, int] = {}
    for prompt_id, hours_ago, calls, unpriced, cost in rows:
        if hours_ago == 0:
            last[prompt_id] = (calls, unpriced, cost)
        else:
            before[prompt_id] = before.get(prompt_id, 0) + cost
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H")
    out = []
    for prompt_id, (calls, unpriced, cost) in sorted(last.items()):
        mean = Decimal(before.get(prompt_id, 0)) / hours
        if cost < rules.spike_min_pusd or cost <= rules.spike_factor * mean:
            continue
        out.append(
            Alert(
                _key("spike", project, prompt_id, stamp),
                "spike",
                "warning",
                project,
                SpikeAlert(prompt_id, now, cost, mean, hours, calls, unpriced),
            )
        )
    return out


def drift_alerts(
    found: Sequence[PromptDrift], now: datetime, project: str | None = None
) -> list[Alert]:
    """The editor's drift warnings as alerts, once per prompt, month and direction."""
    month = now.astimezone(UTC).strftime("%Y-%m")
    return [
        Alert(
            _key("drift", project, item.prompt_id, month, item.direction),
            "drift",
            "warning",
            project,
            item,
        )
        for item in found
    ]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_before(first: date) -> date:
    return _month_start(first - timedelta(days=1))


def report_alerts(
    store: SqlStore,
    now: datetime,
    rules: AlertRules,
    scopes: Sequence[BudgetScope] = (),
    project: str | None = None,
    top: int = 10,
) -> list[Alert]:
    """The spend report of the last complete week and/or month, when it had calls."""
    today = now.astimezone(UTC).date()
    out = []
    for cadence in rules.reports:
        if cadence == "weekly":
            until = _monday(today)
            since, before = until - timedelta(days=7), until - timedelta(days=14)
            year, week, _ = since.isocalendar()
            name = f"{year}-W{week:02d}"
        else:
            until = _month_start(today)
            since = _month_before(until)
            before = _month_before(since)
            name = since.strftime("%Y-%m")
        period = Period(since, until)
        by_prompt = summarise(store, "prompt", period, project=project)
        total = _sum(by_prompt)
        if not total.calls:
            continue
        previous = _sum(summarise(store, "prompt", Period(before, since), project=project))
        costs = {line.key: line.totals.cost_pusd for line in by_prompt}
        budgets = (
            tuple(
                (scope, scope_cost(scope, costs))
                for scope in scopes
                if scope.budget_usd is not None
            )
            if cadence == "monthly"
            else ()
        )
        report = SpendReport(
            "weekly" if cadence == "weekly" else "monthly",
            name,
            period,
            total,
            previous,
            tuple(by_prompt[:top]),
            tuple(summarise(store, "model", period, project=project)[:top]),
            budgets,
        )
        out.append(Alert(_key("report", project, cadence, name), "report", "info", project, report))
    return out


def _sum(lines: Sequence[SummaryLine]) -> Totals:
    total = Totals()
    for line in lines:
        total.add(line.totals)
    return total


def evaluate(
    store: SqlStore,
    now: datetime,
    rules: AlertRules,
    scopes: Sequence[BudgetScope],
    *,
    project: str | None = None,
    drifts: Sequence[PromptDrift] = (),
) -> list[Alert]:
    """Every alert the ledger raises at `now`: budgets, spikes, drift (`drifts`, from
    `core.ledger.drift` when a workspace is at hand), reports."""
    alerts = budget_alerts(store, now, scopes, rules, project)
    alerts += spike_alerts(store, now, rules, project)
    if rules.drift:
        alerts += drift_alerts(drifts, now, project)
    alerts += report_alerts(store, now, rules, scopes, project)
    return alerts
