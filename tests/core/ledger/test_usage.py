"""Golden tests: one per usage shape, each payload as the provider or library really sends it,
and the invariants every normalised usage keeps."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmcost_lsp.core.ledger.usage import (
    Usage,
    UsageError,
    normalise_otel,
    normalise_response,
    normalise_usage,
)

# (shape, payload, expected (input, cache_read, write_5m, write_1h, output, reasoning))
GOLDEN: list[tuple[str, dict[str, Any], tuple[int, int, int, int, int, int]]] = [
    (
        "openai-chat",  # prompt_tokens INCLUDES cached_tokens; completion includes reasoning
        {
            "prompt_tokens": 1200,
            "completion_tokens": 300,
            "total_tokens": 1500,
            "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 120, "audio_tokens": 0},
        },
        (1200, 1024, 0, 0, 300, 120),
    ),
    (
        "openai-chat",  # openai >= 2.45 reports cache writes (billed 1.25x from GPT-5.6 on)
        {
            "prompt_tokens": 5000,
            "completion_tokens": 10,
            "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 4096},
        },
        (5000, 0, 4096, 0, 10, 0),
    ),
    (
        "openai-responses",
        {
            "input_tokens": 2000,
            "input_tokens_details": {"cached_tokens": 1500},
            "output_tokens": 800,
            "output_tokens_details": {"reasoning_tokens": 500},
            "total_tokens": 2800,
        },
        (2000, 1500, 0, 0, 800, 500),
    ),
    (
        "anthropic",  # input_tokens EXCLUDES both cache buckets
        {
            "input_tokens": 12,
            "cache_read_input_tokens": 4000,
            "cache_creation_input_tokens": 500,
            "cache_creation": {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 0},
            "output_tokens": 300,
            "service_tier": "standard",
        },
        (4512, 4000, 500, 0, 300, 0),
    ),
    (
        "anthropic",  # a 1-hour write, thinking tokens inside output_tokens
        {
            "input_tokens": 50,
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 3000,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 3000},
            "output_tokens": 900,
            "output_tokens_details": {"thinking_tokens": 700},
        },
        (3050, 0, 0, 3000, 900, 700),
    ),
    (
        "anthropic",  # older SDKs: a total and no TTL split -> 5 minutes, the default TTL
        {"input_tokens": 100, "cache_creation_input_tokens": 200, "output_tokens": 5},
        (300, 0, 200, 0, 5, 0),
    ),
    (
        "langchain",  # langchain-anthropic 1.7.10: cache_creation 0, writes under ephemeral_*
        {
            "input_tokens": 4512,
            "output_tokens": 300,
            "total_tokens": 4812,
            "input_token_details": {
                "cache_read": 4000,
                "cache_creation": 0,
                "ephemeral_5m_input_tokens": 500,
                "ephemeral_1h_input_tokens": 0,
            },
        },
        (4512, 4000, 500, 0, 300, 0),
    ),
    (
        "langchain",  # a version that reports both the total and the split: not twice
        {
            "input_tokens": 4512,
            "output_tokens": 300,
            "total_tokens": 4812,
            "input_token_details": {
                "cache_read": 4000,
                "cache_creation": 500,
                "ephemeral_5m_input_tokens": 200,
                "ephemeral_1h_input_tokens": 300,
            },
        },
        (4512, 4000, 200, 300, 300, 0),
    ),
    (
        "langchain",  # langchain-openai, priority tier: prefixed detail keys
        {
            "input_tokens": 1200,
            "output_tokens": 300,
            "total_tokens": 1500,
            "input_token_details": {"priority_cache_read": 1024, "priority": 176},
            "output_token_details": {"priority_reasoning": 120},
        },
        (1200, 1024, 0, 0, 300, 120),
    ),
    (
        "gemini",  # candidatesTokenCount EXCLUDES thoughts; promptTokenCount includes cache
        {
            "promptTokenCount": 3000,
            "cachedContentTokenCount": 2048,
            "candidatesTokenCount": 200,
            "thoughtsTokenCount": 150,
            "totalTokenCount": 3350,
        },
        (3000, 2048, 0, 0, 350, 150),
    ),
    (
        "gemini",  # the Python SDK's snake_case
        {"prompt_token_count": 10, "candidates_token_count": 4, "total_token_count": 14},
        (10, 0, 0, 0, 4, 0),
    ),
    (
        "bedrock",  # Converse: inputTokens excludes cache reads/writes (total adds them)
        {
            "inputTokens": 20,
            "outputTokens": 40,
            "cacheReadInputTokens": 1000,
            "cacheWriteInputTokens": 300,
            "totalTokens": 1360,
        },
        (1320, 1000, 300, 0, 40, 0),
    ),
    (
        "openai-chat",  # DeepSeek: prompt_tokens = hit + miss
        {
            "prompt_tokens": 900,
            "completion_tokens": 50,
            "prompt_cache_hit_tokens": 600,
            "prompt_cache_miss_tokens": 300,
        },
        (900, 600, 0, 0, 50, 0),
    ),
    (
        "openai-chat",  # LiteLLM's Usage: OpenAI fields plus Anthropic-style cache fields
        {
            "prompt_tokens": 4512,
            "completion_tokens": 300,
            "prompt_tokens_details": {"cached_tokens": 4000},
            "cache_read_input_tokens": 4000,
            "cache_creation_input_tokens": 500,
        },
        (4512, 4000, 500, 0, 300, 0),
    ),
    (
        "openai-chat",  # LiteLLM 1.110.2 for an Anthropic reply: the TTL split in the details
        {
            "prompt_tokens": 4812,
            "completion_tokens": 120,
            "total_tokens": 4932,
            "prompt_tokens_details": {
                "cached_tokens": 4000,
                "text_tokens": 12,
                "cache_write_tokens": 800,
                "cache_creation_tokens": 800,
                "cache_creation_token_details": {
                    "ephemeral_5m_input_tokens": 500,
                    "ephemeral_1h_input_tokens": 300,
                },
            },
            "completion_tokens_details": {"reasoning_tokens": 0, "text_tokens": 120},
            "cache_creation_input_tokens": 800,
            "cache_read_input_tokens": 4000,
        },
        (4812, 4000, 500, 300, 120, 0),
    ),
    (
        "cohere",
        {"billed_units": {"input_tokens": 70, "output_tokens": 9}, "tokens": {"input_tokens": 80}},
        (70, 0, 0, 0, 9, 0),
    ),
]


def _components(usage: Usage) -> tuple[int, int, int, int, int, int]:
    return (
        usage.input_tokens,
        usage.cache_read_tokens,
        usage.cache_write_5m_tokens,
        usage.cache_write_1h_tokens,
        usage.output_tokens,
        usage.reasoning_tokens,
    )


@pytest.mark.parametrize(("shape", "payload", "expected"), GOLDEN)
def test_golden_shape(shape: str, payload: dict[str, Any], expected: tuple[int, ...]) -> None:
    usage = normalise_usage(payload, model="m")
    assert usage.shape == shape
    assert _components(usage) == expected


def test_langchain_priority_prefix_sets_the_tier() -> None:
    usage = normalise_usage(GOLDEN[8][1])
    assert usage.service_tier == "priority"


# every OTel spelling of the same call (Anthropic, 12 uncached + 4000 read + 500 written)
OTEL_BASE = {
    "gen_ai.request.model": "claude-sonnet-4-6",
    "gen_ai.response.model": "claude-sonnet-4-6-20260301",
    "gen_ai.response.id": "msg_1",
    "gen_ai.usage.input_tokens": 4512,
    "gen_ai.usage.output_tokens": 300,
}
OTEL_SPELLINGS = [
    {"gen_ai.provider.name": "anthropic", "gen_ai.usage.cache_read.input_tokens": 4000,
     "gen_ai.usage.cache_write.input_tokens": 500},  # genai repo, util-genai 1.3b0
    {"gen_ai.system": "anthropic", "gen_ai.usage.cache_read.input_tokens": 4000,
     "gen_ai.usage.cache_creation.input_tokens": 500},  # semconv 1.40-1.44, old provider key
    {"gen_ai.provider.name": "anthropic", "gen_ai.usage.cache_read.input_tokens": 4000,
     "gen_ai.usage.cache_write.input_tokens": 500,
     "anthropic.usage.cache_creation.ephemeral_5m_input_tokens": 500},  # SDK's own span
    {"gen_ai.provider.name": "anthropic", "gen_ai.usage.input_tokens.cached": 4000,
     "gen_ai.usage.input_tokens.cache_write": 500},  # Sentry
    {"gen_ai.provider.name": "anthropic",
     "llm.token_count.prompt_details.cache_read": 4000,
     "llm.token_count.prompt_details.cache_write": 500},  # OpenInference
]  # fmt: skip


@pytest.mark.parametrize("extra", OTEL_SPELLINGS)
def test_otel_spellings(extra: dict[str, Any]) -> None:
    usage = normalise_otel({**OTEL_BASE, **extra})
    assert _components(usage) == (4512, 4000, 500, 0, 300, 0)
    assert usage.provider == "anthropic"
    assert usage.model == "claude-sonnet-4-6-20260301"  # priced by the responded snapshot
    assert usage.model_requested == "claude-sonnet-4-6"
    assert usage.response_id == "msg_1"


def test_otel_reasoning_tier_and_string_counts() -> None:
    usage = normalise_otel(
        {
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": "1200",  # OTLP JSON intValue is a string
            "gen_ai.usage.output_tokens": 300,
            "gen_ai.usage.cache_read.input_tokens": 1024,
            "gen_ai.usage.reasoning.output_tokens": 120,
            "openai.response.service_tier": "flex",
        }
    )
    assert _components(usage) == (1200, 1024, 0, 0, 300, 120)
    assert usage.service_tier == "flex"
    old = normalise_otel({"gen_ai.usage.prompt_tokens": 7, "gen_ai.usage.completion_tokens": 3,
                          "gen_ai.usage.reasoning_tokens": 1})  # fmt: skip
    assert _components(old) == (7, 0, 0, 0, 3, 1)


def test_whole_responses() -> None:
    chat = normalise_response(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-4o-2024-08-06",
            "service_tier": "default",
            "usage": GOLDEN[0][1],
        }
    )
    assert (chat.provider, chat.response_id, chat.model) == (
        "openai", "chatcmpl-1", "gpt-4o-2024-08-06"
    )  # fmt: skip
    message = normalise_response(
        {"id": "msg_9", "type": "message", "model": "claude-sonnet-4-6", "usage": GOLDEN[3][1]}
    )
    assert (message.provider, message.input_tokens) == ("anthropic", 4512)
    gemini = normalise_response(
        {"responseId": "r1", "modelVersion": "gemini-2.5-flash", "usageMetadata": GOLDEN[9][1]}
    )
    assert (gemini.provider, gemini.model, gemini.output_tokens) == (
        "google", "gemini-2.5-flash", 350
    )  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"prompt_tokens": -5, "completion_tokens": 1}, "negative"),
        ({"prompt_tokens": 10**12, "completion_tokens": 1}, "more than"),
        ({"prompt_tokens": "many", "completion_tokens": 1}, "whole number"),
        ({"prompt_tokens": 1.5, "completion_tokens": 1}, "whole number"),
        ({"prompt_tokens": True, "completion_tokens": 1}, "whole number"),
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 1,
                "prompt_tokens_details": {"cached_tokens": 11},
            },
            "exceed the input",
        ),
        (
            {
                "prompt_tokens": 10,
                "completion_tokens": 1,
                "completion_tokens_details": {"reasoning_tokens": 2},
            },
            "exceed the output",
        ),
        ({"text": "hello"}, "not a usage object"),
    ],
)
def test_malformed_and_absurd_usage_is_refused(payload: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        normalise_usage(payload)


def test_not_a_mapping() -> None:
    with pytest.raises(UsageError):
        normalise_usage(42)
    with pytest.raises(UsageError, match="no usage"):
        normalise_response({"id": "x", "choices": []})


counts = st.integers(min_value=0, max_value=10**6)


@given(uncached=counts, read=counts, five=counts, hour=counts, out=counts, thinking=counts)
def test_anthropic_invariants(
    uncached: int, read: int, five: int, hour: int, out: int, thinking: int
) -> None:
    """Any Anthropic usage: input = the sum of the buckets, never a bucket counted twice."""
    usage = normalise_usage(
        {
            "input_tokens": uncached,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": five + hour,
            "cache_creation": {
                "ephemeral_5m_input_tokens": five,
                "ephemeral_1h_input_tokens": hour,
            },
            "output_tokens": out + thinking,
            "output_tokens_details": {"thinking_tokens": thinking},
        }
    )
    assert usage.uncached_input_tokens == uncached
    assert usage.cache_read_tokens + usage.cache_write_tokens <= usage.input_tokens
    assert usage.reasoning_tokens <= usage.output_tokens
    assert usage.input_tokens == uncached + read + five + hour
