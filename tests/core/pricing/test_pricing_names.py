"""Model names as code writes them resolve to the right model, host and price (bundled DB)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from llmcost_lsp.core.errors import UnknownModelError
from llmcost_lsp.core.pricing.db import PriceDB

DAY = date(2026, 12, 2)


def input_price(db: PriceDB, name: str) -> Decimal:
    return db.resolve(name).prices_at(DAY).rates_for(1000).input


@pytest.mark.parametrize(
    ("name", "model", "price"),
    [
        # dated snapshots: their own price where they have one, the family's where the source
        # prices every snapshot alike
        ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13", "5"),
        ("gpt-4o-2024-11-20", "gpt-4o", "2.5"),
        ("claude-3-5-sonnet-20240620", "claude-3-5-sonnet", "3"),
        ("claude-3-haiku-20240307", "claude-3-haiku", "0.25"),
        # provider prefixes
        ("openai/gpt-4o-mini", "gpt-4o-mini", "0.15"),
        ("gemini/gemini-2.5-pro", "gemini-2.5-pro", "1.25"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash", "0.3"),
        ("xai/grok-4.7", "grok-4.7", "2"),
        # hosts: the host's own price
        ("groq/llama-3.3-70b-versatile", "groq/llama-3.3-70b-versatile", "0.59"),
        ("llama-3.3-70b-versatile", "groq/llama-3.3-70b-versatile", "0.59"),
        ("bedrock/us.meta.llama3-3-70b-instruct-v1:0", "bedrock/meta.llama3-3-70b-instruct-v1:0",
         "0.72"),
        ("fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct",
         "fireworks/llama-v3p1-8b-instruct", "0.2"),
        ("openrouter/anthropic/claude-3.5-sonnet", "openrouter/anthropic/claude-3.5-sonnet", "3"),
        # an OpenRouter slug whose provider part is also a provider prefix: the provider's API
        ("anthropic/claude-3.5-sonnet", "claude-3-5-sonnet", "3"),
        ("meta-llama/llama-3.1-8b-instruct", "openrouter/meta-llama/llama-3.1-8b-instruct", "0.05"),
        # older and retired models keep their last price
        ("gpt-4", "gpt-4", "30"),
        ("gpt-3.5-turbo", "gpt-3.5-turbo", "0.5"),
        ("gpt-35-turbo", "gpt-3.5-turbo", "0.5"),
        # embeddings
        ("text-embedding-3-small", "text-embedding-3-small", "0.02"),
    ],
)  # fmt: skip
def test_names_as_code_writes_them(bundled: PriceDB, name: str, model: str, price: str) -> None:
    assert bundled.resolve(name).id == model
    assert input_price(bundled, name) == Decimal(price)


def test_bedrock_scope_decides_the_price(bundled: PriceDB) -> None:
    # newer Claude models cost 10% more on a geography's or in-region endpoint than on global.
    regional = bundled.resolve_name("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert regional.entry.id == "bedrock/regional.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert regional.entry.prices_at(DAY).rates_for(1).input == Decimal("3.3")
    world = bundled.resolve("global.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert world.prices_at(DAY).rates_for(1).input == Decimal("3")
    assert "Amazon Bedrock" in regional.notes[0]


def test_a_bedrock_claude_id_without_a_bedrock_price_says_so(bundled: PriceDB) -> None:
    found = bundled.resolve_name("us.anthropic.claude-3-5-sonnet-v1:0")  # an undated spelling
    assert found.entry.id == "claude-3-5-sonnet" and found.entry.hosted_by is None
    assert "Amazon Bedrock has no price of its own" in found.notes[-1]
    with pytest.raises(UnknownModelError):  # 4.5 and later: Bedrock's price differs, no guess
        bundled.resolve("us.anthropic.claude-sonnet-4-5-v1:0")


def test_azure_prefix_names_the_host_it_assumed(bundled: PriceDB) -> None:
    found = bundled.resolve_name("azure/gpt-4o")
    assert found.entry.id == "gpt-4o"
    assert "Azure OpenAI" in found.notes[0]


def test_a_host_prefix_prices_on_that_host(bundled: PriceDB) -> None:
    found = bundled.resolve_name("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo")
    assert found.entry.hosted_by == "together"
    assert "Together AI" in found.notes[0]


def test_latest_alias_names_the_pinned_id(bundled: PriceDB) -> None:
    found = bundled.resolve_name("mistral-large-latest")
    assert found.entry.id == "mistral-large-2512"  # not genai-prices' stale Large 2 price
    assert "moving alias" in found.notes[0] and "'mistral-large-2512'" in found.notes[0]
    sonnet = bundled.resolve_name("claude-3-5-sonnet-latest")
    assert "'claude-3-5-sonnet-20241022'" in sonnet.notes[0]


def test_display_names_of_chat_tools(bundled: PriceDB) -> None:
    found = bundled.resolve_name("Claude Sonnet 4")
    assert found.entry.id.startswith("claude-sonnet-4")
    assert "read as 'claude-sonnet-4'" in found.notes[-1]


def test_did_you_mean_ranks_the_same_provider_and_family_first(bundled: PriceDB) -> None:
    with pytest.raises(UnknownModelError) as error:
        bundled.resolve("gpt-3.5-turbbo-9999")
    assert error.value.suggestions[0].startswith("gpt-3.5")
    with pytest.raises(UnknownModelError) as error:
        bundled.resolve("claude-sonet-4-5")
    assert error.value.suggestions[0] == "claude-sonnet-4-5"


def test_unknown_prefix_is_not_stripped_into_a_guess(bundled: PriceDB) -> None:
    with pytest.raises(UnknownModelError):
        bundled.resolve("my-company/gpt-4o")
