"""External changes are picked up; bad input and bad requests leave the server alive and right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import codes, hints, insert, label, open_doc, replace_all, wait_for
from lsprotocol import types
from pygls.exceptions import JsonRpcException


def notify(client: Any, *paths: Path, kind: types.FileChangeType) -> None:
    """What a client that watches files sends; a watchfiles-based server needs nothing."""
    if client.registrations:
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams([types.FileEvent(p.as_uri(), kind) for p in paths])
        )


async def test_external_changes_are_picked_up(client: Any, ws: Path) -> None:
    await client.start(ws, scenario="launch")
    manifest = ws / "llm-cost.toml"
    await wait_for(lambda: "budget-exceeded" in codes(client, manifest))
    await wait_for(lambda: any("file watching" in m.message for m in client.log_messages))
    watchers = [
        r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    ]
    # VS Code registers file watching dynamically; Neovim's recorded capabilities do not, so
    # the server falls back to watchfiles: both paths are exercised here
    assert bool(watchers) == (client.client_name == "visual-studio-code")
    text = manifest.read_text()
    manifest.write_text(text.replace('budget_monthly_usd = "2500"', 'budget_monthly_usd = "90000"'))
    notify(client, manifest, kind=types.FileChangeType.Changed)
    await wait_for(lambda: "budget-exceeded" not in codes(client, manifest), timeout=15)
    # a generated prompt file appears: it gets a hint
    new = ws / "prompts" / "generated.txt"
    new.write_text("Summarise the weekly report in three bullet points.\n")
    notify(client, new, kind=types.FileChangeType.Created)

    async def has_hint() -> bool:
        return bool(await hints(client, new.as_uri()))

    for _ in range(300):
        if await has_hint():
            break
        await _sleep()
    assert await has_hint()


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.05)


async def test_deleted_prompt_and_binary_file(client: Any, ws: Path) -> None:
    await client.start(ws)
    manifest = ws / "llm-cost.toml"
    triage = ws / "prompts/support/triage.txt"
    triage.unlink()
    notify(client, triage, kind=types.FileChangeType.Deleted)
    await wait_for(lambda: "missing-path" in codes(client, manifest), timeout=15)
    assert await hints(client, triage.as_uri()) == []
    blob = ws / "prompts" / "blob.txt"
    blob.write_bytes(b"\x00\x01binary\x00\xff" * 100)
    notify(client, blob, kind=types.FileChangeType.Created)
    await wait_for(lambda: blob.as_uri() in client.diagnostics, timeout=15)
    # other prompts still estimated
    assert await hints(client, open_doc(client, ws / "prompts/classify.prompt"))


async def test_malformed_manifest_while_typing(client: Any, ws: Path) -> None:
    await client.start(ws)
    manifest = ws / "llm-cost.toml"
    uri = open_doc(client, manifest)
    text = manifest.read_text()
    for version, cut in enumerate(range(len(text), 0, -max(len(text) // 15, 1)), start=2):
        replace_all(client, uri, version, text[:cut] + "\n[prompts.\n")
    prompt = open_doc(client, ws / "prompts/classify.prompt")
    await wait_for(lambda: "toml-syntax" in codes(client, manifest))
    assert await hints(client, prompt)  # zero-config fallback: still estimated
    replace_all(client, uri, 100, text)
    await wait_for(lambda: "toml-syntax" not in codes(client, manifest))


async def test_rapid_edits_end_in_the_right_count(client: Any, ws: Path) -> None:
    await client.start(ws)
    path = ws / "prompts/search/answer.prompt.md"
    uri = open_doc(client, path)
    text = path.read_text()
    end = len(text.splitlines())
    for version in range(2, 60):
        insert(client, uri, version, end, 0, f"Rule {version}: be brief.\n")
        end += 1
    # a stale notification (older version) is logged, and the text stays what pygls holds
    insert(client, uri, 10, end, 0, "")
    final = label((await hints(client, uri))[0])
    # the same text on disk, counted from scratch after closing: the same hint
    final_text = text + "".join(f"Rule {v}: be brief.\n" for v in range(2, 60))
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
    )
    path.write_text(final_text)
    notify(client, path, kind=types.FileChangeType.Changed)
    reopened = open_doc(client, path, version=1)
    assert label((await hints(client, reopened))[0]) == final


async def test_garbage_requests_get_errors_and_the_server_stays_up(client: Any, ws: Path) -> None:
    await client.start(ws)
    with pytest.raises(JsonRpcException):
        await client.protocol.send_request_async("llmcost/noSuchMethod", {"x": 1})
    with pytest.raises(JsonRpcException):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams("llmcost.switchModel", [42])
        )
    with pytest.raises(JsonRpcException):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams("llmcost.selectScenario", ["no-such-scenario"])
        )
    with pytest.raises(JsonRpcException):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams("llmcost.noSuchCommand", [])
        )
    outside = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            types.TextDocumentIdentifier("untitled:Untitled-1"),
            types.Range(types.Position(0, 0), types.Position(1, 0)),
        )
    )
    assert not outside
    assert (
        await client.text_document_hover_async(
            types.HoverParams(
                types.TextDocumentIdentifier((ws.parent / "elsewhere.txt").as_uri()),
                types.Position(0, 0),
            )
        )
        is None
    )
    # a change for a document that was never opened, and an out-of-range edit
    insert(client, (ws / "prompts/classify.prompt").as_uri(), 5, 999, 999, "x")
    assert await hints(client, open_doc(client, ws / "prompts/support/triage.txt"))
