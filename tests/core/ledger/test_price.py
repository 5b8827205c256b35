"""A recorded call costs what the estimate's price path says, to the pico-dollar, with the
manifest's overrides and the call's own tier and date; an unknown model is unpriced, not $0."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from llmcost_lsp.core.ledger.api import make_pricer
from llmcost_lsp.core.ledger.price import usd_from_pico
from llmcost_lsp.core.ledger.usage import Usage, normalise_usage
from llmcost_lsp.core.manifest import parse_manifest

DAY = date(2026, 11, 25)


def test_openai_cached_and_reasoning_hand_computed() -> None:
    # gpt-4o: input $2.50, cached $1.25, output $10 per Mtok; reasoning is billed as output
    usage = normalise_usage(
        {"prompt_tokens": 1200, "completion_tokens": 300,
         "prompt_tokens_details": {"cached_tokens": 1024},
         "completion_tokens_details": {"reasoning_tokens": 120}},
        model="gpt-4o-2024-08-06",
    )  # fmt: skip
    price = make_pricer().price(usage, DAY)
    # 176 x 2.5 + 1024 x 1.25 + 300 x 10 = 4,720 $/Mtok-tokens = $0.00472
    assert price.cost_pusd == 4_720_000_000
    assert usd_from_pico(price.cost_pusd) == Decimal("0.00472")
    assert price.model_id == "gpt-4o"
    assert price.price_id == "gpt-4o/standard/standard/2024-08-06"


def test_anthropic_writes_at_their_ttl_rates() -> None:
    # claude-sonnet-4-6: input $3, read $0.30, 5m write $3.75, 1h write $6, output $15
    usage = normalise_usage(
        {"input_tokens": 12, "cache_read_input_tokens": 4000,
         "cache_creation_input_tokens": 800,
         "cache_creation": {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 300},
         "output_tokens": 300},
        model="claude-sonnet-4-6",
    )  # fmt: skip
    price = make_pricer().price(usage, DAY)
    # 12x3 + 4000x0.3 + 500x3.75 + 300x6 + 300x15 = 36 + 1200 + 1875 + 1800 + 4500 = 9411
    assert price.cost_pusd == 9_411_000_000


def test_manifest_overrides_price_runtime_calls_like_estimates() -> None:
    manifest = parse_manifest('[pricing.overrides."gpt-4o"]\ninput = "2"\n')
    usage = Usage(input_tokens=1200, output_tokens=300, cache_read_tokens=1024,
                  model_responded="gpt-4o")  # fmt: skip
    price = make_pricer(manifest).price(usage, DAY)
    assert price.cost_pusd == (176 * 2 * 10**6) + 1_280_000_000 + 3_000_000_000
    assert price.list_cost_pusd == 4_720_000_000
    assert price.price_id is not None and price.price_id.endswith("+contract")


def test_service_tier_picks_the_mode_and_long_context_the_tier() -> None:
    pricer = make_pricer()
    flex = pricer.price(Usage(1000, 100, model_responded="gpt-5", service_tier="flex"), DAY)
    standard = pricer.price(Usage(1000, 100, model_responded="gpt-5"), DAY)
    assert flex.cost_pusd is not None and standard.cost_pusd is not None
    assert flex.cost_pusd * 2 == standard.cost_pusd
    assert flex.price_id is not None and "/flex/" in flex.price_id
    # gemini-2.5-pro reprices every token above 200,000 input tokens
    small = pricer.price(Usage(200_000, 0, model_responded="gemini-2.5-pro"), DAY)
    large = pricer.price(Usage(200_001, 0, model_responded="gemini-2.5-pro"), DAY)
    assert large.price_id is not None and "above-200000" in large.price_id
    assert small.cost_pusd is not None and large.cost_pusd is not None
    assert large.cost_pusd > small.cost_pusd * 3 // 2


def test_unknown_model_and_missing_mode_are_unpriced_not_zero() -> None:
    pricer = make_pricer()
    unknown = pricer.price(Usage(10, 10, model_responded="my-finetune-7"), DAY)
    assert unknown.cost_pusd is None and unknown.reason == "unknown model 'my-finetune-7'"
    nameless = pricer.price(Usage(10, 10), DAY)
    assert nameless.cost_pusd is None and nameless.reason == "no model named"
    no_flex = pricer.price(Usage(10, 10, model_responded="gpt-4o", service_tier="flex"), DAY)
    assert no_flex.cost_pusd is None and no_flex.reason and "flex" in no_flex.reason
    before = pricer.price(Usage(10, 10, model_responded="gpt-5"), date(2020, 1, 1))
    assert before.cost_pusd is None
