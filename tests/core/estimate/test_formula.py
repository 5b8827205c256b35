"""Each term of the cost formula on hand-computed examples (prices from small_prices.json)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from llmcost_lsp.core.errors import InputError, PricingError
from llmcost_lsp.core.estimate import Estimate, RateOverrides, ScenarioTerms, Sourced, price_call
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.tokens.spec import TokenCount

DAY = date(2026, 11, 23)


def _estimate(
    db: PriceDB,
    model: str,
    tokens: int,
    output: int | None = 200,
    calls: int | None = 10_000,
    scenario: ScenarioTerms | None = None,
    overrides: RateOverrides | None = None,
    on: date = DAY,
) -> Estimate:
    return price_call(
        prompt_id="p",
        model=Sourced(model, "test"),
        entry=db.resolve(model),
        input_tokens=TokenCount(tokens, "exact", "o200k_base"),
        output_tokens=None if output is None else Sourced(output, "test"),
        calls_per_month=None if calls is None else Sourced(calls, "test"),
        scenario=scenario or ScenarioTerms(),
        overrides=overrides,
        on=on,
    )


def test_plain_input_and_output(small_db: PriceDB) -> None:
    # 1,000 × $2.50/M + 200 × $10/M = $0.0025 + $0.002
    e = _estimate(small_db, "gpt-4o", 1_000)
    assert e.per_call_usd == Decimal("0.0045")
    assert e.input_per_call_usd == Decimal("0.0025")
    assert e.monthly_usd == Decimal("45")
    assert [c.kind for c in e.components] == ["input", "output"]


def test_calls_multiplier_scales_monthly_only(small_db: PriceDB) -> None:
    e = _estimate(small_db, "gpt-4o", 1_000, scenario=ScenarioTerms("launch", Decimal(3)))
    assert e.per_call_usd == Decimal("0.0045")
    assert e.monthly_calls == Decimal(30_000)
    assert e.monthly_usd == Decimal("135")


def test_cache_reads_are_billed_at_the_cache_price(small_db: PriceDB) -> None:
    # 500 uncached × 2.50 + 500 cached × 1.25 + 200 out × 10  (per million)
    terms = ScenarioTerms("cached", cache_hit_ratio=Decimal("0.5"))
    e = _estimate(small_db, "gpt-4o", 1_000, scenario=terms)
    assert e.cached_tokens == Decimal(500)
    assert e.per_call_usd == Decimal("0.003875")


def test_cache_writes_replace_the_input_price_for_their_share(small_db: PriceDB) -> None:
    # 10,000 in: 4,000 × $3 + 5,000 read × $0.30 + 1,000 written (1h) × $6 + 500 out × $15
    terms = ScenarioTerms(
        "warm", cache_hit_ratio=Decimal("0.5"), cache_write_ratio=Decimal("0.1"), cache_ttl="1h"
    )
    e = _estimate(small_db, "claude-sonnet-4-5", 10_000, output=500, scenario=terms)
    kinds = {c.kind: (c.tokens, c.per_mtok) for c in e.components}
    assert kinds["input"] == (Decimal(4_000), Decimal(3))
    assert kinds["cached_input"] == (Decimal(5_000), Decimal("0.3"))
    assert kinds["cache_write"] == (Decimal(1_000), Decimal(6))
    assert e.per_call_usd == Decimal("0.027")


def test_cache_write_5m_is_the_default_ttl(small_db: PriceDB) -> None:
    terms = ScenarioTerms("w", cache_write_ratio=Decimal("1"))
    e = _estimate(small_db, "claude-sonnet-4-5", 1_000, output=0, scenario=terms)
    assert e.per_call_usd == Decimal("0.00375")  # 1,000 × $3.75/M


def test_tier_at_the_threshold_keeps_the_base_price(small_db: PriceDB) -> None:
    e = _estimate(small_db, "claude-sonnet-4-5", 200_000, output=1_000)
    assert e.rates.above_input_tokens is None
    assert e.per_call_usd == Decimal("0.615")  # 200,000 × $3 + 1,000 × $15


def test_one_token_over_the_threshold_reprices_every_token(small_db: PriceDB) -> None:
    e = _estimate(small_db, "claude-sonnet-4-5", 200_001, output=1_000)
    assert e.rates.above_input_tokens == 200_000
    # 200,001 × $6 + 1,000 × $22.50 (output repriced too)
    assert e.per_call_usd == Decimal("1.222506")


def test_batch_mode_halves_the_price(small_db: PriceDB) -> None:
    e = _estimate(small_db, "gpt-4o", 1_000, scenario=ScenarioTerms("n", mode="batch"))
    assert e.per_call_usd == Decimal("0.00225")


def test_priority_mode_uses_its_own_prices(small_db: PriceDB) -> None:
    e = _estimate(small_db, "gpt-4o", 1_000, scenario=ScenarioTerms("p", mode="priority"))
    assert e.per_call_usd == Decimal("0.00765")  # 1,000 × $4.25 + 200 × $17


def test_mode_the_model_lacks_is_a_pricing_error(small_db: PriceDB) -> None:
    with pytest.raises(PricingError, match="flex"):
        _estimate(small_db, "claude-sonnet-4-5", 1_000, scenario=ScenarioTerms("f", mode="flex"))


def test_org_override_is_contracted_and_list_cost_is_kept(small_db: PriceDB) -> None:
    e = _estimate(small_db, "gpt-4o", 1_000, overrides=RateOverrides(input=Decimal("2.00")))
    assert e.contracted
    assert e.per_call_usd == Decimal("0.004")
    assert sum(c.list_usd for c in e.components) == Decimal("0.0045")


def test_unknown_output_tokens_leave_the_total_unknown(small_db: PriceDB) -> None:
    e = _estimate(small_db, "gpt-4o", 1_000, output=None)
    assert e.per_call_usd is None
    assert e.monthly_usd is None
    assert e.input_per_call_usd == Decimal("0.0025")


def test_unknown_calls_leave_the_monthly_cost_unknown(small_db: PriceDB) -> None:
    e = _estimate(small_db, "gpt-4o", 1_000, calls=None)
    assert e.per_call_usd == Decimal("0.0045")
    assert e.monthly_usd is None


def test_cache_ratios_above_one_are_refused(small_db: PriceDB) -> None:
    terms = ScenarioTerms("x", cache_hit_ratio=Decimal("0.8"), cache_write_ratio=Decimal("0.3"))
    with pytest.raises(InputError, match="exceed 1"):
        _estimate(small_db, "gpt-4o", 1_000, scenario=terms)


def test_missing_cache_price_is_billed_as_input_and_said(small_db: PriceDB) -> None:
    # gpt-4o has no cache-write price: OpenAI bills writes as ordinary input
    terms = ScenarioTerms("w", cache_write_ratio=Decimal("0.5"))
    e = _estimate(small_db, "gpt-4o", 1_000, scenario=terms)
    assert e.per_call_usd == Decimal("0.0045")
    assert any("cache-write" in note for note in e.notes)


def test_price_history_picks_the_schedule_in_effect(small_db: PriceDB) -> None:
    later = _estimate(small_db, "claude-sonnet-4-5", 1_000, output=100, on=date(2027, 1, 2))
    assert later.price_effective_from == "2027-01-01"
    assert later.per_call_usd == Decimal("0.006")  # 1,000 × $4 + 100 × $20


def test_plain_decimal_never_rounds_or_uses_exponents() -> None:
    from llmcost_lsp.core.numbers import plain_decimal

    long = Decimal("0." + "1234567891" * 4)  # 40 digits: normalize() alone rounds to 28
    assert plain_decimal(long) == "0." + "1234567891" * 4
    assert plain_decimal(Decimal("6.2250E-7")) == "0.0000006225"
    assert plain_decimal(Decimal("1.2E+3")) == "1200"
    assert plain_decimal(Decimal("-0.000")) == "0"
