"""Changes outside the editor (git checkout, generated files, llm-cost.toml edited elsewhere).

The client watches files when it can register `workspace/didChangeWatchedFiles` dynamically;
otherwise `watchfiles` runs in a background task (debounced, ignoring .git and excluded paths)
and stops on shutdown. A file open in the editor keeps the editor's text until it is closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from lsprotocol import types

from llmcost_lsp.core.code import language_of
from llmcost_lsp.core.discovery import compile_globs
from llmcost_lsp.core.manifest import MANIFEST_FILENAME
from llmcost_lsp.server.capabilities import registers_file_watchers
from llmcost_lsp.server.convert import uri_to_path
from llmcost_lsp.server.features.diagnostics import schedule_refresh
from llmcost_lsp.server.state import Folder, LlmCostServer

log = logging.getLogger(__name__)
REGISTRATION_ID = "llmcost-watch"
IGNORED_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv"})


def ignored(folder: Folder, path: Path) -> bool:
    """Version-control internals and the manifest's `discovery.exclude` never matter."""
    rel = folder.relative(path)
    if rel is None:
        return True
    if any(part in IGNORED_DIRS for part in Path(rel).parts):
        return True
    manifest = folder.workspace.manifest if folder.workspace else None
    if manifest and manifest.discovery.exclude:
        spec = compile_globs(manifest.discovery.exclude)
        return spec.match_file(rel)
    return False


def apply_disk_changes(folder: Folder, paths: list[Path]) -> None:
    """Worker-side: re-read changed files; anything new, deleted or the manifest re-discovers."""
    workspace = folder.workspace
    if workspace is None:
        return
    rediscover = False
    for path in paths:
        rel = workspace.relative(path)
        if rel is not None and language_of(rel) is not None:
            workspace.apply_change(path, None)  # source code: re-scanned, re-discovered if needed
            continue
        known = workspace.prompt_for_path(path)
        if workspace.relative(path) == MANIFEST_FILENAME or known is None or not path.exists():
            rediscover = True
        else:
            workspace.apply_change(path, None)
    if rediscover:
        workspace.load()


async def on_disk_changes(ls: LlmCostServer, paths: Iterable[Path]) -> None:
    """Feed external changes to their folders, then a debounced refresh per folder touched."""
    by_folder: dict[int, tuple[Folder, list[Path]]] = {}
    for path in paths:
        folder = ls.folder_for(path.as_uri())
        if folder is None:
            continue
        await folder.ready.wait()
        if folder.workspace is None or ignored(folder, path):
            continue
        if ls.open_text(path) is not None and path.exists():
            continue  # the editor's buffer is the truth until it is closed
        by_folder.setdefault(id(folder), (folder, []))[1].append(path)
    for folder, changed in by_folder.values():
        log.info("%d file(s) changed outside the editor in %s", len(changed), folder.root)
        folder.edits += 1
        await ls.run(apply_disk_changes, folder, changed)
        schedule_refresh(ls, folder)


async def start(ls: LlmCostServer) -> str:
    """Start watching: "client", "watchfiles" or "off" (what was started)."""
    mode = ls.config.watch
    if mode == "off" or not ls.folders:
        return "off"
    dynamic = registers_file_watchers(ls.client_capabilities)
    if mode in ("auto", "client") and dynamic:
        registration = types.Registration(
            id=REGISTRATION_ID,
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern="**/*")]
            ),
        )
        try:
            await asyncio.wait_for(
                ls.client_register_capability_async(types.RegistrationParams([registration])), 5
            )
            log.info("watching files through the client")
            return "client"
        except Exception as error:
            log.warning("client file watching refused (%s); using watchfiles", error)
    if mode == "client":
        return "off"
    stop = asyncio.Event()
    ls.on_shutdown.append(stop.set)
    ls.spawn(_watchfiles(ls, [f.root for f in ls.folders], stop))
    log.info("watching files with watchfiles")
    return "watchfiles"


async def _watchfiles(ls: LlmCostServer, roots: list[Path], stop: asyncio.Event) -> None:
    from watchfiles import awatch

    def keep(_change: object, path: str) -> bool:
        return not any(part in IGNORED_DIRS for part in Path(path).parts)

    debounce = max(ls.config.debounce_ms, 50)
    async for changes in awatch(
        *roots, stop_event=stop, debounce=debounce, step=50, watch_filter=keep
    ):
        log.debug("watchfiles: %s", changes)
        try:
            await on_disk_changes(ls, sorted({Path(path) for _, path in changes}))
        except Exception:
            log.exception("could not apply file changes")


def register(ls: LlmCostServer) -> None:
    @ls.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        paths = [uri_to_path(change.uri) for change in params.changes]
        await on_disk_changes(ls, [p for p in paths if p is not None])
