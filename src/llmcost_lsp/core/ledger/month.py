"""Month-to-date actuals per prompt, and their drift from the estimate, for the editor.

The estimate is a monthly figure; by day D of a month of N days a steady load has spent D/N of
it. Drift compares the ledger's month-to-date cost with that share, and is only judged from
`MIN_CALLS` calls on: a handful of calls says nothing about a month.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from llmcost_lsp.core.ledger.forecast import Forecast, month_forecast
from llmcost_lsp.core.ledger.metrics import BudgetScope, scope_prompts
from llmcost_lsp.core.ledger.price import usd_from_pico
from llmcost_lsp.core.ledger.rows import Totals
from llmcost_lsp.core.ledger.store import SqlStore, open_store

MIN_CALLS = 100


@dataclass(frozen=True)
class MonthToDate:
    """One prompt's calls this month (all models). `cost_usd` covers the priced calls."""

    prompt_id: str
    since: date
    today: date
    calls: int
    unpriced: int
    cost_usd: Decimal
    models: tuple[str, ...]
    daily_pusd: tuple[int, ...] = ()  # priced spend of each day 1..today (when read)

    @property
    def month_share(self) -> Decimal:
        """The share of the month elapsed by the end of today."""
        days = calendar.monthrange(self.today.year, self.today.month)[1]
        return Decimal(self.today.day) / days

    def forecast(self) -> Forecast | None:
        """The month-end forecast from the days so far (`core.ledger.forecast`); None without
        the daily figures or a complete day."""
        return month_forecast(self.daily_pusd, self.today) if self.daily_pusd else None

    def expected_usd(self, monthly_usd: Decimal) -> Decimal:
        return monthly_usd * self.month_share

    def drift(self, monthly_usd: Decimal | None) -> Decimal | None:
        """(actual − expected so far) / expected so far; None when it cannot be judged."""
        if monthly_usd is None or monthly_usd <= 0 or self.calls < MIN_CALLS or self.unpriced:
            return None
        expected = self.expected_usd(monthly_usd)
        return (self.cost_usd - expected) / expected


def month_to_date(
    store: SqlStore, today: date, project: str | None = None, *, daily: bool = False
) -> dict[str, MonthToDate]:
    """Each prompt's month so far; `daily`: with its spend per day (the forecast's series)."""
    first = today.replace(day=1)
    until = today + timedelta(days=1)
    sums: dict[str, Totals] = {}
    models: dict[str, list[str]] = {}
    for (prompt_id, model), totals in store.prompt_totals(
        first.isoformat(), until.isoformat(), project
    ):
        sums.setdefault(prompt_id, Totals()).add(totals)
        models.setdefault(prompt_id, []).append(model)
    days: dict[str, list[int]] = {}
    if daily:
        for day, prompt_id, cost in store.daily_cost(first.isoformat(), until.isoformat(), project):
            days.setdefault(prompt_id, [0] * today.day)[int(day[8:10]) - 1] += cost
    return {
        prompt_id: MonthToDate(
            prompt_id,
            first,
            today,
            totals.calls,
            totals.unpriced,
            usd_from_pico(totals.cost_pusd),
            tuple(sorted(models[prompt_id])),
            tuple(days.get(prompt_id, ())),
        )
        for prompt_id, totals in sums.items()
        if prompt_id
    }


def read_month_to_date(
    location: str, today: date, project: str | None = None
) -> dict[str, MonthToDate] | None:
    """The month so far from the ledger at `location`; None when there is no ledger there
    (an editor never creates one). Raises LedgerError when it exists but cannot be read."""
    if "://" not in location and not Path(location).is_file():
        return None
    with open_store(location) as store:
        return month_to_date(store, today, project, daily=True)


def scope_forecasts(
    found: dict[str, MonthToDate], today: date, scopes: Sequence[BudgetScope]
) -> list[tuple[BudgetScope, Forecast | None]]:
    """Each budget scope's month-end forecast from its prompts' days so far (`found` read
    with `daily=True`)."""
    out = []
    for scope in scopes:
        daily = [0] * today.day
        for prompt_id in scope_prompts(scope, found):
            for index, spend in enumerate(found[prompt_id].daily_pusd):
                daily[index] += spend
        out.append((scope, month_forecast(daily, today)))
    return out
