"""The price DB as plain immutable records: what prices are read from at run time.

`model.py`'s pydantic schema is the contract: every DB that comes from outside (a `--prices`
file, an installed update) is validated by it first. The bundled DB was validated when it was
built and signed (tests/core/pricing/test_pricing_schema.py checks it on every run), so loading
it skips pydantic altogether: `build` turns its JSON straight into these records, which costs a
fraction of importing pydantic and building its validators.

Each record has the same fields, in the same order and with the same defaults, as the schema
class it mirrors (`MIRRORS`; tests/core/pricing/test_pricing_records.py compares the two and
checks that both loads give equal values). How a JSON value becomes a field's value is read
from the field's type: a field added to the schema needs one line here, and nothing else.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

SCHEMA_VERSION = 1
MODES = ("standard", "batch", "flex", "priority", "off_peak")
PRICE_FIELDS = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h", "reasoning")
ModeName = Literal["batch", "flex", "priority", "off_peak"]

_record = dataclass(frozen=True, slots=True, kw_only=True)


@_record
class PriceSet:
    """USD per million tokens; None where the provider does not offer the price."""

    input: Decimal
    output: Decimal
    cache_read: Decimal | None = None
    cache_write_5m: Decimal | None = None
    cache_write_1h: Decimal | None = None
    reasoning: Decimal | None = None

    def offered(self) -> frozenset[str]:
        """Names of the prices this set offers (not null)."""
        return frozenset(name for name in PRICE_FIELDS if getattr(self, name) is not None)


@_record
class Tier(PriceSet):
    above_input_tokens: int


@_record
class TieredPrices(PriceSet):
    tiers: tuple[Tier, ...] = ()


@_record
class Mode:
    multiplier: Decimal | None = None
    prices: TieredPrices | None = None
    max_input_tokens: int | None = None
    note: str | None = None


@_record
class Schedule(TieredPrices):
    effective_from: date
    source: str
    checked_on: date
    crosschecked_with: tuple[str, ...] = ()
    modes: dict[ModeName, Mode] = field(default_factory=dict)
    note: str | None = None


@_record
class Model:
    id: str
    provider: str
    display_name: str
    aliases: tuple[str, ...] = ()
    name_prefixes: tuple[str, ...] = ()
    moving_aliases: dict[str, str] = field(default_factory=dict)
    kind: Literal["chat", "embedding"] = "chat"
    tokenizer: str
    context_window: int | None = None
    max_output_tokens: int | None = None
    min_cache_tokens: int | None = None
    deprecated_on: date | None = None
    hosted_by: str | None = None
    prices: tuple[Schedule, ...]
    note: str | None = None


@_record
class Tokenizer:
    encoding: Literal["o200k_base", "cl100k_base"]
    exact_backend: Literal["llama3", "llama4", "mistral-tekken", "qwen", "deepseek"] | None = None
    ratio: Decimal | None = None
    error_band_pct: Decimal | None = None
    tokens_per_message: int = 3
    tokens_per_reply: int = 3
    source: str


@_record
class PriceFile:
    schema_version: Literal[1]
    updated_at: datetime
    currency: Literal["USD"] = "USD"
    unit: Literal["per_million_tokens"] = "per_million_tokens"
    built_from: tuple[str, ...] = ()
    tokenizers: dict[str, Tokenizer]
    name_index: dict[str, Any] | None = None
    models: tuple[Model, ...]


# record -> name of the schema class in model.py it mirrors
MIRRORS: dict[type, str] = {
    PriceSet: "PriceSetSchema",
    Tier: "TierSchema",
    TieredPrices: "TieredPricesSchema",
    Mode: "ModeSchema",
    Schedule: "ScheduleSchema",
    Model: "ModelSchema",
    Tokenizer: "TokenizerSchema",
    PriceFile: "PriceFileSchema",
}

R = TypeVar("R")
Convert = Callable[[Any], Any]


def build(record: type[R], data: Mapping[str, Any]) -> R:
    """A record from a JSON object (or a validated schema's `model_dump()`), no validation.

    Absent fields take the record's defaults; keys the record does not have are ignored (the
    schema, which forbids them, is what rejects them)."""
    values = {name: convert(data[name]) for name, convert in _plan(record) if name in data}
    return record(**values)


_PLANS: dict[type, tuple[tuple[str, Convert], ...]] = {}


def _plan(record: type) -> tuple[tuple[str, Convert], ...]:
    """(field, conversion) for each field of a record, read once from its type hints."""
    plan = _PLANS.get(record)
    if plan is None:
        hints = typing.get_type_hints(record)
        plan = tuple((f.name, _converter(hints[f.name])) for f in dataclasses.fields(record))
        _PLANS[record] = plan
    return plan


def _same(value: Any) -> Any:
    return value


def _decimal(value: Any) -> Decimal:
    # prices are JSON strings ("2.50"), so no float ever stands between the file and a Decimal
    return value if isinstance(value, Decimal) else Decimal(value)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


_SCALARS: dict[Any, Convert] = {
    Any: _same,
    Decimal: _decimal,
    date: _date,
    datetime: _datetime,
    int: _same,
    str: _same,
    bool: _same,
}


def _converter(hint: Any) -> Convert:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in _SCALARS:
        return _SCALARS[hint]
    if origin is Literal:
        return _same
    if origin in (types.UnionType, typing.Union):
        (inner,) = (arg for arg in args if arg is not type(None))
        convert = _converter(inner)
        return lambda value: None if value is None else convert(value)
    if origin is tuple:
        item = _converter(args[0])
        if item is _same:
            return tuple
        return lambda values: tuple(item(value) for value in values)
    if origin is dict:
        item = _converter(args[1])
        return lambda values: {key: item(value) for key, value in values.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return lambda value: build(hint, value)
    raise TypeError(f"no conversion for a field of type {hint!r}")


def to_json(record: Any, *, exclude_none: bool = False) -> Any:
    """The JSON form of a record, as the schema's `model_dump(mode="json")` writes it."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        result = {}
        for item in dataclasses.fields(record):
            value = getattr(record, item.name)
            if value is None and exclude_none:
                continue
            result[item.name] = to_json(value, exclude_none=exclude_none)
        return result
    if isinstance(record, tuple | list):
        return [to_json(value, exclude_none=exclude_none) for value in record]
    if isinstance(record, dict):
        return {key: to_json(value, exclude_none=exclude_none) for key, value in record.items()}
    if isinstance(record, Decimal):
        return str(record)
    if isinstance(record, datetime):
        text = record.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(record, date):
        return record.isoformat()
    return record
