"""Choosing rates: long-context tiers at their exact edges, batch/flex/priority, price history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from llmcost_lsp.core.errors import PricingError
from llmcost_lsp.core.pricing.db import PriceDB

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("model", "threshold", "base_input", "tier_input"),
    [
        # OpenAI: "prompts > 272K input tokens"
        ("gpt-5.4", 272_000, "2.5", "5"),
        # Anthropic: every token of a request whose prompt exceeds 100,000 tokens
        ("claude-haiku-5-5", 100_000, "0.1", "0.5"),
        # Google: "prompts > 200k tokens"
        ("gemini-2.5-pro", 200_000, "1.25", "2.5"),
        # xAI bills "200K tokens or more": strictly above 199,999
        ("grok-4.3", 199_999, "1.25", "2.5"),
    ],
)
def test_tier_applies_strictly_above_threshold(
    bundled: PriceDB, model: str, threshold: int, base_input: str, tier_input: str
) -> None:
    prices = bundled.resolve(model).prices_at(TODAY)
    at = prices.rates_for(threshold)
    above = prices.rates_for(threshold + 1)
    assert at.input == Decimal(base_input) and at.above_input_tokens is None
    assert above.input == Decimal(tier_input) and above.above_input_tokens == threshold
    assert at.tier == f"≤ {threshold:,} input tokens"
    assert above.tier == f"> {threshold:,} input tokens"


def test_crossing_a_tier_reprices_output_and_cache_too(bundled: PriceDB) -> None:
    prices = bundled.resolve("claude-haiku-5-5").prices_at(TODAY)
    below, above = prices.rates_for(100_000), prices.rates_for(100_001)
    assert (below.output, above.output) == (Decimal("0.5"), Decimal("2.5"))
    assert (below.cache_read, above.cache_read) == (Decimal("0.01"), Decimal("0.05"))
    assert (below.cache_write_5m, above.cache_write_5m) == (Decimal("0.125"), Decimal("0.625"))
    assert (below.cache_write_1h, above.cache_write_1h) == (Decimal("0.2"), Decimal("1"))


def test_model_without_tiers_says_standard(bundled: PriceDB) -> None:
    rates = bundled.resolve("gpt-4o").prices_at(TODAY).rates_for(120_000)
    assert rates.tier == "standard" and rates.above_input_tokens is None
    assert (rates.input, rates.output, rates.cache_read) == (
        Decimal("2.5"),
        Decimal("10"),
        Decimal("1.25"),
    )


def test_batch_multiplier_applies_to_every_price_and_tier(bundled: PriceDB) -> None:
    prices = bundled.resolve("claude-haiku-5-5").prices_at(TODAY)
    batch = prices.rates_for(100_001, "batch")
    assert batch.mode == "batch"
    assert (batch.input, batch.output) == (Decimal("0.25"), Decimal("1.25"))
    assert batch.cache_write_5m == Decimal("0.3125")  # exact, no float rounding


def test_explicit_priority_prices_and_their_long_context_limit(bundled: PriceDB) -> None:
    prices = bundled.resolve("gpt-5.5").prices_at(TODAY)
    assert prices.modes() == ["standard", "batch", "flex", "priority"]
    priority = prices.rates_for(272_000, "priority")
    assert (priority.input, priority.output) == (Decimal("12.5"), Decimal("75"))
    with pytest.raises(PricingError, match="over 272,000 input tokens"):
        prices.rates_for(272_001, "priority")


def test_explicit_mode_prices_that_are_not_a_multiple(bundled: PriceDB) -> None:
    # OpenAI's priority price for gpt-4o-mini (0.25 on 0.15) is no round multiple
    rates = bundled.resolve("gpt-4o-mini").prices_at(TODAY).rates_for(1000, "priority")
    assert rates.input == Decimal("0.25") and rates.output == Decimal("1")


def test_mode_not_offered_names_model_and_available_modes(bundled: PriceDB) -> None:
    prices = bundled.resolve("nova-pro").prices_at(TODAY)
    with pytest.raises(PricingError) as error:
        prices.rates_for(10, "flex")
    assert "nova-pro" in str(error.value) and "available: standard" in str(error.value)


def test_negative_input_tokens_rejected(bundled: PriceDB) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        bundled.resolve("gpt-4o").prices_at(TODAY).rates_for(-1)


def test_history_appends_and_picks_the_schedule_in_effect(bundled: PriceDB) -> None:
    opus = bundled.resolve("claude-opus-4-6")
    before = opus.prices_at(date(2026, 3, 12))
    after = opus.prices_at(date(2026, 3, 13))
    assert before.tier_thresholds == [200_000] and after.tier_thresholds == []
    assert before.rates_for(200_001).input == Decimal("10")
    assert after.rates_for(200_001).input == Decimal("5")


def test_announced_future_price_takes_effect_on_its_date(bundled: PriceDB) -> None:
    flash = bundled.resolve("gemini-3.6-flash")
    assert flash.prices_at(date(2026, 12, 31)).rates_for(1).input == Decimal("0.75")
    assert flash.prices_at(date(2027, 1, 1)).rates_for(1).input == Decimal("1.5")


def test_no_price_before_the_first_schedule(bundled: PriceDB) -> None:
    with pytest.raises(PricingError, match="prices start on 2024-08-06"):
        bundled.resolve("gpt-4o").prices_at(date(2024, 1, 1))


def test_small_db_modes_and_history(
    small_document: dict[str, Any], parse_document: Callable[[dict[str, Any]], PriceDB]
) -> None:
    db = parse_document(small_document)
    sonnet = db.resolve("claude-sonnet-4.5")
    assert sonnet.deprecated_on == date(2026, 11, 30) and sonnet.is_deprecated(TODAY) is False
    assert sonnet.prices_at(TODAY).rates_for(200_001, "batch").output == Decimal("11.25")
    assert sonnet.prices_at(date(2027, 1, 1)).rates_for(200_001).input == Decimal("4")
    gpt = db.resolve("gpt-4o").prices_at(TODAY)
    assert gpt.rates_for(5, "batch").cache_read == Decimal("0.625")
    assert gpt.rates_for(5, "priority").cache_read is None  # not published for priority
