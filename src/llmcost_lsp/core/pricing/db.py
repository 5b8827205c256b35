"""The price DB: load and validate prices.json, resolve model names, pick the price in effect.

`parse_price_db` turns the bytes of a file from outside into a `PriceDB`, validated by the schema
(or a located `PricingError`); `load_price_db` reads the bundled file (cached per process, into
records.py's records without pydantic: it was validated when it was built) or a given path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost_lsp.core.errors import InputError, Location, PricingError, UnknownModelError
from llmcost_lsp.core.pricing import records
from llmcost_lsp.core.pricing.names import NameIndex
from llmcost_lsp.core.pricing.naming import HOST_NAMES
from llmcost_lsp.core.pricing.records import (
    MODES,
    PRICE_FIELDS,
    SCHEMA_VERSION,
    Mode,
    PriceSet,
    Schedule,
    TieredPrices,
    Tokenizer,
)
from llmcost_lsp.core.tokens.spec import TokenizerSpec

if TYPE_CHECKING:
    from pydantic import ValidationError

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
    schedule: Schedule = field(repr=False)

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

    def mode_tier_thresholds(self, mode: str) -> list[int]:
        """Input-token thresholds of the long-context tiers a mode prices with."""
        spec = self.mode_spec(mode)
        table = spec.prices if spec is not None and spec.prices is not None else self.schedule
        return [tier.above_input_tokens for tier in table.tiers]

    def modes(self) -> list[str]:
        """The processing modes offered, in a fixed order: standard first."""
        return [mode for mode in MODES if mode == "standard" or mode in self.schedule.modes]

    def mode_spec(self, mode: str) -> Mode | None:
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
        table: TieredPrices = self.schedule
        multiplier: Decimal | None = None
        if spec is not None:
            if spec.prices is not None:
                table = spec.prices
            else:
                multiplier = spec.multiplier
        chosen: PriceSet = table
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
    context_window: int | None
    max_output_tokens: int | None
    deprecated_on: date | None
    hosted_by: str | None
    note: str | None
    history: tuple[ModelPrices, ...] = field(repr=False)
    kind: str = "chat"
    min_cache_tokens: int | None = None

    @classmethod
    def from_record(cls, model: records.Model) -> ModelEntry:
        return cls(
            id=model.id,
            provider=model.provider,
            display_name=model.display_name,
            aliases=model.aliases,
            tokenizer=model.tokenizer,
            context_window=model.context_window,
            max_output_tokens=model.max_output_tokens,
            deprecated_on=model.deprecated_on,
            hosted_by=model.hosted_by,
            note=model.note,
            history=tuple(ModelPrices(model.id, schedule) for schedule in model.prices),
            kind=model.kind,
            min_cache_tokens=model.min_cache_tokens,
        )

    @property
    def is_embedding(self) -> bool:
        """An embedding model bills input only: a call has no output cost."""
        return self.kind == "embedding"

    @property
    def host_name(self) -> str:
        """Whose API these prices are: the host for a host's copy, else the provider's own."""
        if self.hosted_by:
            return HOST_NAMES.get(self.hosted_by, self.hosted_by)
        return f"{PROVIDER_NAMES.get(self.provider, self.provider)} API"

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
        """Retired on `day`: calls to it fail (it is still priced, at its last price)."""
        return self.deprecated_on is not None and self.deprecated_on <= day


PROVIDER_NAMES = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Gemini",
    "mistral": "Mistral",
    "deepseek": "DeepSeek",
    "xai": "xAI",
    "cohere": "Cohere",
    "perplexity": "Perplexity",
    "voyage": "Voyage AI",
}


@dataclass(frozen=True)
class Resolution:
    """A name as code writes it, the model it prices as, and what was assumed to get there."""

    name: str
    entry: ModelEntry
    notes: tuple[str, ...] = ()


def _normalise(name: str) -> str:
    return name.strip().lower()


class PriceDB:
    """A price DB. Build one with `parse_price_db` or `load_price_db`.

    Models are kept as parsed JSON and turned into entries one by one when first used, so loading
    a DB of thousands of models costs a JSON parse and a name index, not thousands of objects.
    `validate` checks each model against the schema first (a file from outside read lazily); the
    bundled DB is not checked again: the whole file is validated when it is built, and by the
    tests."""

    def __init__(
        self,
        raw_models: Mapping[str, dict[str, Any] | bytes],
        tokenizers: Mapping[str, Tokenizer],
        updated_at: datetime,
        origin: str,
        *,
        index: NameIndex | None = None,
        schema_version: int = SCHEMA_VERSION,
        data: bytes = b"",
        built_from: tuple[str, ...] = (),
        validate: bool = True,
    ) -> None:
        self.origin = origin
        self._validate = validate
        self.schema_version = schema_version
        self.updated_at: datetime = updated_at.astimezone(UTC)
        self.tokenizers = dict(tokenizers)
        self._data = data
        self.built_from = built_from
        # a model is its JSON line until first used, then its parsed dict
        self._raw: dict[str, dict[str, Any] | bytes] = dict(raw_models)
        self._order = list(self._raw)
        self._entries: dict[str, ModelEntry] = {}
        self.index = index or NameIndex(self._dict(model_id) for model_id in self._order)

    def _dict(self, model_id: str) -> dict[str, Any]:
        raw = self._raw[model_id]
        if isinstance(raw, bytes):
            parsed = json.loads(raw.rstrip(b","))
            if not isinstance(parsed, dict) or parsed.get("id") != model_id:
                raise PricingError(
                    f"price DB: the line of model {model_id!r} is not that model",
                    location=Location(path=self.origin),
                )
            raw = self._raw[model_id] = parsed
        return raw

    def __repr__(self) -> str:
        return f"PriceDB(origin={self.origin!r}, models={len(self._raw)})"

    @property
    def digest(self) -> str:
        """SHA-256 of the file's bytes (what `diff` keys its cache on)."""
        return hashlib.sha256(self._data).hexdigest()

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.index.find(name) is not None

    def entry(self, model_id: str) -> ModelEntry:
        """The model with this exact id, built (and validated, see `validate`) on first use."""
        found = self._entries.get(model_id)
        if found is None:
            data = self._validated(model_id) if self._validate else self._dict(model_id)
            found = self._entries[model_id] = ModelEntry.from_record(
                records.build(records.Model, data)
            )
        return found

    def _validated(self, model_id: str) -> dict[str, Any]:
        from pydantic import ValidationError

        from llmcost_lsp.core.pricing.model import ModelSchema

        try:
            return ModelSchema.model_validate(self._dict(model_id)).model_dump()
        except ValidationError as error:
            problem = error.errors(include_url=False)[0]
            raise PricingError(
                f"price DB model {model_id!r} fails the schema: "
                f"{_field_path(tuple(problem['loc']))}: {problem['msg']}",
                location=Location(path=self.origin),
            ) from None

    def resolve(self, name: str) -> ModelEntry:
        """The model named `name` (id or alias, any case, as code writes it)."""
        return self.resolve_name(name).entry

    def resolve_name(self, name: str) -> Resolution:
        """The model named `name` and the notes on what was assumed (host, moving alias)."""
        found = self.index.find(name)
        if found is None:
            raise UnknownModelError(name, self.suggest(name))
        model_id, notes = found
        return Resolution(name, self.entry(model_id), notes)

    def suggest(self, name: str) -> list[str]:
        """Up to three model ids close to `name`: the same provider and family first."""
        return self.index.suggest(name, _MAX_SUGGESTIONS)

    def models(self, provider: str | None = None) -> list[ModelEntry]:
        """Every model (of one provider, when given), sorted by provider then id."""
        wanted = None if provider is None else _normalise(provider)
        chosen = [
            self.entry(model_id)
            for model_id in self._order
            if wanted is None or self.index.provider.get(model_id) == wanted
        ]
        return sorted(chosen, key=lambda entry: (entry.provider, entry.id))

    def first_party_models(self) -> list[ModelEntry]:
        """Models sold on their provider's own API (no host copies): what "cheaper" compares."""
        return [
            self.entry(model_id) for model_id in self._order if not self.index.hosted.get(model_id)
        ]

    def providers(self) -> list[str]:
        return sorted(set(self.index.provider.values()))

    def dates(self) -> tuple[date, ...]:
        """Every date on which a price or a retirement takes effect, sorted."""
        found: set[date] = set()
        for model in map(self._dict, self._order):
            for schedule in model.get("prices", ()):
                found.add(date.fromisoformat(schedule["effective_from"]))
            if model.get("deprecated_on"):
                found.add(date.fromisoformat(model["deprecated_on"]))
        return tuple(sorted(found))

    def tokenizer_for(self, entry: ModelEntry) -> TokenizerSpec:
        """The tokenizer family of a model, as the token counters take it."""
        spec = self.tokenizers.get(entry.tokenizer)
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


