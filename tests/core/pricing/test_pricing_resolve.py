"""Resolving model names: ids, aliases, case, whitespace, provider prefixes, suggestions."""

from __future__ import annotations

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
        ("bedrock/us.meta.llama3-3-70b-instruct-v1:0", "bedrock-llama-3.3-70b"),
        ("amazon.nova-pro-v1:0", "nova-pro"),
        ("mistral/mistral-medium-3.5", "mistral-medium-3-5"),
    ],
)
def test_resolves_ids_aliases_and_prefixed_forms(
    bundled: PriceDB, name: str, expected: str
) -> None:
    assert bundled.resolve(name).id == expected


@pytest.mark.parametrize("name", ["claude-3-5-sonnet", "claude-sonnet", "gpt-4o-2024-05-13"])
def test_other_generations_are_not_guessed(bundled: PriceDB, name: str) -> None:
    # an older snapshot or a different generation never borrows a newer model's price
    with pytest.raises(UnknownModelError):
        bundled.resolve(name)


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
