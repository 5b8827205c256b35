"""A ledger row (one LLM call) and the rollup figures every store keeps and every report reads."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, TypeVar

from llmcost_lsp.core.ledger.price import CallPrice
from llmcost_lsp.core.ledger.usage import Usage

COLUMNS = (
    "request_key", "ts", "project", "prompt_id", "model", "model_id", "provider",
    "service_tier", "input_tokens", "cache_read_tokens", "cache_write_5m_tokens",
    "cache_write_1h_tokens", "output_tokens", "reasoning_tokens", "cost_pusd",
    "list_cost_pusd", "price_id", "price_db", "user_id", "session_id", "tags", "source",
)  # fmt: skip
TOKEN_FIELDS = (
    "input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
    "output_tokens", "reasoning_tokens",
)  # fmt: skip
MAX_TEXT = 512  # ids and names longer than this are cut: a ledger row stays small


def _short(value: str | None) -> str:
    return (value or "")[:MAX_TEXT]


def micros(moment: datetime) -> int:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


_DAY_US = 86_400_000_000
_DAYS: dict[int, str] = {}  # UTC day number -> "YYYY-MM-DD": every row of a batch asks


def day_of(ts: int) -> str:
    number = ts // _DAY_US
    day = _DAYS.get(number)
    if day is None:
        if len(_DAYS) > 4096:
            _DAYS.clear()
        day = _DAYS[number] = datetime.fromtimestamp(ts / 1_000_000, UTC).date().isoformat()
    return day


@dataclass(frozen=True, slots=True)
class CallRow:
    """One call as stored. Missing ids are "" (rollup keys cannot hold NULL); cost is None
    when the call is unpriced."""

    request_key: str
    ts: int  # microseconds since the epoch, UTC
    project: str
    prompt_id: str
    model: str  # as the provider reported it (responded, else requested)
    model_id: str | None  # the price DB's id, None when unknown
    provider: str
    service_tier: str
    input_tokens: int
    cache_read_tokens: int
    cache_write_5m_tokens: int
    cache_write_1h_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_pusd: int | None
    list_cost_pusd: int | None
    price_id: str | None
    price_db: str | None
    user_id: str
    session_id: str
    tags: str  # JSON object text, "" for none
    source: str

    @property
    def day(self) -> str:
        return day_of(self.ts)

    @property
    def rollup_model(self) -> str:
        return self.model_id or self.model

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in COLUMNS)

    def usage(self) -> Usage:
        return Usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cache_read_tokens=self.cache_read_tokens,
            cache_write_5m_tokens=self.cache_write_5m_tokens,
            cache_write_1h_tokens=self.cache_write_1h_tokens,
            reasoning_tokens=self.reasoning_tokens,
            service_tier=self.service_tier or None,
            model_responded=self.model or None,
            provider=self.provider or None,
        )

    def tag_map(self) -> dict[str, Any]:
        if not self.tags:
            return {}
        try:
            value = json.loads(self.tags)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


def make_row(
    usage: Usage,
    price: CallPrice,
    *,
    request_key: str,
    ts: int,
    price_db: str | None,
    prompt_id: str | None = None,
    project: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    source: str = "api",
    mode: str | None = None,
) -> CallRow:
    return CallRow(
        request_key=_short(request_key),
        ts=ts,
        project=_short(project),
        prompt_id=_short(prompt_id),
        model=_short(usage.model),
        model_id=price.model_id,
        provider=_short(usage.provider),
        service_tier=_short(mode or usage.service_tier),
        input_tokens=usage.input_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_5m_tokens=usage.cache_write_5m_tokens,
        cache_write_1h_tokens=usage.cache_write_1h_tokens,
        output_tokens=usage.output_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        cost_pusd=price.cost_pusd,
        list_cost_pusd=price.list_cost_pusd,
        price_id=price.price_id,
        price_db=price_db if price.cost_pusd is not None else None,
        user_id=_short(user_id),
        session_id=_short(session_id),
        tags=json.dumps(dict(tags), sort_keys=True, default=str)[:4096] if tags else "",
        source=_short(source),
    )


@dataclass
class Totals:
    """Sums over calls. `cost_pusd` sums the priced calls only; `unpriced` counts the others."""

    calls: int = 0
    unpriced: int = 0
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_pusd: int = 0
    list_cost_pusd: int = 0
    first_ts: int | None = None
    last_ts: int | None = None

    def add_row(self, row: CallRow) -> None:
        # spelled out, not a loop over TOKEN_FIELDS: three rollups add every written row
        self.calls += 1
        self.input_tokens += row.input_tokens
        self.cache_read_tokens += row.cache_read_tokens
        self.cache_write_5m_tokens += row.cache_write_5m_tokens
        self.cache_write_1h_tokens += row.cache_write_1h_tokens
        self.output_tokens += row.output_tokens
        self.reasoning_tokens += row.reasoning_tokens
        if row.cost_pusd is None:
            self.unpriced += 1
        else:
            self.cost_pusd += row.cost_pusd
            self.list_cost_pusd += row.list_cost_pusd or 0
        self.first_ts = row.ts if self.first_ts is None else min(self.first_ts, row.ts)
        self.last_ts = row.ts if self.last_ts is None else max(self.last_ts, row.ts)

    def add(self, other: Totals) -> None:
        for name in ("calls", "unpriced", *TOKEN_FIELDS, "cost_pusd", "list_cost_pusd"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name, pick in (("first_ts", min), ("last_ts", max)):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(
                self,
                name,
                theirs if mine is None else mine if theirs is None else pick(mine, theirs),
            )

    @property
    def cache_write_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def priced_calls(self) -> int:
        return self.calls - self.unpriced


ROLLUP_FIELDS = (
    "calls", "unpriced", *TOKEN_FIELDS, "cost_pusd", "list_cost_pusd", "first_ts", "last_ts",
)  # fmt: skip


def totals_from(values: Iterable[Any]) -> Totals:
    return Totals(*values)


# rollup keys are named tuples: hashed on every written row (a frozen dataclass's hash costs
# several times more)
class PromptDayKey(NamedTuple):
    day: str
    project: str
    prompt_id: str
    model: str


class UserDayKey(NamedTuple):
    day: str
    project: str
    user_id: str


class MonthKey(NamedTuple):
    month: str  # YYYY-MM (UTC)
    project: str
    prompt_id: str
    model: str


@dataclass
class Rollups:
    """The write-time rollups of a batch: (day, project, prompt, model), (day, project, user)
    and (month, project, prompt, model) — the last one so that a month-to-date read (metrics,
    budgets) is one row per series, whatever the day of the month."""

    by_prompt: dict[PromptDayKey, Totals] = field(default_factory=dict)
    by_user: dict[UserDayKey, Totals] = field(default_factory=dict)
    by_month: dict[MonthKey, Totals] = field(default_factory=dict)

    def add(self, row: CallRow) -> None:
        day, model = row.day, row.rollup_model
        _add(self.by_prompt, PromptDayKey(day, row.project, row.prompt_id, model), row)
        _add(self.by_user, UserDayKey(day, row.project, row.user_id), row)
        _add(self.by_month, MonthKey(day[:7], row.project, row.prompt_id, model), row)


_K = TypeVar("_K")


def _add(table: dict[_K, Totals], key: _K, row: CallRow) -> None:
    totals = table.get(key)
    if totals is None:
        totals = table[key] = Totals()
    totals.add_row(row)


def parse_day(text: str) -> date:
    return date.fromisoformat(text)
