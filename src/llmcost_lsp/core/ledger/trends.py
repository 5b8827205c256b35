"""Spend over time and across people, from the rollups: cost per day or ISO week with the change
on the period before, and how cost spreads over users or sessions (mean, median, 90th
percentile, most)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from llmcost_lsp.core.ledger.price import usd_from_pico
from llmcost_lsp.core.ledger.rows import Totals
from llmcost_lsp.core.ledger.store import SqlStore
from llmcost_lsp.core.ledger.summary import NONE_LABEL, Period, SummaryLine

Per = Literal["day", "week"]


@dataclass(frozen=True)
class TrendLine:
    per: Per
    since: date
    until: date  # exclusive
    totals: Totals
    change: Decimal | None  # priced cost against the line before: 0.12 is 12% more

    @property
    def label(self) -> str:
        if self.per == "day":
            return self.since.isoformat()
        year, week, _ = self.since.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def days(self) -> str:
        """The days covered, both included."""
        return f"{self.since.isoformat()} – {(self.until - timedelta(days=1)).isoformat()}"


def trend(
    store: SqlStore, period: Period, per: Per = "day", project: str | None = None,
    until: date | None = None,
) -> list[TrendLine]:  # fmt: skip
    """Cost per day (every day from the first with calls, $0 days included) or per ISO week
    (Monday to Sunday; the first and last may be partial), oldest first."""
    days: dict[date, Totals] = {}
    for key, totals in store.prompt_rollups(period.since_day, period.until_day, project):
        days.setdefault(date.fromisoformat(key.day), Totals()).add(totals)
    if not days:
        return []
    first = period.since or min(days)
    last = max(
        max(days), (period.until or until or max(days) + timedelta(days=1)) - timedelta(days=1)
    )
    buckets: dict[date, Totals] = {}
    day = first
    while day <= last:
        start = day if per == "day" else day - timedelta(days=day.weekday())
        buckets.setdefault(start, Totals()).add(days.get(day, Totals()))
        day += timedelta(days=1)
    out: list[TrendLine] = []
    step = timedelta(days=1 if per == "day" else 7)
    previous: Totals | None = None
    for start, totals in sorted(buckets.items()):
        change = None
        if previous is not None and previous.cost_pusd:
            change = Decimal(totals.cost_pusd - previous.cost_pusd) / previous.cost_pusd
        out.append(TrendLine(per, max(start, first), min(start + step, last + timedelta(days=1)),
                             totals, change))  # fmt: skip
        previous = totals
    return out


@dataclass(frozen=True)
class Spread:
    """How cost spreads over the groups of a summary (users, sessions)."""

    groups: int
    mean_usd: Decimal
    median_usd: Decimal
    p90_usd: Decimal
    max_usd: Decimal


def _percentile(values: Sequence[int], share: Decimal) -> int:
    """The nearest-rank percentile of sorted `values`."""
    rank = max(int((share * len(values)).to_integral_value(rounding="ROUND_CEILING")), 1)
    return values[rank - 1]


def spread(lines: Sequence[SummaryLine]) -> Spread | None:
    """None without groups. Over the groups with priced calls and a name (calls without a
    user or session are no group of people)."""
    costs = sorted(
        line.totals.cost_pusd
        for line in lines
        if line.totals.priced_calls and line.key != NONE_LABEL
    )
    if not costs:
        return None
    return Spread(
        len(costs),
        usd_from_pico(sum(costs)) / len(costs),
        usd_from_pico(_percentile(costs, Decimal("0.5"))),
        usd_from_pico(_percentile(costs, Decimal("0.9"))),
        usd_from_pico(costs[-1]),
    )
