"""Typed values every prompt format parser returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PromptFormat = Literal[
    "text", "markdown", "prompt-md", "prompty", "prompt-yml", "semantic-kernel",
    "python", "typescript",  # LLM calls in source code (core/code)
]  # fmt: skip
VariableSyntax = Literal["double-brace", "single-brace", "copilot-input"]


@dataclass(frozen=True)
class Message:
    """One chat message as it is sent: role, text (template markers left in), first line in file."""

    role: str
    text: str
    start_line: int


@dataclass(frozen=True)
class VariableRef:
    """A template variable to size from the manifest; 1-based line and column in the file.

    `offset` and `length` locate the whole marker (`{{ name }}`) in its message's text."""

    name: str
    line: int
    column: int
    syntax: VariableSyntax
    message_index: int = 0
    offset: int = 0
    length: int = 0


@dataclass(frozen=True)
class Origin:
    """Where a setting read from the prompt file came from: a dotted key and its line."""

    key: str
    line: int
    # the value's literal in source code (0-based, quotes included), for edits; 0, 0: none
    column: int = 0
    end_column: int = 0


@dataclass(frozen=True)
class Notice:
    """Something the user should know about how the file was read; never fatal."""

    code: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class ParsedPrompt:
    """What a prompt file sends. `skip_reason` is set when there is nothing to estimate."""

    path: str
    format: PromptFormat
    messages: tuple[Message, ...]
    variables: tuple[VariableRef, ...] = ()
    model: str | None = None
    model_origin: Origin | None = None
    max_tokens: int | None = None
    max_tokens_origin: Origin | None = None
    notices: tuple[Notice, ...] = ()
    skip_reason: str | None = None
    description: str | None = None
    anchor_line: int = 1  # the line findings about the whole prompt are shown on (a call's)

    @property
    def variable_names(self) -> tuple[str, ...]:
        """Distinct variable names in order of first use."""
        return tuple(dict.fromkeys(ref.name for ref in self.variables))
