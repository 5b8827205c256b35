"""One normaliser for every usage shape: OpenAI chat and responses, Anthropic, LangChain,
LiteLLM, Gemini, Bedrock, DeepSeek, Cohere and OpenTelemetry `gen_ai.*` attributes.

Everything becomes the same inclusive components: `input_tokens` counts every input token (cache
reads and writes included), `output_tokens` every output token (reasoning included). Providers
differ exactly here: OpenAI's `prompt_tokens` already includes `cached_tokens`, Anthropic's
`input_tokens` excludes both cache buckets, langchain-anthropic reports `cache_creation: 0` and
puts the writes under `ephemeral_5m_input_tokens`/`ephemeral_1h_input_tokens`, Gemini's
`candidatesTokenCount` excludes the thinking tokens. Each shape is read once, here, and the
invariants (cache read + writes ≤ input, reasoning ≤ output) are checked on every result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmcost_lsp.core.errors import InputError

# More than a billion tokens in one call is no real call: a unit mix-up or a corrupted payload.
MAX_TOKENS_PER_CALL = 1_000_000_000


class UsageError(InputError):
    """A usage object that cannot be read, or whose counts are impossible."""

    default_code = "bad-usage"


@dataclass(frozen=True, slots=True)
class Usage:
    """The token components of one call, inclusive, plus who served it."""

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0
    service_tier: str | None = None
    model_requested: str | None = None
    model_responded: str | None = None
    provider: str | None = None
    response_id: str | None = None
    shape: str = "usage"

    def __post_init__(self) -> None:
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_5m_tokens",
            "cache_write_1h_tokens",
            "reasoning_tokens",
        ):
            value = getattr(self, name)
            if type(value) is not int:
                raise UsageError(f"{name} must be a whole number, got {value!r}")
            if value < 0:
                raise UsageError(f"{name} is negative ({value})")
            if value > MAX_TOKENS_PER_CALL:
                raise UsageError(
                    f"{name} is {value:,}: more than {MAX_TOKENS_PER_CALL:,} tokens in one call"
                )
        cached = self.cache_read_tokens + self.cache_write_5m_tokens + self.cache_write_1h_tokens
        if cached > self.input_tokens:
            raise UsageError(
                f"cache read + cache write tokens ({cached:,}) exceed the input tokens "
                f"({self.input_tokens:,}) in a {self.shape} usage"
            )
        if self.reasoning_tokens > self.output_tokens:
            raise UsageError(
                f"reasoning tokens ({self.reasoning_tokens:,}) exceed the output tokens "
                f"({self.output_tokens:,}) in a {self.shape} usage"
            )

    @property
    def model(self) -> str | None:
        """The model to price: the one that answered (a dated snapshot), else the requested."""
        return self.model_responded or self.model_requested

    @property
    def cache_write_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def uncached_input_tokens(self) -> int:
        return self.input_tokens - self.cache_read_tokens - self.cache_write_tokens


# ---------------------------------------------------------------------------------------------
# reading values


def as_mapping(value: Any) -> Mapping[str, Any] | None:
    """A dict view of an SDK object (pydantic `model_dump`, `to_dict`, attributes) or None."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value
    for method in ("model_dump", "to_dict", "dict"):
        dump = getattr(value, method, None)
        if callable(dump):
            try:
                result = dump()
            except Exception:  # an object whose dump needs arguments: try the next way
                continue
            if isinstance(result, Mapping):
                return result
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict):
        return {k: v for k, v in attributes.items() if not k.startswith("_")}
    return None


