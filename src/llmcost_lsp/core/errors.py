"""Errors as values with a location; one exception type per kind of failure.

The CLI maps each kind to an exit code (see `exit_code`), the language server to a diagnostic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a file. Lines and columns are 1-based, as people read them."""

    path: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        parts = [self.path or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class LlmCostError(Exception):
    """Base of every error the core raises on purpose. `code` is stable and machine-readable."""

    default_code = "error"
    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        code: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.code = code or self.default_code
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class InputError(LlmCostError):
    """The user's input (file, flag, manifest) is wrong: exit 2."""

    default_code = "input-error"


class UnknownModelError(InputError):
    """A model name the price DB does not know; carries close matches."""

    default_code = "unknown-model"

    def __init__(
        self, model: str, suggestions: list[str], *, location: Location | None = None
    ) -> None:
        hint = f"did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else None
        super().__init__(
            f"unknown model {model!r}",
            location=location,
            hint=hint or "run `llm-cost pricing list` to see known models",
        )
        self.model = model
        self.suggestions = suggestions


class ManifestError(InputError):
    """llm-cost.toml is malformed or fails the schema."""

    default_code = "manifest-error"


class TokenizerDataError(LlmCostError):
    """A shipped vocabulary file is missing or corrupted (the install is broken)."""

    default_code = "tokenizer-data"


class PricingError(LlmCostError):
    """The price DB is malformed or inconsistent."""

    default_code = "pricing-error"


class SignatureError(LlmCostError):
    """A price DB signature is invalid or untrusted: exit 3."""

    default_code = "signature-invalid"
    exit_code = 3


class StalePricingError(LlmCostError):
    """The price DB in use is critically stale: exit 4."""

    default_code = "pricing-stale"
    exit_code = 4
