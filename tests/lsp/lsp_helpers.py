"""Small client-side helpers for the language server tests."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types

WHOLE = types.Range(types.Position(0, 0), types.Position(10_000, 0))


def open_doc(client: Any, path: Path, version: int = 1, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(
                uri, "plaintext", version, path.read_text() if text is None else text
            )
        )
    )
    return uri


def replace_all(client: Any, uri: str, version: int, text: str) -> None:
    """A full-text change (allowed in incremental mode too)."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def insert(client: Any, uri: str, version: int, line: int, character: int, text: str) -> None:
    position = types.Position(line, character)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [
                types.TextDocumentContentChangePartial(
                    range=types.Range(position, position), text=text
                )
            ],
        )
    )


async def hints(client: Any, uri: str) -> list[types.InlayHint]:
    found = await client.text_document_inlay_hint_async(
        types.InlayHintParams(types.TextDocumentIdentifier(uri), WHOLE)
    )
    return found or []


def label(hint: types.InlayHint) -> str:
    assert isinstance(hint.label, str)
    return hint.label


def codes(client: Any, path: Path) -> list[str]:
    return sorted(str(d.code) for d in client.diagnostics.get(path.as_uri(), []))


async def wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Poll until `condition()` holds (server work is asynchronous); fail after `timeout` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def units(char: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(char.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf16:
        return len(char.encode("utf-16-le")) // 2
    return 1


def reference_offset(text: str, position: types.Position, encoding: str) -> int:
    """The specification, spelled out: lines end at \\n, \\r\\n or \\r; a line or character
    past the end defaults back to the end (of the document, of the line)."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    if position.line >= len(starts):
        return len(text)
    start = starts[position.line]
    end = re.compile(r"\r\n|\r|\n").search(text, start)
    line = text[start : end.start() if end else len(text)]
    seen = 0
    for index, char in enumerate(line):
        if seen >= position.character:
            return start + index
        seen += units(char, encoding)
    return start + len(line)


def reference_apply(
    text: str, change: types.TextDocumentContentChangePartial, encoding: str
) -> str:
    a = reference_offset(text, change.range.start, encoding)
    b = reference_offset(text, change.range.end, encoding)
    a, b = min(a, b), max(a, b)
    return text[:a] + change.text + text[b:]
