"""Facts read off model names: version numbers, Bedrock ids, who makes a model.

Shared by the DB build and the run-time name lookup, so both read names the same way.
"""

from __future__ import annotations

import re

_VERSION_PARTS = re.compile(r"(-\d{8}|-\d{4}-\d{2}-\d{2}|-\d{2}-\d{4}|-v\d+(:\d+)?|@\d{8})")
# Bedrock's scope prefixes: `global.` (cross-region, the base price), a geography (`us.`, `eu.`…:
# cross-region within it) or `regional.` (genai-prices' name for those): newer Claude models cost
# 10% more outside `global.`
# whose API a host's copy of a model is priced on, as shown to users
HOST_NAMES = {
    "azure": "Azure OpenAI",
    "bedrock": "Amazon Bedrock",
    "vertex": "Google Vertex AI",
    "groq": "Groq",
    "together": "Together AI",
    "fireworks": "Fireworks AI",
    "openrouter": "OpenRouter",
}

BEDROCK_REGION = re.compile(r"^(us|eu|apac|global|regional|us-gov|jp|au|ca|apne\d?)\.")
BEDROCK_VERSION = re.compile(r"(-v\d+(:\d+)?|:\d+)$")


_SHORT_DATE = re.compile(r"-\d{4}(?=$|-|:)")  # gpt-4-0613, ministral-8b-2410


def generation(name: str) -> list[int]:
    """The version numbers in a name without dates or API versions (an alias must keep them)."""
    stripped = _VERSION_PARTS.sub("", name.lower().rsplit("/", 1)[-1])
    stripped = _SHORT_DATE.sub("", BEDROCK_REGION.sub("", stripped))
    stripped = stripped.replace("gpt-35", "gpt-3.5")  # Azure's spelling
    numbers = [int(n) for n in re.findall(r"\d+", stripped)]
    while numbers[1:] and numbers[-1] == 0:  # claude-opus-4-0 is claude-opus-4
        numbers.pop()
    return numbers


def same_generation(alias: str, model_id: str) -> bool:
    """An alias may leave version numbers out (`grok-4` of `grok-4-0709` stays 4) but never
    name other ones (`claude-3-5-sonnet` is not `claude-sonnet-4-5`)."""
    a, b = generation(alias), generation(model_id)
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def bedrock_key(name: str) -> str:
    """A Bedrock model id without its scope prefix and version suffix."""
    name = name.lower().removeprefix("bedrock/")
    return BEDROCK_VERSION.sub("", BEDROCK_REGION.sub("", name))


def bedrock_scope(name: str) -> str:
    """`global` for a global cross-region id, else `regional` (a geography's cross-region
    profile or an in-region call: both bill the regional price)."""
    return "global" if name.lower().removeprefix("bedrock/").startswith("global.") else "regional"


_MAKERS = (
    (re.compile(r"claude"), "anthropic"),
    (re.compile(r"^(gpt|o\d|chatgpt|text-embedding|davinci|babbage|ada|curie|codex)|gpt-oss"),
     "openai"),
    (re.compile(r"gemini|gemma|palm"), "google"),
    (re.compile(r"llama"), "meta"),
    (re.compile(r"mistral|mixtral|codestral|ministral|magistral|devstral|pixtral|voxtral"),
     "mistral"),
    (re.compile(r"deepseek"), "deepseek"),
    (re.compile(r"grok"), "xai"),
    (re.compile(r"^(cohere\.)?(command|embed-|c4ai|aya)"), "cohere"),
    (re.compile(r"qwen|qwq"), "qwen"),
    (re.compile(r"nova|titan"), "amazon"),
    (re.compile(r"kimi|moonshot"), "moonshotai"),
    (re.compile(r"glm|zai"), "zai"),
    (re.compile(r"jamba"), "ai21"),
    (re.compile(r"sonar|pplx|r1-1776"), "perplexity"),
    (re.compile(r"phi-"), "microsoft"),
    (re.compile(r"minimax"), "minimax"),
)  # fmt: skip


def maker_of(name: str, fallback: str) -> str:
    """Who makes a model, from its name (for a host's models and for "did you mean")."""
    lowered = name.lower().rsplit("/", 1)[-1]
    vendor = name.lower().split("/", 1)[0] if "/" in name else None
    for pattern, maker in _MAKERS:
        if pattern.search(lowered):
            return maker
    if vendor:
        return re.sub(r"[^a-z0-9\-]", "-", vendor.replace("-ai", "").replace("ai", "")) or fallback
    return fallback
