"""The contract between the price DB (which tokenizer a model uses) and the token counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

TokenMethod = Literal["exact", "approximate"]


@dataclass(frozen=True)
class TokenizerSpec:
    """How to count tokens for one tokenizer family.

    `encoding` is the tiktoken encoding used for exact counts (OpenAI) and as the base of
    approximate counts. `exact_backend` names an optional package that counts exactly for this
    family (e.g. "llama3", "mistral-tekken"); when it is None or not installed, the count is
    `encoding` × `ratio`, labelled approximate with `error_band_pct`.
    """

    family: str
    encoding: str = "o200k_base"
    exact_backend: str | None = None
    ratio: Decimal | None = None
    error_band_pct: Decimal | None = None
    tokens_per_message: int = 3
    tokens_per_reply: int = 3
    source: str | None = None

    @property
    def is_tiktoken_exact(self) -> bool:
        return self.exact_backend is None and self.ratio is None


@dataclass(frozen=True)
class TokenParts:
    """Where a prompt's input tokens come from. Only `text` is counted by the tokenizer (and
    scaled by an approximate tokenizer's ratio); the rest is added as it is."""

    text: int  # the messages as sent: sample texts in, token-sized placeholders out
    overhead: int  # the chat framing per message and per reply (TokenizerSpec)
    variables: int  # variables sized in tokens
    extra: int  # `extra_input_tokens` of the manifest

    @property
    def unscaled(self) -> int:
        """What a tokenizer ratio does not scale: overhead, token-sized variables and extra."""
        return self.overhead + self.variables + self.extra


@dataclass(frozen=True)
class TokenCount:
    """A token count with its provenance: exact, or approximate with an error band (± percent).
    A prompt's count carries its `parts` (None for a bare text's count)."""

    tokens: int
    method: TokenMethod
    tokenizer: str
    error_band_pct: Decimal | None = None
    # how the total was made up; not part of the count's identity (equal totals are equal)
    parts: TokenParts | None = field(default=None, compare=False)

    @property
    def is_exact(self) -> bool:
        return self.method == "exact"

    def __add__(self, other: TokenCount) -> TokenCount:
        if self.tokenizer != other.tokenizer:
            raise ValueError(f"cannot add counts of {self.tokenizer} and {other.tokenizer}")
        band = max(
            (b for b in (self.error_band_pct, other.error_band_pct) if b is not None),
            default=None,
        )
        method: TokenMethod = "exact" if self.is_exact and other.is_exact else "approximate"
        return TokenCount(self.tokens + other.tokens, method, self.tokenizer, band)
