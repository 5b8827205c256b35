"""Model efficiency from the ledger: cost per request and per 1,000 output tokens by prompt and
model, and what the same calls would have cost on each model the manifest's `[[rules]]
suggest` for the prompt — re-priced from their real token components (uncached input, cache
reads, 5-minute and 1-hour cache writes, output, reasoning) with the same `Pricer` that priced
them: the same price DB, `[pricing.overrides]`, service tier and prices in effect on each day.

Exact, not averaged: the calls are summed per prompt, model, day, service tier and long-context
bracket (which side of every input-token threshold of the candidates' prices a call falls), and
a call's price is linear in its tokens within a bracket, so pricing the sums equals pricing each
call (to the pico-dollar, for prices with up to six decimals per million tokens, as the
ledger's own). The sums come from the period's raw rows in one GROUP BY: the rollups hold
neither the service tier nor the brackets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from llmcost_lsp.core.ledger.price import Pricer, mode_of, usd_from_pico
from llmcost_lsp.core.ledger.store import ComponentGroup, SqlStore

Candidates = Callable[[str], Sequence[tuple[str, str]]]  # prompt id -> (model, why)


@dataclass
class Alternative:
    """The same calls on another model."""

    model: str  # as the rule names it
    model_id: str | None  # the price DB's id; None when unknown
    source: str  # "rule: search/answer", "rule: *"
    cost_pusd: int = 0
    unpriced: int = 0  # calls it cannot price (unknown model, mode not offered, too long)
    reason: str | None = None  # why, for the first of them

    @property
    def cost_usd(self) -> Decimal | None:
        """None unless every call was priced: a part is not the whole."""
        return None if self.unpriced else usd_from_pico(self.cost_pusd)


@dataclass
class EfficiencyLine:
    prompt_id: str
    model: str
    calls: int = 0
    unpriced: int = 0
    output_tokens: int = 0
    cost_pusd: int = 0  # the priced calls
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def cost_usd(self) -> Decimal | None:
        return usd_from_pico(self.cost_pusd) if self.calls > self.unpriced else None

    @property
    def per_call_usd(self) -> Decimal | None:
        priced = self.calls - self.unpriced
        return usd_from_pico(self.cost_pusd) / priced if priced and not self.unpriced else None

    @property
    def per_1k_output_usd(self) -> Decimal | None:
        if self.unpriced or not self.output_tokens:
            return None
        return usd_from_pico(self.cost_pusd) * 1000 / self.output_tokens

    def saving_usd(self, alternative: Alternative) -> Decimal | None:
        """What the calls would have saved on `alternative` (negative: cost more); None
        unless both sides priced every call."""
        if self.unpriced or alternative.unpriced:
            return None
        return usd_from_pico(self.cost_pusd - alternative.cost_pusd)


def thresholds(pricer: Pricer, models: Sequence[str]) -> list[int]:
    """Every input-token threshold at which a price of `models` changes (long-context tiers,
    a mode's input limit), in any schedule and mode."""
    found: set[int] = set()
    for name in models:
        entry = pricer.entry(name)
        for prices in entry.history if entry else ():
            for mode in prices.modes():
                found.update(prices.mode_tier_thresholds(mode))
                spec = prices.mode_spec(mode)
                if spec is not None and spec.max_input_tokens is not None:
                    found.add(spec.max_input_tokens)
    return sorted(found)


def efficiency(
    store: SqlStore,
    pricer: Pricer,
    candidates: Candidates,
    models: Sequence[str],
    since_ts: int | None = None,
    until_ts: int | None = None,
    project: str | None = None,
) -> list[EfficiencyLine]:
    """One line per prompt and model of the period, most expensive first; `candidates` names
    the models to compare a prompt with, `models` all that it may name (their thresholds make
    the brackets)."""
    groups = store.component_groups(since_ts, until_ts, project, thresholds(pricer, models))
    wanted = {prompt: list(candidates(prompt)) for prompt in {g.prompt_id for g in groups}}
    lines: dict[tuple[str, str], EfficiencyLine] = {}
    for group in groups:
        line = lines.get((group.prompt_id, group.model))
        if line is None:
            line = lines[(group.prompt_id, group.model)] = EfficiencyLine(
                group.prompt_id, group.model
            )
            own = pricer.entry(group.model)
            line.alternatives = [
                Alternative(name, entry.id if entry else None, source)
                for name, source in wanted[group.prompt_id]
                if (entry := pricer.entry(name)) is None or own is None or entry.id != own.id
            ]
        line.calls += group.calls
        line.unpriced += group.unpriced
        line.output_tokens += group.output_tokens
        line.cost_pusd += group.cost_pusd
        for alternative in line.alternatives:
            _reprice(pricer, group, alternative)
    return sorted(lines.values(), key=lambda x: (-x.cost_pusd, -x.calls, x.prompt_id, x.model))


def _reprice(pricer: Pricer, group: ComponentGroup, alternative: Alternative) -> None:
    price = pricer.price_sums(
        alternative.model,
        date.fromisoformat(group.day),
        mode_of(group.service_tier),
        tier_input_tokens=group.max_input_tokens,
        input_tokens=group.input_tokens,
        cache_read_tokens=group.cache_read_tokens,
        cache_write_5m_tokens=group.cache_write_5m_tokens,
        cache_write_1h_tokens=group.cache_write_1h_tokens,
        output_tokens=group.output_tokens,
        reasoning_tokens=group.reasoning_tokens,
    )
    if price.cost_pusd is None:
        alternative.unpriced += group.calls
        alternative.reason = alternative.reason or price.reason
    else:
        alternative.cost_pusd += price.cost_pusd
