"""The one cost formula: tokens × rates × volume, in Decimal, with provenance on every input.

    input_tokens  = prompt tokens (+ variables + chat overhead), counted elsewhere
    cached        = input × cache_hit_ratio           billed at cache_read
    written       = input × cache_write_ratio         billed at cache_write (5m/1h), not input
    uncached      = input − cached − written          billed at input
    per_call      = uncached·input + cached·cache_read + written·cache_write + output·output
    monthly       = per_call × calls_per_month × calls_multiplier

The tier is chosen by the prompt's whole input size (cached and written tokens included), so
crossing a long-context threshold reprices every token. Unknown volume stays unknown (None):
the per-call cost of the input alone is still given, never a silent zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Generic, Literal, TypeVar

from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.pricing.db import ModelEntry, ModelPrices, Rates
from llmcost_lsp.core.tokens.spec import TokenCount

T = TypeVar("T")
MILLION = Decimal(1_000_000)
ComponentKind = Literal["input", "cached_input", "cache_write", "output", "reasoning"]
CacheTtl = Literal["5m", "1h"]
UPPER_BOUND = "(upper bound)"  # ends the source of an output size read from max_tokens
# The model a prompt that names none is priced as (docs/manifest.md, "When no model is named"):
# a current, mid-priced general model; the estimate says it is assumed wherever it is shown.
ASSUMED_MODEL = "gpt-5.4-mini"
ASSUMED_SOURCE = "assumed: no model named (llm-cost's default)"


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A value and where it came from: `source` for people (`manifest: prompts.search.model`,
    `prompt file: model`), `key` for code: the manifest key path it was read from, when it was
    (`("defaults", "model")`), so a finding about it is placed on that line without parsing the
    text back (a prompt id may contain any word)."""

    value: T
    source: str
    key: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ScenarioTerms:
    """The terms of a scenario that change the formula; the default is the plain baseline."""

    name: str = "baseline"
    calls_multiplier: Decimal = Decimal(1)
    cache_hit_ratio: Decimal = Decimal(0)
    cache_write_ratio: Decimal = Decimal(0)
    cache_ttl: CacheTtl = "5m"
    mode: str = "standard"
    output_tokens_multiplier: Decimal = Decimal(1)


@dataclass(frozen=True)
class RateOverrides:
    """Org-negotiated prices per Mtok (ContractedCost); None keeps the list price."""

    input: Decimal | None = None
    output: Decimal | None = None
    cache_read: Decimal | None = None
    cache_write_5m: Decimal | None = None
    cache_write_1h: Decimal | None = None
    source: str = "manifest: pricing.overrides"

    def apply(self, rates: Rates) -> Rates:
        changes = {
            field: value
            for field in ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")
            if (value := getattr(self, field)) is not None
        }
        return replace(rates, **changes) if changes else rates


@dataclass(frozen=True)
class CostComponent:
    """One priced line of a call: tokens at a rate. `list_usd` is before org overrides."""

    kind: ComponentKind
    tokens: Decimal
    per_mtok: Decimal
    list_per_mtok: Decimal
    usd: Decimal
    list_usd: Decimal


@dataclass(frozen=True)
class Estimate:
    """Cost of one prompt under one scenario, with everything needed to explain it."""

    prompt_id: str
    model: Sourced[str]
    model_entry: ModelEntry
    scenario: ScenarioTerms
    input_tokens: TokenCount
    output_tokens: Sourced[int] | None
    calls_per_month: Sourced[int] | None
    rates: Rates
    list_rates: Rates
    price_source: str
    price_effective_from: str
    contracted: bool
    components: tuple[CostComponent, ...]
    input_per_call_usd: Decimal
    per_call_usd: Decimal | None
    monthly_calls: Decimal | None
    monthly_usd: Decimal | None
    notes: tuple[str, ...] = ()
    # per-call cost at both ends of an approximate count's error band, when the band straddles
    # a long-context tier (one number could be several times off); None otherwise
    per_call_range: tuple[Decimal, Decimal] | None = None

    @property
    def monthly_range(self) -> tuple[Decimal, Decimal] | None:
        if self.per_call_range is None or self.monthly_calls is None:
            return None
        low, high = self.per_call_range
        return low * self.monthly_calls, high * self.monthly_calls

    @property
    def cached_tokens(self) -> Decimal:
        return sum((c.tokens for c in self.components if c.kind == "cached_input"), Decimal(0))

    @property
    def model_assumed(self) -> bool:
        """No model was named: priced as ASSUMED_MODEL, to be said next to every figure."""
        return self.model.source == ASSUMED_SOURCE

    @property
    def output_is_upper_bound(self) -> bool:
        """The output size is the prompt's `max_tokens`: every cost shown is at most this."""
        return self.output_tokens is not None and self.output_tokens.source.endswith(UPPER_BOUND)

    @property
    def effective_output_tokens(self) -> Decimal | None:
        return next((c.tokens for c in self.components if c.kind == "output"), None)


