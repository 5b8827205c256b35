"""The price DB: load and validate prices.json, resolve model names, pick the price in effect.

`parse_price_db` turns bytes into a `PriceDB` (or a located `PricingError`); `load_price_db` reads
the bundled file (cached per process) or a given path.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from llmcost_lsp.core.errors import InputError, Location, PricingError, UnknownModelError
from llmcost_lsp.core.pricing.model import (
    MODES,
    PRICE_FIELDS,
    SCHEMA_VERSION,
    ModelSchema,
    ModeSchema,
    PriceFileSchema,
    PriceSetSchema,
    ScheduleSchema,
    TieredPricesSchema,
)
from llmcost_lsp.core.tokens.spec import TokenizerSpec

BUNDLED = "bundled"
_MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Rates:
    """USD per million tokens for one request, after choosing the tier and the mode."""

    input: Decimal
    output: Decimal
    cache_read: Decimal | None
    cache_write_5m: Decimal | None
    cache_write_1h: Decimal | None
    reasoning: Decimal | None
    tier: str
    mode: str
    above_input_tokens: int | None


def _tokens(n: int) -> str:
    return f"{n:,}"


def _scaled(value: Decimal | None, multiplier: Decimal | None) -> Decimal | None:
    if value is None or multiplier is None:
        return value
    # drop the trailing zeros a product picks up (0.2 x 0.5 = 0.10) but never use exponent notation
    product = (value * multiplier).normalize()
    exponent = product.as_tuple().exponent
    return product.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else product


@dataclass(frozen=True)
class ModelPrices:
    """One price schedule of a model: the prices in effect from `effective_from`."""

    model_id: str
    schedule: ScheduleSchema = field(repr=False)

    @property
    def effective_from(self) -> date:
        return self.schedule.effective_from

    @property
    def source(self) -> str:
        return self.schedule.source

    @property
    def checked_on(self) -> date:
        return self.schedule.checked_on

    @property
    def crosschecked_with(self) -> list[str]:
        return list(self.schedule.crosschecked_with)

    @property
    def note(self) -> str | None:
        return self.schedule.note

    @property
    def tier_thresholds(self) -> list[int]:
        """Input-token thresholds of the long-context tiers of standard processing."""
        return [tier.above_input_tokens for tier in self.schedule.tiers]

    def modes(self) -> list[str]:
        """The processing modes offered, in a fixed order: standard first."""
        return [mode for mode in MODES if mode == "standard" or mode in self.schedule.modes]

    def mode_spec(self, mode: str) -> ModeSchema | None:
        """How a non-standard mode is priced (multiplier or explicit prices); None for standard."""
        if mode == "standard":
            return None
        spec = next((v for k, v in self.schedule.modes.items() if k == mode), None)
        if spec is None:
            raise PricingError(
                f"{self.model_id} does not offer {mode!r} processing; "
                f"available: {', '.join(self.modes())}"
            )
        return spec

    def rates_for(self, input_tokens: int, mode: str = "standard") -> Rates:
        """The rates for a request with `input_tokens` prompt tokens, under `mode`.

        A tier applies when the prompt has strictly more input tokens than its threshold, and
        then prices every token of the request (input, output and cache).
        """
        if input_tokens < 0:
            raise ValueError(f"input_tokens must be >= 0, got {input_tokens}")
        spec = self.mode_spec(mode)
        limit = spec.max_input_tokens if spec is not None else None
        if limit is not None and input_tokens > limit:
            raise PricingError(
                f"{self.model_id} does not offer {mode!r} processing for prompts over "
                f"{_tokens(limit)} input tokens",
                hint="price this prompt with standard processing",
            )
        table: TieredPricesSchema = self.schedule
        multiplier: Decimal | None = None
        if spec is not None:
            if spec.prices is not None:
                table = spec.prices
            else:
                multiplier = spec.multiplier
        chosen: PriceSetSchema = table
        threshold: int | None = None
        for tier in table.tiers:
            if input_tokens > tier.above_input_tokens:
                chosen, threshold = tier, tier.above_input_tokens
        if threshold is not None:
            label = f"> {_tokens(threshold)} input tokens"
        elif table.tiers:
            label = f"≤ {_tokens(table.tiers[0].above_input_tokens)} input tokens"
        else:
            label = "standard"
        prices = {name: _scaled(getattr(chosen, name), multiplier) for name in PRICE_FIELDS}
        input_price, output_price = prices.pop("input"), prices.pop("output")
        assert input_price is not None and output_price is not None  # required by the schema
        return Rates(
            input=input_price,
            output=output_price,
            cache_read=prices["cache_read"],
            cache_write_5m=prices["cache_write_5m"],
            cache_write_1h=prices["cache_write_1h"],
            reasoning=prices["reasoning"],
            tier=label,
            mode=mode,
            above_input_tokens=threshold,
        )


@dataclass(frozen=True)
class ModelEntry:
    """A model the DB knows: identity, limits, tokenizer family and price history."""

    id: str
    provider: str
    display_name: str
    aliases: tuple[str, ...]
    tokenizer: str
    context_window: int
    max_output_tokens: int
    deprecated_on: date | None
    hosted_by: str | None
    note: str | None
    history: tuple[ModelPrices, ...] = field(repr=False)

    @classmethod
    def from_schema(cls, model: ModelSchema) -> ModelEntry:
        return cls(
            id=model.id,
            provider=model.provider,
            display_name=model.display_name,
            aliases=tuple(model.aliases),
            tokenizer=model.tokenizer,
            context_window=model.context_window,
            max_output_tokens=model.max_output_tokens,
            deprecated_on=model.deprecated_on,
            hosted_by=model.hosted_by,
            note=model.note,
            history=tuple(ModelPrices(model.id, schedule) for schedule in model.prices),
        )

    def prices_at(self, day: date) -> ModelPrices:
        """The schedule in effect on `day` (the caller's pricing date: Settings.today())."""
        in_effect = [prices for prices in self.history if prices.effective_from <= day]
        if not in_effect:
            first = self.history[0].effective_from.isoformat()
            raise PricingError(
                f"no price for {self.id} on {day.isoformat()}: the DB's prices start on {first}"
            )
        return in_effect[-1]

    def is_deprecated(self, day: date) -> bool:
        return self.deprecated_on is not None and self.deprecated_on <= day


def _normalise(name: str) -> str:
    return name.strip().lower()


class PriceDB:
    """A validated price DB. Build one with `parse_price_db` or `load_price_db`."""

    def __init__(self, document: PriceFileSchema, origin: str) -> None:
        self.document = document
        self.origin = origin
        self.schema_version: int = document.schema_version
        self.updated_at: datetime = document.updated_at.astimezone(UTC)
        self._entries = tuple(ModelEntry.from_schema(model) for model in document.models)
        self._by_name: dict[str, ModelEntry] = {}
        for entry in self._entries:
            for name in (entry.id, *entry.aliases):
                self._by_name[_normalise(name)] = entry

    def __repr__(self) -> str:
        return f"PriceDB(origin={self.origin!r}, models={len(self._entries)})"

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._lookup(name) is not None

    def _lookup(self, name: str) -> ModelEntry | None:
        key = _normalise(name)
        found = self._by_name.get(key)
        # provider-prefixed forms: "openai/gpt-4o", "bedrock/meta.llama3-…", "models/gemini-…"
        while found is None and "/" in key:
            key = key.split("/", 1)[1]
            found = self._by_name.get(key)
        return found

    def resolve(self, name: str) -> ModelEntry:
        """The model named `name` (id or alias, any case, optionally provider-prefixed)."""
        found = self._lookup(name)
        if found is None:
            raise UnknownModelError(name, self.suggest(name))
        return found

    def suggest(self, name: str) -> list[str]:
        """Up to three model ids whose names are close to `name`."""
        key = _normalise(name).rsplit("/", 1)[-1]
        matches = difflib.get_close_matches(key, list(self._by_name), n=10, cutoff=0.6)
        ids: list[str] = []
        for match in matches:
            model_id = self._by_name[match].id
            if model_id not in ids:
                ids.append(model_id)
        return ids[:_MAX_SUGGESTIONS]

    def models(self, provider: str | None = None) -> list[ModelEntry]:
        """Every model (of one provider, when given), sorted by provider then id."""
        wanted = None if provider is None else _normalise(provider)
        chosen = [e for e in self._entries if wanted is None or e.provider == wanted]
        return sorted(chosen, key=lambda entry: (entry.provider, entry.id))

    def providers(self) -> list[str]:
        return sorted({entry.provider for entry in self._entries})

    def tokenizer_for(self, entry: ModelEntry) -> TokenizerSpec:
        """The tokenizer family of a model, as the token counters take it."""
        spec = self.document.tokenizers.get(entry.tokenizer)
        if spec is None:  # the schema forbids it; guards entries built by hand
            raise PricingError(f"model {entry.id!r} uses unknown tokenizer {entry.tokenizer!r}")
        return TokenizerSpec(
            family=entry.tokenizer,
            encoding=spec.encoding,
            exact_backend=spec.exact_backend,
            ratio=spec.ratio,
            error_band_pct=spec.error_band_pct,
            tokens_per_message=spec.tokens_per_message,
            tokens_per_reply=spec.tokens_per_reply,
            source=spec.source,
        )


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _field_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "<top level>"


def _model_hint(document: Any, loc: tuple[int | str, ...]) -> str:
    # name the model a bad field belongs to: "models[12]" alone is hard to find in a big file
    if len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int):
        models = document.get("models") if isinstance(document, Mapping) else None
        if isinstance(models, list) and loc[1] < len(models) and isinstance(models[loc[1]], dict):
            model_id = models[loc[1]].get("id")
            if isinstance(model_id, str):
                return f" (model {model_id!r})"
    return ""