def parse_price_db(data: bytes, origin: str, *, lazy: bool = False) -> PriceDB:
    """Read the bytes of a price file. Errors say where: JSON line:column or field path.

    `lazy` checks the file's frame (version, date, tokenizers, model ids and names) and leaves
    each model to be parsed and validated when first used: for the bundled DB and a verified
    installed update, whose every byte was validated when it was built or installed. A file laid
    out by the build (one model per line, a `name_index`) is then read without parsing its
    models at all."""
    from pydantic import ValidationError

    from llmcost_lsp.core.pricing.model import PriceFileSchema

    if lazy and not data.startswith(b"\xef\xbb\xbf"):
        fast = _read_built_layout(data, origin)
        if fast is not None:
            return fast
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PricingError(
            f"price DB is not UTF-8 (byte {error.start})", location=Location(path=origin)
        ) from None
    try:
        document = json.loads(text, object_pairs_hook=None if lazy else _reject_duplicate_keys)
    except json.JSONDecodeError as error:
        raise PricingError(
            f"price DB is not valid JSON: {error.msg}",
            location=Location(path=origin, line=error.lineno, column=error.colno),
        ) from None
    except ValueError as error:
        raise PricingError(f"price DB: {error}", location=Location(path=origin)) from None
    _check_version(document, origin)
    try:
        if lazy:
            header = _frame(document, origin)
            models = document.get("models")
            if not isinstance(models, list) or not models:
                raise PricingError("price DB has no models", location=Location(path=origin))
            raw = {_model_id(model, origin): model for model in models}
            return PriceDB(raw, header.tokenizers, header.updated_at, origin,
                           data=data, built_from=header.built_from)  # fmt: skip
        schema = PriceFileSchema.model_validate(document)
    except ValidationError as error:
        raise _schema_error(error, document, origin) from None
    db = PriceDB(
        {model["id"]: model for model in document["models"]},
        {
            name: records.build(Tokenizer, spec.model_dump())
            for name, spec in schema.tokenizers.items()
        },
        schema.updated_at,
        origin,
        data=data,
        built_from=tuple(schema.built_from),
    )
    for model in schema.models:  # already validated: keep them
        db._entries[model.id] = ModelEntry.from_record(
            records.build(records.Model, model.model_dump())
        )
    return db