def _count(data: Mapping[str, Any], *keys: str) -> int | None:
    """The first of `keys` present with a value, as a whole number; None when none is."""
    for key in keys:
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            raise UsageError(f"{key} must be a whole number, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())  # OTLP JSON writes 64-bit integers as strings
        raise UsageError(f"{key} must be a whole number, got {value!r}")
    return None


def _sub(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    return as_mapping(data.get(key)) or {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _writes(total: int | None, five: int | None, hour: int | None) -> tuple[int, int]:
    """(5-minute, 1-hour) cache writes from a total and a TTL split that may be partial or 0.

    langchain-anthropic reports `cache_creation: 0` beside the split; other emitters give the
    total and no split (5-minute, Anthropic's default TTL). Never count a write twice."""
    five, hour = five or 0, hour or 0
    written = max(total or 0, five + hour)
    return written - hour, hour


# ---------------------------------------------------------------------------------------------
# one reader per shape; each returns the Usage keyword arguments


def _openai_chat(usage: Mapping[str, Any]) -> dict[str, Any]:
    # prompt_tokens includes cached (and written) tokens; completion_tokens includes reasoning.
    prompt = _sub(usage, "prompt_tokens_details")
    completion = _sub(usage, "completion_tokens_details")
    read = _count(prompt, "cached_tokens") or _count(usage, "cache_read_input_tokens")
    if read is None:
        read = _count(usage, "prompt_cache_hit_tokens")  # DeepSeek: prompt = hit + miss
    written = _count(prompt, "cache_write_tokens", "cache_creation_tokens")
    if written is None:
        written = _count(usage, "cache_creation_input_tokens")  # LiteLLM's extra field
    # LiteLLM keeps Anthropic's TTL split here: 1-hour writes cost 1.6x the 5-minute ones
    split = _sub(prompt, "cache_creation_token_details")
    five, hour = _writes(
        written,
        _count(split, "ephemeral_5m_input_tokens"),
        _count(split, "ephemeral_1h_input_tokens"),
    )
    return {
        "input_tokens": _count(usage, "prompt_tokens") or 0,
        "output_tokens": _count(usage, "completion_tokens") or 0,
        "cache_read_tokens": read or 0,
        "cache_write_5m_tokens": five,
        "cache_write_1h_tokens": hour,
        "reasoning_tokens": _count(completion, "reasoning_tokens") or 0,
        "service_tier": _text(usage.get("service_tier")),
    }


def _openai_responses(usage: Mapping[str, Any]) -> dict[str, Any]:
    details = _sub(usage, "input_tokens_details")
    out = _sub(usage, "output_tokens_details")
    return {
        "input_tokens": _count(usage, "input_tokens") or 0,
        "output_tokens": _count(usage, "output_tokens") or 0,
        "cache_read_tokens": _count(details, "cached_tokens") or 0,
        "cache_write_5m_tokens": _count(details, "cache_write_tokens") or 0,
        "reasoning_tokens": _count(out, "reasoning_tokens") or 0,
    }


def _anthropic(usage: Mapping[str, Any]) -> dict[str, Any]:
    # input_tokens EXCLUDES both cache buckets: the inclusive total is their sum.
    read = _count(usage, "cache_read_input_tokens") or 0
    split = _sub(usage, "cache_creation")
    five, hour = _writes(
        _count(usage, "cache_creation_input_tokens"),
        _count(split, "ephemeral_5m_input_tokens"),
        _count(split, "ephemeral_1h_input_tokens"),
    )
    uncached = _count(usage, "input_tokens") or 0
    return {
        "input_tokens": uncached + read + five + hour,
        "output_tokens": _count(usage, "output_tokens") or 0,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": five,
        "cache_write_1h_tokens": hour,
        "reasoning_tokens": _count(_sub(usage, "output_tokens_details"), "thinking_tokens") or 0,
        "service_tier": _text(usage.get("service_tier")),
    }


_TIER_PREFIXES = ("priority_", "flex_")


def _langchain(usage: Mapping[str, Any]) -> dict[str, Any]:
    # UsageMetadata: input_tokens is the sum of all input types, like OTel.
    details = dict(_sub(usage, "input_token_details"))
    out = dict(_sub(usage, "output_token_details"))
    tier = None
    for group in (details, out):
        # langchain-openai prefixes the details of priority/flex calls: priority_cache_read
        for key in list(group):
            for prefix in _TIER_PREFIXES:
                if key.startswith(prefix):
                    tier = prefix[:-1]
                    group.setdefault(key[len(prefix) :], group[key])
    five, hour = _writes(
        _count(details, "cache_creation"),
        _count(details, "ephemeral_5m_input_tokens"),
        _count(details, "ephemeral_1h_input_tokens"),
    )
    return {
        "input_tokens": _count(usage, "input_tokens") or 0,
        "output_tokens": _count(usage, "output_tokens") or 0,
        "cache_read_tokens": _count(details, "cache_read") or 0,
        "cache_write_5m_tokens": five,
        "cache_write_1h_tokens": hour,
        "reasoning_tokens": _count(out, "reasoning") or 0,
        "service_tier": tier,
    }


def _gemini(usage: Mapping[str, Any]) -> dict[str, Any]:
    # promptTokenCount includes cached content; candidatesTokenCount EXCLUDES thoughts, which
    # are billed as output: output = candidates + thoughts.
    thoughts = _count(usage, "thoughtsTokenCount", "thoughts_token_count") or 0
    candidates = _count(usage, "candidatesTokenCount", "candidates_token_count") or 0
    prompt = _count(usage, "promptTokenCount", "prompt_token_count") or 0
    tool_prompt = _count(usage, "toolUsePromptTokenCount", "tool_use_prompt_token_count") or 0
    return {
        "input_tokens": prompt + tool_prompt,
        "output_tokens": candidates + thoughts,
        "cache_read_tokens": _count(usage, "cachedContentTokenCount", "cached_content_token_count")
        or 0,
        "reasoning_tokens": thoughts,
    }


def _bedrock(usage: Mapping[str, Any]) -> dict[str, Any]:
    # Converse: inputTokens excludes cache reads and writes (totalTokens adds them). When a
    # totalTokens says otherwise (inputTokens + outputTokens), the input was inclusive.
    given = _count(usage, "inputTokens") or 0
    output = _count(usage, "outputTokens") or 0
    read = _count(usage, "cacheReadInputTokens", "cacheReadInputTokenCount") or 0
    written = _count(usage, "cacheWriteInputTokens", "cacheWriteInputTokenCount") or 0
    total = _count(usage, "totalTokens")
    inclusive = total is not None and total == given + output and (read or written)
    return {
        "input_tokens": given if inclusive else given + read + written,
        "output_tokens": output,
        "cache_read_tokens": read,
        "cache_write_5m_tokens": written,
    }


def _cohere(usage: Mapping[str, Any]) -> dict[str, Any]:
    billed = _sub(usage, "billed_units")
    return {
        "input_tokens": _count(billed, "input_tokens") or 0,
        "output_tokens": _count(billed, "output_tokens") or 0,
    }


def _shape_of(usage: Mapping[str, Any]) -> str:
    keys = set(usage)
    if "prompt_tokens" in keys or "completion_tokens" in keys:
        return "openai-chat"
    if "input_token_details" in keys or "output_token_details" in keys:
        return "langchain"
    if "input_tokens_details" in keys:
        return "openai-responses"
    if keys & {"cache_read_input_tokens", "cache_creation_input_tokens", "cache_creation"}:
        return "anthropic"  # (Anthropic also has output_tokens_details: test it first)
    if "output_tokens_details" in keys:
        return "openai-responses"
    if keys & {"promptTokenCount", "prompt_token_count", "candidatesTokenCount"}:
        return "gemini"
    if keys & {"inputTokens", "outputTokens"}:
        return "bedrock"
    if "billed_units" in keys:
        return "cohere"
    if "input_tokens" in keys or "output_tokens" in keys:
        # no cache detail at all: every convention agrees on plain input/output
        return "langchain" if "total_tokens" in keys else "anthropic"
    raise UsageError(
        "not a usage object: expected prompt_tokens/completion_tokens, input_tokens/"
        f"output_tokens, promptTokenCount or inputTokens; got keys {sorted(keys)[:8]}"
    )


_READERS = {
    "openai-chat": _openai_chat,
    "openai-responses": _openai_responses,
    "anthropic": _anthropic,
    "langchain": _langchain,
    "gemini": _gemini,
    "bedrock": _bedrock,
    "cohere": _cohere,
}


def normalise_usage(
    usage: Any,
    *,
    model: str | None = None,
    requested_model: str | None = None,
    provider: str | None = None,
    response_id: str | None = None,
    service_tier: str | None = None,
) -> Usage:
    """A `Usage` from a bare usage object of any known shape (dict or SDK object); `model` is
    the model that answered, `requested_model` the one asked for."""
    data = as_mapping(usage)
    if data is None:
        raise UsageError(f"not a usage object: {type(usage).__name__}")
    shape = _shape_of(data)
    fields = _READERS[shape](data)
    fields["service_tier"] = service_tier or fields.get("service_tier")
    return Usage(
        **fields,
        model_requested=requested_model,
        model_responded=model,
        provider=provider,
        response_id=response_id,
        shape=shape,
    )


def normalise_response(response: Any, *, provider: str | None = None) -> Usage:
    """A `Usage` from a whole response (OpenAI ChatCompletion or Response, Anthropic Message,
    Gemini GenerateContentResponse, Bedrock Converse output, LangChain AIMessage, LiteLLM
    ModelResponse), with its id, model and service tier."""
    data = as_mapping(response)
    if data is None:
        raise UsageError(f"not a response object: {type(response).__name__}")
    if isinstance(data.get("usage_metadata"), Mapping) and "response_metadata" in data:
        meta = _sub(data, "response_metadata")  # LangChain AIMessage
        usage = data["usage_metadata"]
        model = _text(meta.get("model_name")) or _text(meta.get("model"))
        return normalise_usage(
            usage,
            model=model,
            provider=provider or _text(meta.get("model_provider")),
            response_id=_text(meta.get("id")) or _text(data.get("id")),
            service_tier=_text(meta.get("service_tier")),
        )
    for key in ("usage", "usage_metadata", "usageMetadata"):
        usage = data.get(key)
        if usage is not None:
            break
    else:
        raise UsageError(f"the response has no usage (keys {sorted(data)[:8]})")
    kind = _text(data.get("type")) or _text(data.get("object"))
    if provider is None:
        provider = (
            "anthropic"
            if kind == "message"
            else "openai"
            if kind in ("chat.completion", "response")
            else "google"
            if key != "usage"
            else None
        )
    model = _text(data.get("model")) or _text(data.get("model_version"))
    model = model or _text(data.get("modelVersion"))
    tier = _text(data.get("service_tier"))
    result = normalise_usage(
        usage,
        model=model,
        provider=provider,
        response_id=_text(data.get("id")) or _text(data.get("response_id"))
        or _text(data.get("responseId")),
        service_tier=tier,
    )  # fmt: skip
    return result


# ---------------------------------------------------------------------------------------------
# OpenTelemetry GenAI span attributes (every spelling seen in the wild; see notes/runtime.md §1)

OTEL_INPUT = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.usage.prompt_tokens",
    "llm.token_count.prompt",
)
OTEL_OUTPUT = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.usage.completion_tokens",
    "llm.token_count.completion",
)
OTEL_CACHE_READ = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.input_tokens.cached",
    "llm.token_count.prompt_details.cache_read",
)
OTEL_CACHE_WRITE = (
    "gen_ai.usage.cache_write.input_tokens",  # semantic-conventions-genai #440 (current)
    "gen_ai.usage.cache_creation.input_tokens",  # semconv 1.40 – 1.44
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.input_tokens.cache_write",
    "llm.token_count.prompt_details.cache_write",
)
OTEL_WRITE_5M = ("anthropic.usage.cache_creation.ephemeral_5m_input_tokens",)
OTEL_WRITE_1H = ("anthropic.usage.cache_creation.ephemeral_1h_input_tokens",)
OTEL_REASONING = (
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
)
OTEL_PROVIDER = ("gen_ai.provider.name", "gen_ai.system")
OTEL_TIER = (
    "openai.response.service_tier",
    "gen_ai.openai.response.service_tier",
    "anthropic.usage.service_tier",
)


