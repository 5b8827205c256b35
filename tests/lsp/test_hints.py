"""Inlay hints and hovers appear where prompts are and follow the text as it changes."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import hints, label, open_doc, reference_apply
from lsprotocol import types

from llmcost_lsp.core.workspace import Workspace


async def test_prompt_file_hint_after_first_line(client: Any, ws: Path) -> None:
    await client.start(ws)
    path = ws / "prompts/support/triage.txt"
    uri = open_doc(client, path)
    found = await hints(client, uri)
    assert len(found) == 1
    first_line = path.read_text().splitlines()[0]
    assert found[0].position == types.Position(0, len(first_line))
    text = label(found[0])
    # claude has no public tokenizer: approximate, so "≈"; volume is known, so a monthly figure
    assert text.startswith("≈ ") and " tok · $" in text and "/call · $" in text
    assert text.endswith("/mo") and "?/mo" not in text
    tooltip = found[0].tooltip
    assert isinstance(tooltip, types.MarkupContent) and "| Model |" in tooltip.value


async def test_exact_count_has_no_approx_sign(client: Any, ws: Path) -> None:
    await client.start(ws)
    uri = open_doc(client, ws / "prompts/search/answer.prompt.md")
    (hint,) = await hints(client, uri)
    assert not label(hint).startswith("≈") and label(hint).split(" ")[0][0].isdigit()


async def test_manifest_hint_after_each_prompt_header(client: Any, ws: Path) -> None:
    await client.start(ws)
    manifest = ws / "llm-cost.toml"
    uri = open_doc(client, manifest)
    found = await hints(client, uri)
    lines = manifest.read_text().splitlines()
    headers = {i for i, line in enumerate(lines) if line.startswith("[prompts.")}
    assert {h.position.line for h in found} == headers
    for hint in found:
        assert hint.position.character == len(lines[hint.position.line])


async def test_hint_changes_as_the_text_changes(client: Any, ws: Path) -> None:
    await client.start(ws)
    path = ws / "prompts/search/answer.prompt.md"
    uri = open_doc(client, path)
    before = label((await hints(client, uri))[0])
    end = len(path.read_text().splitlines())
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=uri),
            [
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(end, 0), types.Position(end, 0)),
                    text="Answer in exactly three sentences, citing every passage you use.\n" * 20,
                )
            ],
        )
    )
    after = label((await hints(client, uri))[0])
    assert after != before
    assert int(after.split(" ")[0].replace(",", "")) > int(before.split(" ")[0].replace(",", ""))


@pytest.mark.skipif(  # decided before the server starts: a skip inside the test would leave it
    importlib.util.find_spec("mistral_common") is None,
    reason="optional package 'mistral-common' not installed (pip install mistral-common)",
)
async def test_a_long_crlf_prompt_edited_in_place_counts_as_its_saved_text(
    client: Any, tmp_path: Path
) -> None:
    """Incremental edits across CRLF line ends and after astral characters, in a prompt long
    enough to be counted chunk by chunk: the hint is exactly that of the final text on disk.
    (Line ends count as read from disk, LF: Mistral's tokenizer would count every "\\r".)"""
    root = tmp_path / "crlf"
    (root / "prompts").mkdir(parents=True)
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "mistral-large-2512"\ncalls_per_month = 1000\noutput_tokens = 10\n'
    )
    path = root / "prompts" / "long.txt"
    lines = [f"Step {i}: cite passage {i} 😋 verbatim, then explain it." for i in range(900)]
    text = "\r\n".join(lines) + "\r\n"
    path.write_bytes(text.encode())
    initialized = await client.start(root)
    uri = open_doc(client, path, text=text)
    opened = label((await hints(client, uri))[0])
    edits = [
        ((10, 22), (10, 22), "again "),  # after the emoji: UTF-16 columns
        ((400, 5), (402, 3), "merged"),  # across two CRLF line ends
        ((899, 0), (899, 0), "Last words.\r\n"),
        ((0, 0), (0, 4), "Phase"),
    ]
    encoding = initialized.capabilities.position_encoding or types.PositionEncodingKind.Utf16
    for version, (start, end, new_text) in enumerate(edits, start=2):
        change = types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(*start), types.Position(*end)), text=new_text
        )
        text = reference_apply(text, change, encoding)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri), [change]
            )
        )
    edited = label((await hints(client, uri))[0])
    path.write_bytes(text.encode())  # saved; a fresh workspace reads it from disk
    workspace = Workspace(root, use_persistent_cache=False)
    workspace.load()
    estimate = workspace.result("long").estimate
    assert estimate is not None and edited != opened
    assert edited.startswith(f"{estimate.input_tokens.tokens:,} tok")


async def test_unknown_volume_shows_question_mark(client: Any, ws: Path) -> None:
    manifest = ws / "llm-cost.toml"
    text = manifest.read_text().replace("calls_per_month = 20_000\n", "", 1)
    text = text.replace("calls_per_month = 900\n", "")
    manifest.write_text(text)
    await client.start(ws)
    uri = open_doc(client, ws / "src/app/summarize.prompty")
    (hint,) = await hints(client, uri)
    assert label(hint).endswith("?/mo")
    assert isinstance(hint.tooltip, types.MarkupContent)
    assert "needs calls_per_month" in hint.tooltip.value


async def test_hover_shows_breakdown_and_cheaper_models(client: Any, ws: Path) -> None:
    await client.start(ws)
    uri = open_doc(client, ws / "prompts/search/answer.prompt.md")
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0))
    )
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    value = hover.contents.value
    for row in ("| Input tokens |", "| Cached tokens |", "| Output tokens |", "| Price per Mtok |"):
        assert row in value
    assert "gpt-4o" in value and "Cheaper models for this prompt" in value
    # the token parts of the very count the estimate used, adding up to its input tokens
    workspace = Workspace(ws, use_persistent_cache=False)
    workspace.load()
    count = workspace.result("search/answer").estimate.input_tokens  # type: ignore[union-attr]
    assert count.parts is not None
    parts = count.parts
    row = next(line for line in value.splitlines() if line.startswith("| Token parts |"))
    assert f"| text {parts.text:,} + chat framing {parts.overhead:,} + variables " in row
    assert parts.text + parts.unscaled == count.tokens and parts.variables > 0
    # away from the first line: nothing
    assert (
        await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(3, 0))
        )
        is None
    )


async def test_hover_on_manifest_entry(client: Any, ws: Path) -> None:
    await client.start(ws)
    manifest = ws / "llm-cost.toml"
    uri = open_doc(client, manifest)
    line = manifest.read_text().splitlines().index('[prompts."support/triage"]')
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line + 2, 3))
    )
    assert hover is not None and "support/triage" in hover.contents.value  # type: ignore[union-attr]


async def test_hover_shows_calibrated_values(client: Any, ws: Path) -> None:
    """A value `llm-cost calibrate --write` set says so, with its date and source, in the hover."""
    manifest = ws / "llm-cost.toml"
    text = manifest.read_text()
    line = text.splitlines().index('[prompts."support/triage"]')
    lines = text.splitlines()
    calls = next(i for i in range(line, len(lines)) if lines[i].startswith("calls_per_month"))
    lines[calls] = "calls_per_month = 41_000 # calibrated 2026-11-20 from bill.csv"
    manifest.write_text("\n".join(lines) + "\n")
    await client.start(ws)
    uri = open_doc(client, manifest)
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, 3))
    )
    assert hover is not None
    assert "calibrated 2026-11-20 from bill.csv" in hover.contents.value  # type: ignore[union-attr]
