"""One call's prompt from its parts, the same for every language.

A scanner names the parts an API sends (`system=` as text or content blocks, `messages=` as a
list, an `input` that is either) and how its language reads each; this module puts them
together the one way: a part read as text keeps what it could not read as a hole; a message
list built at run time makes the call "found, not sized" when nothing was read before it, else
it is one variable, `messages`, beside the text we could read (a system prompt and the
history); and the call's id counts calls of the same function (`answer`, `answer#2`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from llmcost_lsp.core.code.model import CallSite, CodeMessage, FileRead, ModelRef
from llmcost_lsp.core.code.text import Holes


class Unread(Exception):
    """A value we cannot read statically; the message says why."""


Node = TypeVar("Node")
Scope = TypeVar("Scope")
Node_contra = TypeVar("Node_contra", contravariant=True)
Scope_contra = TypeVar("Scope_contra", contravariant=True)
# text: one message's text; content: text or a list of text parts (`[{type: "text", text}]`);
# messages: a list of role/content messages; input: a message list when it is one, else text
Shape = Literal["text", "content", "messages", "input"]


@dataclass(frozen=True)
class Part(Generic[Node]):
    """What an API sends in one argument: the role of its text and how to read it."""

    role: str
    node: Node | None
    shape: Shape


class Reader(Protocol[Node_contra, Scope_contra]):
    """How a language reads message text and lists (python.py, typescript.py)."""

    def message(
        self,
        node: Node_contra,
        scope: Scope_contra,
        role: str,
        files: list[FileRead],
        unread: list[str],
    ) -> CodeMessage | None: ...

    def content(
        self,
        node: Node_contra,
        scope: Scope_contra,
        role: str,
        files: list[FileRead],
        unread: list[str],
    ) -> CodeMessage | None: ...

    def messages(
        self, node: Node_contra, scope: Scope_contra, files: list[FileRead], unread: list[str]
    ) -> list[CodeMessage]: ...

    def is_message_list(self, node: Node_contra, scope: Scope_contra) -> bool: ...

    def runtime_messages(self, node: Node_contra, why: str, unread: list[str]) -> CodeMessage: ...


@dataclass
class Assembled:
    """The messages read, the prompt files they send, what was not read; or why nothing is."""

    messages: list[CodeMessage] = field(default_factory=list)
    files: list[FileRead] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    not_sized: str | None = None


def assemble(reader: Reader[Node, Scope], scope: Scope, parts: Iterable[Part[Node]]) -> Assembled:
    """The call's messages, part by part in the order the API sends them."""
    out = Assembled()
    for part in parts:
        node = part.node
        if node is None:
            continue
        listed = part.shape == "messages" or (
            part.shape == "input" and reader.is_message_list(node, scope)
        )
        if not listed:
            read = reader.content if part.shape == "content" else reader.message
            found = read(node, scope, part.role, out.files, out.unread)
            out.messages += [found] if found else []
            continue
        try:
            out.messages += reader.messages(node, scope, out.files, out.unread)
        except Unread as why:
            if not out.messages:
                return Assembled(not_sized=str(why))
            out.messages.append(reader.runtime_messages(node, str(why), out.unread))
    return out


def returned_text(
    returns: Iterable[Node],
    read: Callable[[Node], str],
    holes: Holes,
    at: tuple[int, int],
    resolving: set[tuple[int, str]],
    key: tuple[int, str],
    call: str,
) -> str:
    """The text a function of the workspace returns, the same for every language: the longest
    of its returns that can be read (`read`), its holes located `at` the call that asks for it;
    a function that calls itself is a variable (Unread)."""
    if key in resolving:
        raise Unread(f"`{call}` calls itself")
    texts: list[str] = []
    resolving.add(key)
    anchored = holes.anchor is None
    if anchored:
        holes.anchor = at
    try:
        for value in returns:
            with contextlib.suppress(Unread):
                texts.append(read(value))
    finally:
        resolving.discard(key)
        if anchored:
            holes.anchor = None
    if not texts:
        raise Unread(f"`{call}` returns text known only at run time")
    return max(texts, key=len)


@dataclass
class SiteKeys:
    """Call ids of one file: the enclosing function's name, `#2`, `#3` for further calls."""

    counts: dict[str, int] = field(default_factory=dict)

    def next(self, key: str) -> str:
        count = self.counts[key] = self.counts.get(key, 0) + 1
        return key if count == 1 else f"{key}#{count}"


def call_site(
    key: str,
    api: str,
    where: tuple[int, int],
    model: ModelRef | None,
    problem: str | None,
    read: Assembled,
    max_tokens: tuple[int | None, int] = (None, 0),
) -> CallSite:
    """The CallSite of a read call (`where`: 1-based line, 0-based column of the callee's
    last name; `max_tokens`: its literal limit and the line it is on)."""
    return CallSite(
        key=key,
        api=api,
        line=where[0],
        column=where[1],
        model=model,
        model_problem=problem if model is None else None,
        messages=tuple(read.messages),
        files=tuple(read.files),
        unread=tuple(read.unread),
        not_sized=read.not_sized,
        max_tokens=max_tokens[0],
        max_tokens_line=max_tokens[1],
    )
