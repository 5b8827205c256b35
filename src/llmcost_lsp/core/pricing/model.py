"""The pydantic schema of the price DB file (`data/prices.json`), exported as JSON Schema.

`python -m llmcost_lsp.core.pricing.model > docs/schema/prices.schema.json` rewrites the export.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

# Defined beside the records the bundled DB is read into without pydantic (records.py).
from llmcost_lsp.core.pricing.records import MODES as MODES
from llmcost_lsp.core.pricing.records import PRICE_FIELDS as PRICE_FIELDS
from llmcost_lsp.core.pricing.records import SCHEMA_VERSION as SCHEMA_VERSION

# off_peak: a time-of-day price (DeepSeek) offered as a scenario option; standard is the peak
Mode = Literal["batch", "flex", "priority", "off_peak"]

_PRICE_TEXT = re.compile(r"^\d+(\.\d+)?$")


def _decimal_from_text(value: Any) -> Decimal:
    # Prices are JSON strings so no JSON parser ever turns them into binary floats.
    if not isinstance(value, str) or not _PRICE_TEXT.match(value):
        raise ValueError('must be a non-negative decimal number written as a string, e.g. "2.50"')
    return Decimal(value)


def _check_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        if value.is_nan() or value < 0:
            raise ValueError("must be a non-negative decimal number")
        return value
    return _decimal_from_text(value)


Usd = Annotated[
    Decimal,
    BeforeValidator(_check_decimal),
    WithJsonSchema({"type": "string", "pattern": _PRICE_TEXT.pattern}),
    PlainSerializer(str, return_type=str, when_used="json"),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceSetSchema(_Strict):
    """USD per million tokens. A price left out (null) is not offered by the provider."""

    input: Usd
    output: Usd
    cache_read: Usd | None = None
    cache_write_5m: Usd | None = None
    cache_write_1h: Usd | None = None
    reasoning: Usd | None = Field(
        default=None, description="Only where reasoning tokens are billed apart from output."
    )

    @model_validator(mode="after")
    def _cache_read_not_above_input(self) -> PriceSetSchema:
        if self.cache_read is not None and self.cache_read > self.input:
            raise ValueError(f"cache_read {self.cache_read} is above input {self.input}")
        return self

    def offered(self) -> frozenset[str]:
        """Names of the prices this set offers (not null)."""
        return frozenset(name for name in PRICE_FIELDS if getattr(self, name) is not None)


class TierSchema(PriceSetSchema):
    """Prices for a whole request whose prompt has MORE than `above_input_tokens` input tokens."""

    above_input_tokens: int = Field(gt=0)


class TieredPricesSchema(PriceSetSchema):
    """Base prices plus long-context tiers (each tier reprices every token of the request)."""

    tiers: list[TierSchema] = Field(default_factory=list)

    @model_validator(mode="after")
    def _tiers_well_formed(self) -> TieredPricesSchema:
        thresholds = [tier.above_input_tokens for tier in self.tiers]
        if any(b <= a for a, b in pairwise(thresholds)):
            raise ValueError(f"tier thresholds must strictly increase, got {thresholds}")
        base_offered = self.offered()
        for tier in self.tiers:
            tier_offered = tier.offered()
            if tier_offered != base_offered:
                raise ValueError(
                    f"tier above {tier.above_input_tokens} prices {sorted(tier_offered)} "
                    f"but the base prices {sorted(base_offered)}: a tier reprices every token"
                )
        return self


class ModeSchema(_Strict):
    """Batch/flex/priority: a multiplier of the standard prices, or explicit prices."""

    multiplier: Usd | None = None
    prices: TieredPricesSchema | None = None
    max_input_tokens: int | None = Field(
        default=None,
        gt=0,
        description="The mode is not offered for prompts above this many input tokens.",
    )
    note: str | None = None

    @model_validator(mode="after")
    def _one_representation(self) -> ModeSchema:
        if (self.multiplier is None) == (self.prices is None):
            raise ValueError("give exactly one of `multiplier` or `prices`")
        return self


class ScheduleSchema(TieredPricesSchema):
    """The prices in effect from `effective_from` until the next schedule of the model."""

    effective_from: date
    source: str = Field(pattern=r"^https://", description="URL of the provider's price page.")
    checked_on: date = Field(description="When a maintainer last verified these prices.")
    crosschecked_with: list[str] = Field(
        default_factory=list, description="Other public sources that agree (name and version)."
    )
    modes: dict[Mode, ModeSchema] = Field(default_factory=dict)
    note: str | None = None


class ModelSchema(_Strict):
    # a host's copy of a model carries the host: "bedrock/meta.llama3-3-70b-instruct-v1:0"
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._\-:/@]*$")
    provider: str = Field(pattern=r"^[a-z0-9\-]+$")
    display_name: str
    aliases: list[str] = Field(default_factory=list)
    name_prefixes: list[str] = Field(
        default_factory=list,
        description="A name starting with one of these and ending in a date or version "
        "(`-20241022`, `@20240620`, `-v2`) is this model (its source prices every snapshot alike).",
    )
    moving_aliases: dict[str, str] = Field(
        default_factory=dict,
        description="Moving names (`-latest`) that point here on the DB's date -> the pinned "
        "id to write instead.",
    )
    kind: Literal["chat", "embedding"] = Field(
        default="chat", description="An embedding model bills input only."
    )
    tokenizer: str
    context_window: int | None = Field(default=None, gt=0, description="None: not known.")
    max_output_tokens: int | None = Field(default=None, gt=0, description="None: not known.")
    min_cache_tokens: int | None = Field(
        default=None, gt=0, description="Prompts shorter than this are not cached."
    )
    deprecated_on: date | None = Field(
        default=None,
        description="When calls stop (retirement); still priced after it, with a warning.",
    )
    hosted_by: str | None = Field(
        default=None, description="For open-weight models: whose API these prices are."
    )
    prices: list[ScheduleSchema] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _history_sorted(self) -> ModelSchema:
        starts = [schedule.effective_from for schedule in self.prices]
        if any(b <= a for a, b in pairwise(starts)):
            raise ValueError(
                f"prices must be sorted by effective_from without duplicates, got "
                f"{[d.isoformat() for d in starts]}"
            )
        return self


class TokenizerSchema(_Strict):
    encoding: Literal["o200k_base", "cl100k_base"]
    exact_backend: Literal["llama3", "llama4", "mistral-tekken", "qwen", "deepseek"] | None = None
    ratio: Usd | None = Field(default=None, description="Tokens of this family per o200k token.")
    error_band_pct: Usd | None = None
    tokens_per_message: int = Field(default=3, ge=0)
    tokens_per_reply: int = Field(default=3, ge=0)
    source: str

    @model_validator(mode="after")
    def _band_with_ratio(self) -> TokenizerSchema:
        if (self.ratio is None) != (self.error_band_pct is None):
            raise ValueError("`ratio` and `error_band_pct` go together")
        return self


class PriceFileSchema(_Strict):
    """The whole price DB file."""

    schema_version: Literal[1]
    updated_at: datetime = Field(description="RFC 3339 timestamp in UTC, e.g. 2026-11-23T00:00:00Z")
    currency: Literal["USD"] = "USD"
    unit: Literal["per_million_tokens"] = "per_million_tokens"
    built_from: list[str] = Field(
        default_factory=list, description="The sources a build read, e.g. genai-prices 0.2.3."
    )
    tokenizers: dict[str, TokenizerSchema]
    name_index: dict[str, Any] | None = Field(
        default=None,
        description="Generated by the build: every name -> its model, so a load need not parse "
        "every model. Must equal what the models say; a file without it is indexed on load.",
    )
    models: list[ModelSchema] = Field(min_length=1)

    @model_validator(mode="after")
    def _index_matches(self) -> PriceFileSchema:
        if self.name_index is not None:
            from llmcost_lsp.core.pricing.names import NameIndex

            rows = [model.model_dump(mode="json", exclude_none=True) for model in self.models]
            if NameIndex(rows).to_table() != self.name_index:
                raise ValueError("name_index does not match the models: rebuild the file")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> PriceFileSchema:
        if self.updated_at.tzinfo is None or self.updated_at.utcoffset() != _ZERO_OFFSET:
            raise ValueError("updated_at must be a UTC timestamp ending in Z")
        seen: dict[str, str] = {}
        for model in self.models:
            if model.tokenizer not in self.tokenizers:
                raise ValueError(f"model {model.id!r} uses unknown tokenizer {model.tokenizer!r}")
            for name in (model.id, *model.aliases, *model.moving_aliases):
                key = name.strip().lower()
                if key in seen and seen[key] != model.id:
                    raise ValueError(
                        f"name {name!r} of model {model.id!r} already names {seen[key]!r}"
                    )
                seen[key] = model.id
        return self


_ZERO_OFFSET = timedelta(0)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the price file, as written to docs/schema/prices.schema.json."""
    schema = PriceFileSchema.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://llm-cost.dev/schema/prices.schema.json"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(json_schema_text())
