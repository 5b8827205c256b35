"""Start-up: command line, progress while indexing, settings from the client, hint refresh."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import hints, insert, label, open_doc, wait_for
from lsprotocol import types

from conftest import progress_ended
from llmcost_lsp.server.config import ServerConfig
from llmcost_lsp.server.main import _host_port


def test_version_and_tcp_address() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("llmcost-lsp ")
    assert _host_port(":2087") == ("127.0.0.1", 2087)  # loopback unless told otherwise
    assert _host_port("0.0.0.0:9000") == ("0.0.0.0", 9000)
    for bad in ("2087x", "host:0", "host:70000"):
        with pytest.raises(argparse.ArgumentTypeError):
            _host_port(bad)


def test_settings_take_camel_or_snake_case_and_ignore_bad_values() -> None:
    config, problems = ServerConfig().merged(
        {"llmcost": {"hints": {"perMonth": False}, "debounce_ms": -5, "watch": "off", "x": 1}}
    )
    assert config.hints.per_month is False and config.hints.tokens is True
    assert config.watch == "off"
    assert config.debounce_ms == 150 and len(problems) == 1 and "debounce_ms" in problems[0]


async def test_indexing_reports_progress(client: Any, ws: Path) -> None:
    await client.start(ws)
    (reports,) = [r for r in client.progress_reports.values() if r]
    kinds = [type(r).__name__ for r in reports]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    assert "WorkDoneProgressReport" in kinds
    assert reports[-1].message == "5 prompts"


async def test_hints_come_before_every_prompt_is_counted_and_match_after(
    client: Any, tmp_path: Path
) -> None:
    """Indexing answers hints once prompts are discovered (the rest is counted in batches of
    500 meanwhile); the early hint is the same as the one after indexing."""
    root = tmp_path / "big"
    for index in range(1200):
        folder = root / "prompts" / f"team{index % 12}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"p{index}.txt").write_text(f"Prompt {index}: answer in {index % 7} lines.\n")
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o-mini"\ncalls_per_month = 1000\noutput_tokens = 200\n'
    )
    await client.start(root, wait_indexed=False)
    target = open_doc(client, root / "prompts" / "team5" / "p1145.txt")
    early = [label(h) for h in await hints(client, target)]
    await wait_for(lambda: bool(progress_ended(client)), timeout=30)
    (reports,) = [r for r in client.progress_reports.values() if r]
    assert reports[-1].message == "1200 prompts"
    assert "counted 1200/1200 prompts" in [getattr(r, "message", None) for r in reports]
    assert early and early == [label(h) for h in await hints(client, target)]


async def test_workspace_configuration_selects_hint_figures(client: Any, ws: Path) -> None:
    client.set_configuration({"hints": {"perMonth": False, "tokens": False}}, section="llmcost")
    await client.start(ws)
    (hint,) = await hints(client, open_doc(client, ws / "prompts/support/triage.txt"))
    assert label(hint).endswith("/call") and "tok" not in label(hint)


async def test_hints_are_refreshed_after_a_change_when_the_client_can(
    client: Any, ws: Path
) -> None:
    await client.start(ws)
    uri = open_doc(client, ws / "prompts/classify.prompt")
    insert(client, uri, 2, 0, 0, "Be brief. ")
    if client.client_name == "neovim":
        await wait_for(lambda: getattr(client, "inlay_refreshes", 0) > 0)
    else:  # VS Code 1.65's recorded capabilities predate inlay hints: never asked to refresh
        await asyncio.sleep(0.5)
        assert getattr(client, "inlay_refreshes", 0) == 0
    assert await hints(client, uri)


async def test_configuration_change_applies_at_once(client: Any, ws: Path) -> None:
    await client.start(ws)
    manifest = ws / "llm-cost.toml"
    assert "budget-exceeded" not in {d.code for d in client.diagnostics.get(manifest.as_uri(), [])}
    client.set_configuration({"scenario": "launch"}, section="llmcost")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"llmcost": {"scenario": "launch"}})
    )
    await wait_for(
        lambda: "budget-exceeded" in {d.code for d in client.diagnostics.get(manifest.as_uri(), [])}
    )


async def test_workspace_folders_added_and_removed(client: Any, ws: Path, tmp_path: Path) -> None:
    import shutil

    from conftest import EXAMPLES

    await client.start(ws)
    other = tmp_path / "other"
    shutil.copytree(EXAMPLES, other)
    folder = types.WorkspaceFolder(uri=other.as_uri(), name="other")
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            types.WorkspaceFoldersChangeEvent(added=[folder], removed=[])
        )
    )
    uri = open_doc(client, other / "prompts/support/triage.txt")
    assert await hints(client, uri)
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            types.WorkspaceFoldersChangeEvent(added=[], removed=[folder])
        )
    )
    for _ in range(100):
        if not await hints(client, uri):
            break
        await asyncio.sleep(0.05)
    assert not await hints(client, uri)