@dataclass(frozen=True)
class _Header:
    updated_at: datetime
    tokenizers: dict[str, Tokenizer]
    built_from: tuple[str, ...]


def _tokenizer(spec: Any, validate: bool) -> Tokenizer:
    if validate:
        from llmcost_lsp.core.pricing.model import TokenizerSchema

        spec = TokenizerSchema.model_validate(spec).model_dump()
    return records.build(Tokenizer, spec)


def _frame(document: Any, origin: str, *, validate: bool = True) -> _Header:
    """The header of a price file, checked without the models."""
    where = Location(path=origin)
    if not isinstance(document, dict) or document.get("schema_version") != SCHEMA_VERSION:
        raise PricingError("price DB: schema_version must be 1", location=where)
    try:
        updated = datetime.fromisoformat(str(document.get("updated_at")).replace("Z", "+00:00"))
    except ValueError:
        raise PricingError("price DB: updated_at is not a timestamp", location=where) from None
    if updated.utcoffset() != timedelta(0):
        raise PricingError("price DB: updated_at must be a UTC timestamp", location=where)
    tokenizers = document.get("tokenizers")
    if not isinstance(tokenizers, dict):
        raise PricingError("price DB: tokenizers must be an object", location=where)
    built = document.get("built_from", [])
    return _Header(
        updated,
        {name: _tokenizer(spec, validate) for name, spec in tokenizers.items()},
        tuple(str(item) for item in built) if isinstance(built, list) else (),
    )


