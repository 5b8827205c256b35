"""Count tokens for a `TokenizerSpec`: exact (tiktoken or an optional backend) or approximate.

Chat overhead follows OpenAI's cookbook rule: every message costs `tokens_per_message` plus the
tokens of its role and content, and every reply is primed with `tokens_per_reply` more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from llmcost_lsp.core.tokens import backends, vocab
from llmcost_lsp.core.tokens.spec import TokenCount, TokenizerSpec


@dataclass(frozen=True)
class Counter:
    """Raw token counting for one spec, and how raw counts become a labelled `TokenCount`.

    `count_raw` counts in the units of the tokenizer that runs (the base encoding for approximate
    counts); `finish` scales by `ratio` when there is one. `additive` is true when counts add up
    across the chunk cut rule of `chunks.py`, so incremental counting is exact. `cache_key` names
    the tokenizer and its data version, for the persistent cache.
    """

    tokenizer: str
    count_raw: Callable[[str], int]
    ratio: Decimal | None
    error_band_pct: Decimal | None
    additive: bool
    cache_key: str

    @property
    def is_exact(self) -> bool:
        return self.ratio is None and self.error_band_pct is None

    def scale(self, raw_tokens: int) -> int:
        if self.ratio is None:
            return raw_tokens
        return int((Decimal(raw_tokens) * self.ratio).to_integral_value(rounding=ROUND_CEILING))

    def finish(self, raw_tokens: int, overhead_tokens: int = 0) -> TokenCount:
        """Label a raw text count; chat overhead is already in the target tokenizer's units."""
        tokens = self.scale(raw_tokens) + overhead_tokens
        if self.is_exact:
            return TokenCount(tokens, "exact", self.tokenizer)
        return TokenCount(tokens, "approximate", self.tokenizer, self.error_band_pct)


def _tiktoken_counter(encoding: str) -> Callable[[str], int]:
    def count(text: str) -> int:
        return vocab.count_ordinary(encoding, text)

    return count


def counter_for(spec: TokenizerSpec) -> Counter:
    """The counter a spec calls for. Loads nothing until the first count."""
    if spec.exact_backend is not None:
        backend = backends.BACKENDS.get(spec.exact_backend)
        count = backends.load_backend(spec.exact_backend)
        if backend is not None and count is not None:
            version = backends.package_version(backend) or "unknown"
            return Counter(
                tokenizer=backend.name,
                count_raw=count,
                ratio=None,
                error_band_pct=None,
                additive=backend.additive,
                cache_key=f"{backend.name}:{backend.package}=={version}",
            )
    base = vocab.vocab_file(spec.encoding)
    base_key = f"{base.encoding}:{base.sha256}"
    if spec.is_tiktoken_exact:
        return Counter(spec.encoding, _tiktoken_counter(spec.encoding), None, None, True, base_key)
    ratio, band = _approximation(spec)
    return Counter(
        tokenizer=f"{spec.encoding} x {ratio} ({spec.family})",
        count_raw=_tiktoken_counter(spec.encoding),
        ratio=ratio,
        error_band_pct=band,
        additive=True,  # raw counts are the base encoding's; scaling happens once, at the end
        cache_key=base_key,
    )


def _approximation(spec: TokenizerSpec) -> tuple[Decimal, Decimal]:
    """Ratio and band for an approximate count: the spec's, else a measured fallback."""
    ratio = spec.ratio if spec.ratio is not None else Decimal(1)
    if spec.error_band_pct is not None:
        return ratio, spec.error_band_pct
    backend = backends.BACKENDS.get(spec.exact_backend or "")
    band = backend.fallback_band_pct if backend else backends.UNKNOWN_BACKEND_BAND_PCT
    return ratio, band


def count_text(text: str, spec: TokenizerSpec) -> TokenCount:
    """Tokens of `text` as the spec's model would see it (no chat overhead)."""
    counter = counter_for(spec)
    return counter.finish(counter.count_raw(text))


def chat_overhead(message_count: int, spec: TokenizerSpec) -> int:
    """Tokens a chat format adds around `message_count` messages, reply priming included."""
    if message_count == 0:
        return 0
    return message_count * spec.tokens_per_message + spec.tokens_per_reply


def count_messages(messages: Sequence[tuple[str, str]], spec: TokenizerSpec) -> TokenCount:
    """Tokens of a chat: roles and contents, plus the per-message and per-reply overhead."""
    counter = counter_for(spec)
    raw = sum(counter.count_raw(role) + counter.count_raw(content) for role, content in messages)
    return counter.finish(raw, chat_overhead(len(messages), spec))
