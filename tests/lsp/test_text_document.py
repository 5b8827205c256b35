"""The server's open documents apply incremental edits exactly as the LSP specification says."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsp_helpers import reference_apply
from lsprotocol import types
from pygls.workspace import PositionCodec, Workspace

from llmcost_lsp.server import text_document
from llmcost_lsp.server.text_document import BlockTextDocument, use_block_documents

ENCODINGS = [
    types.PositionEncodingKind.Utf16,
    types.PositionEncodingKind.Utf8,
    types.PositionEncodingKind.Utf32,
]


ALPHABET = st.sampled_from(["a", "b", " ", "\n", "\r", "\r\n", "é", "😋", "\f", "\u2028", "xyz"])
texts = st.lists(ALPHABET, max_size=60).map("".join)
positions = st.builds(types.Position, line=st.integers(0, 25), character=st.integers(0, 12))


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    # blocks of a few characters, so edits cross and merge block boundaries all the time
    monkeypatch.setattr(text_document, "_BLOCK_CHARS", 4)


@pytest.mark.parametrize("encoding", ENCODINGS)
@settings(max_examples=150, deadline=None)
@given(
    start=texts,
    edits=st.lists(st.tuples(positions, positions, texts), min_size=1, max_size=8),
)
def test_edits_match_the_specification(
    encoding: str, start: str, edits: list[tuple[types.Position, types.Position, str]]
) -> None:
    document = BlockTextDocument(
        "file:///p.txt", start, version=1, position_codec=PositionCodec(encoding)
    )
    expected = start
    for version, (a, b, new_text) in enumerate(edits, start=2):
        change = types.TextDocumentContentChangePartial(range=types.Range(a, b), text=new_text)
        expected = reference_apply(expected, change, encoding)
        document.apply_change(change)
        document.version = version
        if version % 2:  # reading the text in between must not disturb later edits
            assert document.source == expected
    assert document.source == expected


def test_a_full_change_replaces_the_text_then_edits_go_on() -> None:
    document = BlockTextDocument("file:///p.txt", "one\ntwo\n", version=1)
    document.apply_change(
        types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(1, 0), types.Position(1, 3)), text="2"
        )
    )
    document.apply_change(types.TextDocumentContentChangeWholeDocument(text="alpha\nbeta\n"))
    document.apply_change(
        types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(1, 4), types.Position(1, 4)), text="!"
        )
    )
    assert document.source == "alpha\nbeta!\n"


def test_a_pygls_workspace_opens_block_documents() -> None:
    """Fails if a pygls release stops creating documents through `_create_text_document`."""
    workspace = Workspace(None, types.TextDocumentSyncKind.Incremental)
    use_block_documents(workspace)
    workspace.put_text_document(
        types.TextDocumentItem(uri="file:///p.txt", language_id="plaintext", version=1, text="ab\n")
    )
    workspace.update_text_document(
        types.VersionedTextDocumentIdentifier(version=2, uri="file:///p.txt"),
        types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(0, 1), types.Position(0, 1)), text="-"
        ),
    )
    document = workspace.get_text_document("file:///p.txt")
    assert isinstance(document, BlockTextDocument)
    assert document.source == "a-b\n"