def parse_price_db(data: bytes, origin: str) -> PriceDB:
    """Validate the bytes of a price file. Errors say where: JSON line:column or field path."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PricingError(
            f"price DB is not UTF-8 (byte {error.start})", location=Location(path=origin)
        ) from None
    try:
        document = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as error:
        raise PricingError(
            f"price DB is not valid JSON: {error.msg}",
            location=Location(path=origin, line=error.lineno, column=error.colno),
        ) from None
    except ValueError as error:
        raise PricingError(f"price DB: {error}", location=Location(path=origin)) from None
    version = document.get("schema_version") if isinstance(document, dict) else None
    if isinstance(version, int) and version != SCHEMA_VERSION:
        raise PricingError(
            f"price DB has schema version {version}; this llm-cost reads version {SCHEMA_VERSION}",
            location=Location(path=origin),
            hint="upgrade llm-cost to read this price DB"
            if version > SCHEMA_VERSION
            else "this price DB is older than llm-cost supports",
        )
    try:
        schema = PriceFileSchema.model_validate(document)
    except ValidationError as error:
        problems = error.errors(include_url=False)
        lines = []
        for problem in problems[:5]:
            loc = tuple(problem["loc"])
            lines.append(f"{_field_path(loc)}{_model_hint(document, loc)}: {problem['msg']}")
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise PricingError(
            "price DB fails the schema: " + "; ".join(lines) + more,
            location=Location(path=origin),
            hint="see docs/pricing.md and docs/schema/prices.schema.json",
        ) from None
    return PriceDB(schema, origin)


def bundled_price_bytes() -> bytes:
    """The bytes of the price DB shipped in the package."""
    return resources.files("llmcost_lsp.data").joinpath("prices.json").read_bytes()


@lru_cache(maxsize=1)
def _bundled() -> PriceDB:
    return parse_price_db(bundled_price_bytes(), BUNDLED)


def load_price_db(path: Path | None = None) -> PriceDB:
    """The price DB at `path`, or the DB in use: a verified installed update not older than the
    bundled DB, else the bundled one (chosen once per process; see store.py)."""
    if path is None:
        from llmcost_lsp.core.pricing.store import active_price_db

        return active_price_db()
    from llmcost_lsp.core.textfile import read_capped

    try:  # the limit `pricing update` applies; never a FIFO or device
        data = read_capped(path, 5 * 1024 * 1024, str(path), what="price files")
    except InputError as error:
        raise PricingError(
            f"cannot read price DB: {error.message}", location=Location(path=str(path))
        ) from None
    return parse_price_db(data, str(path))
