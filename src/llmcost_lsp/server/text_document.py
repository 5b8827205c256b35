"""Open documents that take an incremental edit in time independent of their size.

pygls rebuilds the whole text line by line for every change (`splitlines`, then a write per
line): ~2 ms for a 1 MB prompt, more than everything else an edit costs. This document keeps its
text as blocks of whole lines, each with its line count, so an edit finds its line by walking
~250 block counts and rewrites one block; the whole text is joined only when asked for.
Lines end at `\\n`, `\\r\\n` or `\\r`, as the LSP specification says (not `str.splitlines`, which
also breaks at form feeds and Unicode separators).
"""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types
from pygls.workspace import TextDocument, Workspace

from llmcost_lsp.server.convert import chars_in_units

_BLOCK_CHARS = 4096  # a block holds whole lines, about this many characters
_LINE_END = re.compile(r"\r\n|\r|\n")


def _line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _blocks_of(text: str) -> list[str]:
    """`text` cut after line ends about `_BLOCK_CHARS` apart, never between `\\r` and `\\n`."""
    blocks: list[str] = []
    start = 0
    while len(text) - start > 2 * _BLOCK_CHARS:
        match = _LINE_END.search(text, start + _BLOCK_CHARS)
        if match is None:
            break
        blocks.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        blocks.append(text[start:])
    return blocks


class BlockTextDocument(TextDocument):
    """A pygls `TextDocument` whose incremental changes touch one block of lines, not the text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._blocks: list[str] | None = None  # None: `_source` is the truth
        self._breaks: list[int] = []  # line breaks in each block

    @property
    def source(self) -> str:
        if self._source is None and self._blocks is not None:
            self._source = "".join(self._blocks)
        return str(super().source)

    def _apply_full_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        self._blocks = None
        super()._apply_full_change(change)

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        if self._blocks is None:
            self._blocks = _blocks_of(self.source)
            self._breaks = [_line_breaks(block) for block in self._blocks]
        blocks = self._blocks
        if not blocks:
            blocks.append("")
            self._breaks.append(0)
        first, start = self._locate(change.range.start)
        last, end = self._locate(change.range.end)
        if (last, end) < (first, start):
            (first, start), (last, end) = (last, end), (first, start)
        before_last = sum(len(block) for block in blocks[first:last])
        edited = "".join(blocks[first : last + 1])
        edited = edited[:start] + change.text + edited[before_last + end :]
        # Blocks end at line ends, so a line never spans two blocks, and "\r\n" stays whole.
        while last + 1 < len(blocks) and (
            not edited.endswith(("\n", "\r"))
            or (edited.endswith("\r") and blocks[last + 1].startswith("\n"))
        ):
            last += 1
            edited += blocks[last]
        while first > 0 and blocks[first - 1].endswith("\r") and edited.startswith("\n"):
            first -= 1
            edited = blocks[first] + edited
        pieces = _blocks_of(edited)
        blocks[first : last + 1] = pieces
        self._breaks[first : last + 1] = [_line_breaks(piece) for piece in pieces]
        self._source = None

    def _locate(self, position: types.Position) -> tuple[int, int]:
        """(block index, offset in that block) of an LSP position, clamped to the document."""
        assert self._blocks is not None
        line, last = position.line, len(self._blocks) - 1
        for index, breaks in enumerate(self._breaks):
            if line < breaks or (line == breaks and index == last):
                block = self._blocks[index]
                start = 0
                for _ in range(line):
                    start = _LINE_END.search(block, start).end()  # type: ignore[union-attr]
                match = _LINE_END.search(block, start)
                text = block[start : match.start() if match else len(block)]
                encoding = self._position_codec.encoding or types.PositionEncodingKind.Utf16
                return index, start + chars_in_units(text, position.character, encoding)
            line -= breaks
        return last, len(self._blocks[last])


def use_block_documents(workspace: Workspace) -> None:
    """Make `workspace` create `BlockTextDocument`s for the documents opened from now on.

    pygls has no public hook for its document class; `_create_text_document` is the one factory
    every open goes through (a test fails if a pygls release changes that)."""

    def create(
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return BlockTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=workspace._sync_kind,
            position_codec=workspace._position_codec,
        )

    workspace._create_text_document = create  # type: ignore[method-assign]