def _ratio(name: str, value: Decimal) -> Decimal:
    if not Decimal(0) <= value <= Decimal(1):
        raise InputError(f"scenario {name} must be between 0 and 1, got {value}")
    return value


def price_call(
    *,
    prompt_id: str,
    model: Sourced[str],
    entry: ModelEntry,
    input_tokens: TokenCount,
    output_tokens: Sourced[int] | None,
    calls_per_month: Sourced[int] | None,
    scenario: ScenarioTerms,
    on: date,
    overrides: RateOverrides | None = None,
    assumed: tuple[str, ...] = (),
    cacheable_tokens: int | None = None,
    measured_cache: str | None = None,
) -> Estimate:
    """Apply the formula for one prompt, at the prices in effect `on` (Workspace.price_day).

    Raises InputError for impossible scenario terms, PricingError for a mode the model lacks.
    `assumed` (what resolving the model's name assumed) leads the estimate's notes. An embedding
    model bills input only: its calls have no output tokens and no output cost.

    Caching applies to the cacheable prefix only: `cacheable_tokens` (the prompt before its first
    filled variable; None: the whole input), and not at all when that prefix is shorter than the
    model's minimum cacheable prompt (OpenAI 1,024 tokens; Anthropic 1,024-4,096 per model).
    `measured_cache` (where they were read) says the scenario's ratios were measured on this
    prompt's real calls: shares of its whole input, which neither rule cuts again.
    """
    hit = _ratio("cache_hit_ratio", scenario.cache_hit_ratio)
    write = _ratio("cache_write_ratio", scenario.cache_write_ratio)
    if hit + write > 1:
        raise InputError(
            f"scenario {scenario.name!r}: cache_hit_ratio + cache_write_ratio "
            f"exceed 1 ({hit + write})"
        )
    prices, list_rates, rates = call_rates(entry, input_tokens.tokens, scenario.mode, overrides, on)
    total_in = Decimal(input_tokens.tokens)
    told: list[str] = list(assumed)
    cacheable = total_in if cacheable_tokens is None else min(Decimal(cacheable_tokens), total_in)
    minimum = entry.min_cache_tokens
    if measured_cache is not None:
        cacheable = total_in
        told.append(
            f"cache shares measured on this prompt's calls: {_share(hit)} of its input read "
            f"from the cache, {_share(write)} written ({measured_cache})"
        )
    elif (hit or write) and minimum is not None and cacheable < minimum:
        told.append(
            f"no cache discount: the cacheable prefix of {cacheable:,} tokens is below "
            f"{entry.id}'s minimum cacheable prompt of {minimum:,} tokens"
        )
        cacheable = Decimal(0)
    elif (hit or write) and cacheable < total_in:
        told.append(
            f"only the {cacheable:,}-token prefix before the first variable is cached; the "
            f"other {total_in - cacheable:,} input tokens are billed at the input price"
        )
    cached = cacheable * hit
    written = cacheable * write
    if entry.is_deprecated(on):
        told.append(
            f"{entry.id} was retired on {entry.deprecated_on}: calls to it fail; priced at its "
            "last price"
        )
    if entry.is_embedding:  # an embedding call bills input only
        output_tokens = Sourced(0, "embedding model: no output")
    out = (
        Decimal(output_tokens.value) * scenario.output_tokens_multiplier
        if output_tokens is not None
        else None
    )
    components, notes = priced_components(
        entry.id,
        rates,
        list_rates,
        uncached=total_in - cached - written,
        cached=cached,
        writes=((scenario.cache_ttl, written),),
        output=out,
    )
    input_usd = sum(
        (c.usd for c in components if c.kind not in ("output", "reasoning")), Decimal(0)
    )
    per_call = sum((c.usd for c in components), Decimal(0)) if output_tokens is not None else None
    monthly_calls = (
        Decimal(calls_per_month.value) * scenario.calls_multiplier
        if calls_per_month is not None
        else None
    )
    monthly = (
        per_call * monthly_calls if per_call is not None and monthly_calls is not None else None
    )

    def per_call_at(tokens: int) -> Decimal:
        """The same call with `tokens` input tokens (cache shares scaled alike)."""
        _, low_list, low_rates = call_rates(entry, tokens, scenario.mode, overrides, on)
        scale = Decimal(tokens) / total_in
        parts, _ = priced_components(
            entry.id,
            low_rates,
            low_list,
            uncached=(total_in - cached - written) * scale,
            cached=cached * scale,
            writes=((scenario.cache_ttl, written * scale),),
            output=out,
        )
        return sum((c.usd for c in parts), Decimal(0))

    band = input_tokens.error_band_pct
    span: tuple[Decimal, Decimal] | None = None
    if not input_tokens.is_exact and band and total_in:
        low_tokens = int(total_in * (1 - band / 100))
        high_tokens = int((total_in * (1 + band / 100)).to_integral_value(ROUND_CEILING))
        crossed = [
            t for t in prices.mode_tier_thresholds(scenario.mode) if low_tokens <= t < high_tokens
        ]
        if crossed:
            span = (per_call_at(max(low_tokens, 1)), per_call_at(high_tokens))
            told.append(
                f"the approximate count (±{band}%: {low_tokens:,}-{high_tokens:,} tokens) "
                f"straddles the > {crossed[0]:,}-token price tier: "
                f"{_usd(span[0])}-{_usd(span[1])} per call, not one figure"
                + ("" if output_tokens is not None else " (input only)")
            )
    return Estimate(
        prompt_id=prompt_id,
        model=model,
        model_entry=entry,
        scenario=scenario,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        calls_per_month=calls_per_month,
        rates=rates,
        list_rates=list_rates,
        price_source=prices.source,
        price_effective_from=prices.effective_from.isoformat(),
        contracted=rates != list_rates,
        components=components,
        input_per_call_usd=input_usd,
        per_call_usd=per_call,
        monthly_calls=monthly_calls,
        monthly_usd=monthly,
        notes=(*told, *notes),
        per_call_range=span,
    )