def _first_text(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = _text(attributes.get(key))
        if value:
            return value
    return None


def has_genai_usage(attributes: Mapping[str, Any]) -> bool:
    """Whether a span's attributes carry token usage (most spans do not)."""
    return any(key in attributes for key in OTEL_INPUT + OTEL_OUTPUT)


def normalise_otel(attributes: Mapping[str, Any]) -> Usage:
    """A `Usage` from a span's attributes. Semconv says input includes cached tokens and output
    includes reasoning, and every emitter seen (official, OpenLLMetry, the Anthropic SDK) sums
    Anthropic's buckets into `gen_ai.usage.input_tokens` first."""
    five, hour = _writes(
        _count(attributes, *OTEL_CACHE_WRITE),
        _count(attributes, *OTEL_WRITE_5M),
        _count(attributes, *OTEL_WRITE_1H),
    )
    return Usage(
        input_tokens=_count(attributes, *OTEL_INPUT) or 0,
        output_tokens=_count(attributes, *OTEL_OUTPUT) or 0,
        cache_read_tokens=_count(attributes, *OTEL_CACHE_READ) or 0,
        cache_write_5m_tokens=five,
        cache_write_1h_tokens=hour,
        reasoning_tokens=_count(attributes, *OTEL_REASONING) or 0,
        service_tier=_first_text(attributes, OTEL_TIER),
        model_requested=_text(attributes.get("gen_ai.request.model")),
        model_responded=_text(attributes.get("gen_ai.response.model")),
        provider=_first_text(attributes, OTEL_PROVIDER),
        response_id=_text(attributes.get("gen_ai.response.id")),
        shape="otel",
    )
