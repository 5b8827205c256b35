"""What a scan of one source file finds: LLM call sites, their model, their prompt text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["python", "typescript"]
PathBase = Literal["root", "file"]


@dataclass(frozen=True)
class Hole:
    """A runtime value inside prompt text (an f-string or template-literal hole, a parameter),
    sized like a template variable. Line 1-based, column 0-based, in the source file."""

    name: str
    line: int
    column: int


@dataclass(frozen=True)
class CodeMessage:
    """One message the call sends: its role, its text with holes as `{name}`, the holes' places.

    `offsets` locate each `{name}` marker in `text` (start, length), in the order of `holes`."""

    role: str
    text: str
    line: int
    holes: tuple[Hole, ...] = ()
    offsets: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class ModelRef:
    """The model a call names and where its string literal is, so a quick fix can edit it.

    `how` says where the value came from (shown as the estimate's source); line is 1-based and
    the columns 0-based, of the literal including its quotes. `line` 0: no literal to edit."""

    value: str
    how: str
    line: int = 0
    column: int = 0
    end_column: int = 0


@dataclass(frozen=True)
class FileRead:
    """A prompt file the call sends (`Path("prompts/x.txt").read_text()`): its path as written,
    relative to the workspace root (`base` "root") or to the source file's folder ("file")."""

    path: str
    base: PathBase
    line: int


@dataclass(frozen=True)
class CallSite:
    """One LLM call. `key` is its enclosing function's qualified name (`Bot.reply`,
    `<module>`), with `#2`, `#3` for further calls in the same function: the id does not move
    with the line. `unread` says why text we saw could not be read (empty: all read)."""

    key: str
    api: str
    line: int
    column: int
    model: ModelRef | None
    model_problem: str | None = None
    messages: tuple[CodeMessage, ...] = ()
    files: tuple[FileRead, ...] = ()
    unread: tuple[str, ...] = ()
    not_sized: str | None = None  # the prompt as a whole cannot be read: why
    max_tokens: int | None = None
    max_tokens_line: int = 0


@dataclass(frozen=True)
class SourceScan:
    """Every call site of a file, or where parsing stopped (`error`, with its 1-based line)."""

    language: Language
    calls: tuple[CallSite, ...] = ()
    error: str | None = None
    error_line: int | None = None
    # the workspace modules read for imported names, with the digest of the text read
    deps: tuple[tuple[str, str], ...] = ()