def _share(ratio: Decimal) -> str:
    return f"{(ratio * 100).quantize(Decimal('0.1')).normalize():f}%"


def _usd(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.000001')).normalize():f}"


def call_rates(
    entry: ModelEntry,
    input_tokens: int,
    mode: str,
    overrides: RateOverrides | None,
    on: date,
) -> tuple[ModelPrices, Rates, Rates]:
    """The schedule in effect `on`, and the list and contracted rates of one request: its tier
    is chosen by its whole input (cached and written tokens included)."""
    prices = entry.prices_at(on)
    list_rates = prices.rates_for(input_tokens, mode)
    rates = overrides.apply(list_rates) if overrides else list_rates
    return prices, list_rates, rates


def priced_components(
    model_id: str,
    rates: Rates,
    list_rates: Rates,
    *,
    uncached: Decimal,
    cached: Decimal,
    writes: Sequence[tuple[CacheTtl, Decimal]],
    output: Decimal | None,
    reasoning: Decimal = Decimal(0),
) -> tuple[tuple[CostComponent, ...], tuple[str, ...]]:
    """Tokens × rates per component: the one place a token meets its price. The estimate
    passes expected tokens, the runtime ledger a call's exact counts. Reasoning tokens are part
    of `output`; they get their own line only where the model bills them apart."""
    notes: list[str] = []
    parts: list[tuple[ComponentKind, Decimal, Decimal, Decimal]] = [
        ("input", uncached, rates.input, list_rates.input)
    ]
    if cached:
        if rates.cache_read is None or list_rates.cache_read is None:
            notes.append(f"{model_id} has no prompt-cache price: cached tokens billed as input")
        parts.append(
            ("cached_input", cached, _or(rates.cache_read, rates.input),
             _or(list_rates.cache_read, list_rates.input))
        )  # fmt: skip
    for ttl, written in writes:
        if not written:
            continue
        write_rate, list_write = (
            (rates.cache_write_1h, list_rates.cache_write_1h)
            if ttl == "1h"
            else (rates.cache_write_5m, list_rates.cache_write_5m)
        )
        if write_rate is None or list_write is None:
            notes.append(
                f"{model_id} has no {ttl} cache-write price: "
                "written tokens billed as input, as its provider does"
            )
        parts.append(
            ("cache_write", written, _or(write_rate, rates.input),
             _or(list_write, list_rates.input))
        )  # fmt: skip
    if output is not None:
        if reasoning and rates.reasoning is not None and list_rates.reasoning is not None:
            parts.append(("reasoning", reasoning, rates.reasoning, list_rates.reasoning))
            output -= reasoning
        parts.append(("output", output, rates.output, list_rates.output))
    return tuple(_component(*part) for part in parts), tuple(notes)


def _or(value: Decimal | None, fallback: Decimal) -> Decimal:
    return fallback if value is None else value


def _component(
    kind: ComponentKind, tokens: Decimal, per_mtok: Decimal, list_per_mtok: Decimal
) -> CostComponent:
    return CostComponent(
        kind=kind,
        tokens=tokens,
        per_mtok=per_mtok,
        list_per_mtok=list_per_mtok,
        usd=tokens * per_mtok / MILLION,
        list_usd=tokens * list_per_mtok / MILLION,
    )
