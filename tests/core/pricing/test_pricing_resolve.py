"""Resolving model names: ids, aliases, case, whitespace, provider prefixes, suggestions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from llmcost_lsp.core.errors import UnknownModelError
from llmcost_lsp.core.pricing.db import PriceDB, load_price_db


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gpt-4o", "gpt-4o"),
        ("  GPT-4o\n", "gpt-4o"),
        ("openai/gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("Claude-Opus-4.7", "claude-opus-4-7"),
        ("models/gemini-2.5-pro", "gemini-2.5-pro"),
        ("bedrock/us.meta.llama3-3-70b-instruct-v1:0", "bedrock/meta.llama3-3-70b-instruct-v1:0"),
        ("bedrock-llama-3.3-70b", "bedrock/meta.llama3-3-70b-instruct-v1:0"),  # an older id
        ("amazon.nova-pro-v1:0", "bedrock/amazon.nova-pro-v1:0"),
        ("nova-pro", "bedrock/amazon.nova-pro-v1:0"),
        ("mistral/mistral-medium-3.5", "mistral-medium-3-5"),
    ],
)
def test_resolves_ids_aliases_and_prefixed_forms(
    bundled: PriceDB, name: str, expected: str
) -> None:
    assert bundled.resolve(name).id == expected


@pytest.mark.parametrize(
    ("name", "expected", "input_price"),
    [
        ("claude-3-5-sonnet", "claude-3-5-sonnet", "3"),  # not Sonnet 4.x
        ("gpt-4o-2024-05-13", "gpt-4o-2024-05-13", "5"),  # its own price, not gpt-4o's 2.5
        ("gpt-4o-2024-08-06", "gpt-4o", "2.5"),
    ],
)
def test_older_generations_and_snapshots_have_their_own_price(
    bundled: PriceDB, name: str, expected: str, input_price: str
) -> None:
    entry = bundled.resolve(name)
    assert entry.id == expected
    assert entry.prices_at(date(2026, 12, 2)).rates_for(1000).input == Decimal(input_price)


def test_a_family_name_is_not_guessed(bundled: PriceDB) -> None:
    with pytest.raises(UnknownModelError):
        bundled.resolve("claude-sonnet")


def test_unknown_model_suggests_close_names(bundled: PriceDB) -> None:
    with pytest.raises(UnknownModelError) as error:
        bundled.resolve("claude-sonet-4-5")
    assert error.value.suggestions[0] == "claude-sonnet-4-5"
    assert len(error.value.suggestions) <= 3
    assert "did you mean 'claude-sonnet-4-5'" in str(error.value)
    assert error.value.exit_code == 2


def test_unknown_model_with_nothing_close(bundled: PriceDB) -> None:
    with pytest.raises(UnknownModelError) as error:
        bundled.resolve("zzzz-totally-unknown")
    assert error.value.suggestions == []
    assert "llm-cost pricing list" in str(error.value)


def test_models_filter_and_order(bundled: PriceDB) -> None:
    everything = bundled.models()
    assert [(m.provider, m.id) for m in everything] == sorted(
        (m.provider, m.id) for m in everything
    )
    anthropic = bundled.models("Anthropic")
    assert anthropic and all(m.provider == "anthropic" for m in anthropic)
    assert bundled.models("nobody") == []
    assert "gpt-4o" in bundled and "nope" not in bundled


def test_bundled_db_is_cached_per_process() -> None:
    assert load_price_db() is load_price_db()
    assert load_price_db().origin == "bundled"
