from __future__ import annotations

from decimal import Decimal

import pytest

from llmcost_lsp.core.tokens import backends, registry
from llmcost_lsp.core.tokens.spec import TokenizerSpec

OPENAI = TokenizerSpec(family="openai", encoding="o200k_base")
OPENAI_OLD = TokenizerSpec(family="openai-cl100k", encoding="cl100k_base")
CLAUDE = TokenizerSpec(
    family="claude", encoding="o200k_base", ratio=Decimal("1.16"), error_band_pct=Decimal(10)
)


def test_exact_count_for_openai_encodings() -> None:
    count = registry.count_text("hello world", OPENAI)
    assert (count.tokens, count.method, count.tokenizer) == (2, "exact", "o200k_base")
    assert count.error_band_pct is None
    assert registry.count_text("", OPENAI).tokens == 0


def test_special_token_strings_count_as_plain_text() -> None:
    # A prompt that mentions <|endoftext|> must be counted, not rejected or collapsed to 1 token.
    assert registry.count_text("<|endoftext|>", OPENAI_OLD).tokens > 1


def test_approximate_count_scales_and_rounds_up() -> None:
    base = registry.count_text("hello world", OPENAI).tokens  # 2
    count = registry.count_text("hello world", CLAUDE)
    assert count.tokens == 3  # ceil(2 x 1.16) = ceil(2.32)
    assert count.method == "approximate"
    assert count.error_band_pct == Decimal(10)
    assert "claude" in count.tokenizer
    assert base == 2


def test_exact_ratio_product_is_not_rounded_up() -> None:
    spec = TokenizerSpec(family="x", ratio=Decimal("1.5"), error_band_pct=Decimal(5))
    assert registry.count_text("hello world", spec).tokens == 3  # 2 x 1.5 = 3 exactly


def test_chat_overhead_follows_the_cookbook_rule() -> None:
    messages = [("system", "You are helpful."), ("user", "Hi")]
    # 3 per message + role + content, + 3 to prime the reply: (3+1+4) + (3+1+1) + 3
    count = registry.count_messages(messages, OPENAI)
    assert count.tokens == 16
    assert count.method == "exact"
    assert registry.count_messages([], OPENAI).tokens == 0


def test_chat_overhead_uses_the_spec_numbers() -> None:
    spec = TokenizerSpec(family="openai", tokens_per_message=4, tokens_per_reply=2)
    assert registry.count_messages([("user", "Hi")], spec).tokens == 4 + 1 + 1 + 2


def test_approximate_chat_scales_text_not_overhead() -> None:
    spec = TokenizerSpec(family="x", ratio=Decimal(2), error_band_pct=Decimal(20))
    # text tokens 1 (user) + 1 (Hi) scaled x2 = 4, overhead 3 + 3 unscaled
    assert registry.count_messages([("user", "Hi")], spec).tokens == 10


def test_unknown_backend_without_ratio_falls_back_to_approximate() -> None:
    spec = TokenizerSpec(family="mystery", exact_backend="no-such-backend")
    count = registry.count_text("hello world", spec)
    assert (count.tokens, count.method) == (2, "approximate")
    assert count.error_band_pct == backends.UNKNOWN_BACKEND_BAND_PCT


@pytest.mark.parametrize("name", sorted(backends.BACKENDS))
def test_missing_backend_package_gives_an_approximate_count(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backends, "load_backend", lambda _name: None)
    spec = TokenizerSpec(family=name, exact_backend=name, ratio=Decimal("1.1"))
    count = registry.count_text("hello world", spec)
    assert count.method == "approximate"
    assert count.tokens == 3  # ceil(2 x 1.1)
    assert count.error_band_pct == backends.BACKENDS[name].fallback_band_pct


def test_counter_reports_additivity_and_cache_identity() -> None:
    counter = registry.counter_for(OPENAI)
    assert counter.additive and counter.is_exact
    assert counter.cache_key.startswith("o200k_base:446a95")
    assert registry.counter_for(CLAUDE).cache_key == counter.cache_key  # raw counts are shared
    assert registry.counter_for(OPENAI_OLD).cache_key != counter.cache_key