def _model_id(model: Any, origin: str) -> str:
    model_id = model.get("id") if isinstance(model, dict) else None
    if not isinstance(model_id, str) or not model_id:
        raise PricingError("price DB: a model has no id", location=Location(path=origin))
    return model_id


_MODELS_MARK = b',\n "models": [\n'
_LINE_START = b'  {"id":"'


def _read_built_layout(data: bytes, origin: str, *, validate: bool = True) -> PriceDB | None:
    """The header and name index of a file the build wrote; each model stays a line of bytes
    until first used. None when the file is laid out otherwise (then it is parsed whole)."""
    at = data.find(_MODELS_MARK)
    if at < 0:
        return None
    try:
        head = json.loads(data[:at] + b"\n}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    table = head.get("name_index") if isinstance(head, dict) else None
    if not isinstance(table, dict):
        return None
    _check_version(head, origin)
    header = _frame(head, origin, validate=validate)
    start = len(_LINE_START)
    raw: dict[str, dict[str, Any] | bytes] = {
        line[start : line.find(b'"', start)].decode("utf-8"): line
        for line in data[at + len(_MODELS_MARK) :].split(b"\n")
        if line.startswith(_LINE_START)
    }
    try:
        index = NameIndex.from_table(table)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if list(index.provider) != list(raw):
        return None  # the index is not this file's: parse it whole
    return PriceDB(raw, header.tokenizers, header.updated_at, origin, index=index,
                   data=data, built_from=header.built_from, validate=validate)  # fmt: skip


def read_bundled_price_db(data: bytes) -> PriceDB:
    """The bundled DB, read without pydantic: the build validated every byte of it and the tests
    check it on every run (records.py). A file not in the build's layout is read the careful way.
    Never for a DB from outside."""
    fast = _read_built_layout(data, BUNDLED, validate=False)
    return fast if fast is not None else parse_price_db(data, BUNDLED, lazy=True)


def _check_version(document: Any, origin: str) -> None:
    version = document.get("schema_version") if isinstance(document, dict) else None
    if isinstance(version, int) and version != SCHEMA_VERSION:
        raise PricingError(
            f"price DB has schema version {version}; this llm-cost reads version {SCHEMA_VERSION}",
            location=Location(path=origin),
            hint="upgrade llm-cost to read this price DB"
            if version > SCHEMA_VERSION
            else "this price DB is older than llm-cost supports",
        )


def _schema_error(error: ValidationError, document: Any, origin: str) -> PricingError:
    problems = error.errors(include_url=False)
    lines = []
    for problem in problems[:5]:
        loc = tuple(problem["loc"])
        lines.append(f"{_field_path(loc)}{_model_hint(document, loc)}: {problem['msg']}")
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return PricingError(
        "price DB fails the schema: " + "; ".join(lines) + more,
        location=Location(path=origin),
        hint="see docs/pricing.md and docs/schema/prices.schema.json",
    )


def bundled_price_bytes() -> bytes:
    """The bytes of the price DB shipped in the package."""
    from llmcost_lsp.data import DATA_DIR

    return (DATA_DIR / "prices.json").read_bytes()


@lru_cache(maxsize=1)
def _bundled() -> PriceDB:
    return read_bundled_price_db(bundled_price_bytes())


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
