"""`actuals summary`: totals by prompt, model, day and user from the rollups (milliseconds on
a million calls), by session summed in the database from the raw rows of the period, by tag
from the raw rows read one by one (tags are JSON)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.ledger.rows import Totals, micros
from llmcost_lsp.core.ledger.store import SqlStore

GroupBy = Literal["prompt", "model", "project", "user", "session", "day", "tag"]
GROUPS: tuple[GroupBy, ...] = ("prompt", "model", "project", "user", "session", "day", "tag")
NONE_LABEL = "(none)"
_RELATIVE = re.compile(r"^(\d+)d$")


@dataclass(frozen=True)
class Period:
    """Half-open [since, until) in whole UTC days."""

    since: date | None
    until: date | None

    @property
    def since_day(self) -> str | None:
        return self.since.isoformat() if self.since else None

    @property
    def until_day(self) -> str | None:
        return self.until.isoformat() if self.until else None

    def micros(self) -> tuple[int | None, int | None]:
        def start(day: date | None) -> int | None:
            if day is None:
                return None
            return micros(datetime(day.year, day.month, day.day, tzinfo=UTC))

        return start(self.since), start(self.until)

    def __str__(self) -> str:
        since = self.since_day or "the first call"
        return f"{since} – {self.until_day or 'now'}" if self.until else f"since {since}"


def parse_since(text: str | None, today: date) -> date | None:
    """`2026-11-01`, `7d` (the last 7 days, today included), `month` (default), or `all`."""
    value = (text or "month").strip().lower()
    if value == "all":
        return None
    if value == "month":
        return today.replace(day=1)
    if value == "today":
        return today
    match = _RELATIVE.match(value)
    if match:
        return today - timedelta(days=max(int(match.group(1)) - 1, 0))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"--since {text!r} is not a date (2026-11-01), a number of days (7d), month or all",
            code="bad-since",
        ) from None


@dataclass(frozen=True)
class SummaryLine:
    key: str
    totals: Totals


def summarise(
    store: SqlStore,
    by: GroupBy,
    period: Period,
    *,
    project: str | None = None,
    tag_key: str | None = None,
) -> list[SummaryLine]:
    """Totals per group, most expensive first (then by calls, then by name)."""
    groups: dict[str, Totals] = {}

    def add(key: str, totals: Totals) -> None:
        groups.setdefault(key or NONE_LABEL, Totals()).add(totals)

    if by in ("prompt", "model"):
        for (prompt_id, model), totals in store.prompt_totals(
            period.since_day, period.until_day, project
        ):
            add(prompt_id if by == "prompt" else model, totals)
    elif by in ("day", "project"):
        for day_key, totals in store.prompt_rollups(period.since_day, period.until_day, project):
            add(day_key.day if by == "day" else day_key.project, totals)
    elif by == "user":
        for user_id, totals in store.user_totals(period.since_day, period.until_day, project):
            add(user_id, totals)
    elif by == "session":
        for session_id, totals in store.session_totals(*period.micros(), project):
            add(session_id, totals)
    else:
        since_ts, until_ts = period.micros()
        for row in store.iter_rows(since_ts, until_ts):
            if project is not None and row.project != project:
                continue
            one = Totals()
            one.add_row(row)
            tags = row.tag_map()
            if tag_key is not None:
                value = tags.get(tag_key)
                add(f"{tag_key}={value}" if value is not None else "", one)
            elif not tags:
                add("", one)
            for key, value in sorted(tags.items()) if tag_key is None else ():
                add(f"{key}={value}", one)  # a call with two tags counts in both groups
    lines = [SummaryLine(key, totals) for key, totals in groups.items()]
    if by == "day":
        return sorted(lines, key=lambda line: line.key)
    return sorted(lines, key=lambda line: (-line.totals.cost_pusd, -line.totals.calls, line.key))
