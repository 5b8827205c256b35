"""Price one recorded call with the estimate's own path: the same price DB, tier choice, mode
and `[pricing.overrides]` (estimate.call_rates / priced_components), in exact integer pico-USD.

A call the DB cannot price (unknown model, a mode it does not offer, a date before its
prices) is *unpriced*: cost None and the reason, never $0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.estimate import RateOverrides, call_rates, priced_components
from llmcost_lsp.core.ledger.usage import Usage
from llmcost_lsp.core.pricing.db import ModelEntry, PriceDB

PICO_PER_USD = 10**12
# Service tiers as providers report them -> the price DB's modes. "default", "auto", "scale",
# "standard" and "on_demand" are standard processing.
_MODES = {"flex": "flex", "priority": "priority", "batch": "batch"}


def pico_usd(usd: Decimal) -> int:
    """Exact for every price with up to six decimals per Mtok (all of them today); a finer
    price rounds half-even to the pico-dollar."""
    return int((usd * PICO_PER_USD).to_integral_value(ROUND_HALF_EVEN))


def usd_from_pico(pico: int) -> Decimal:
    return Decimal(pico).scaleb(-12)


def mode_of(service_tier: str | None) -> str:
    return _MODES.get((service_tier or "").strip().lower(), "standard")


@dataclass(frozen=True, slots=True)
class CallPrice:
    """What one call cost. `cost_pusd` is None when unpriced (`reason` says why)."""

    model_id: str | None
    cost_pusd: int | None
    list_cost_pusd: int | None
    price_id: str | None
    reason: str | None = None


class Pricer:
    """Prices calls against one price DB and the manifest's overrides; caches model lookups.

    `overrides` maps a model (the DB entry) to its contracted rates; build it with
    `core.prompt_settings.overrides_for` bound to a manifest."""

    def __init__(
        self,
        db: PriceDB,
        overrides: Callable[[ModelEntry], RateOverrides | None] | None = None,
    ) -> None:
        self.db = db
        self.version = db.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._overrides = overrides
        self._entries: dict[str, ModelEntry | None] = {}
        self._override_cache: dict[str, RateOverrides | None] = {}

    def entry(self, model: str | None) -> ModelEntry | None:
        if not model:
            return None
        if model not in self._entries:
            if len(self._entries) > 10_000:
                self._entries.clear()  # hostile model strings must not grow memory
            self._entries[model] = self.db.resolve(model) if model in self.db else None
        return self._entries[model]

    def price(self, usage: Usage, day: date, mode: str | None = None) -> CallPrice:
        """The cost of `usage` at the prices in effect on `day` (the call's UTC date)."""
        return self.price_sums(
            usage.model,
            day,
            mode or mode_of(usage.service_tier),
            tier_input_tokens=usage.input_tokens,
            input_tokens=usage.input_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_5m_tokens=usage.cache_write_5m_tokens,
            cache_write_1h_tokens=usage.cache_write_1h_tokens,
            output_tokens=usage.output_tokens,
            reasoning_tokens=usage.reasoning_tokens,
        )

    def price_sums(
        self,
        model: str | None,
        day: date,
        mode: str,
        *,
        tier_input_tokens: int,
        input_tokens: int,
        cache_read_tokens: int,
        cache_write_5m_tokens: int,
        cache_write_1h_tokens: int,
        output_tokens: int,
        reasoning_tokens: int,
    ) -> CallPrice:
        """One call, or the token sums of calls that share a model, day, mode and long-context
        tier (`tier_input_tokens`: a call's input, which picks the tier): a price is linear in
        the tokens within a tier, so the sums cost what the calls cost together."""
        entry = self.entry(model)
        if entry is None:
            reason = "no model named" if not model else f"unknown model {model!r}"
            return CallPrice(None, None, None, None, reason)
        if entry.id not in self._override_cache:
            self._override_cache[entry.id] = self._overrides(entry) if self._overrides else None
        overrides = self._override_cache[entry.id]
        try:
            prices, list_rates, rates = call_rates(entry, tier_input_tokens, mode, overrides, day)
        except LlmCostError as error:
            return CallPrice(entry.id, None, None, None, error.message)
        written = cache_write_5m_tokens + cache_write_1h_tokens
        components, _ = priced_components(
            entry.id,
            rates,
            list_rates,
            uncached=Decimal(input_tokens - cache_read_tokens - written),
            cached=Decimal(cache_read_tokens),
            writes=(("5m", Decimal(cache_write_5m_tokens)), ("1h", Decimal(cache_write_1h_tokens))),
            output=Decimal(output_tokens),
            reasoning=Decimal(reasoning_tokens),
        )
        cost = sum((c.usd for c in components), Decimal(0))
        list_cost = sum((c.list_usd for c in components), Decimal(0))
        tier = (
            "standard" if rates.above_input_tokens is None else f"above-{rates.above_input_tokens}"
        )
        contracted = "+contract" if rates != list_rates else ""
        price_id = f"{entry.id}/{mode}/{tier}/{prices.effective_from.isoformat()}{contracted}"
        return CallPrice(entry.id, pico_usd(cost), pico_usd(list_cost), price_id)
