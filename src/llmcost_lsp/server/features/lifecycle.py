"""Start-up and shut-down: folders from `initialize`, settings, indexing with `$/progress`."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types

from llmcost_lsp.core.workspace import Workspace
from llmcost_lsp.server.capabilities import pulls_configuration, shows_progress
from llmcost_lsp.server.config import SECTION
from llmcost_lsp.server.convert import set_position_encoding, uri_to_path
from llmcost_lsp.server.features import watching
from llmcost_lsp.server.features.diagnostics import refresh
from llmcost_lsp.server.state import Folder, LlmCostServer
from llmcost_lsp.server.text_document import use_block_documents

log = logging.getLogger(__name__)


def _roots(params: types.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    roots = [p.resolve() for p in (uri_to_path(u) for u in uris) if p is not None]
    if not roots and params.root_path:
        roots = [Path(params.root_path).resolve()]
    return [root for root in dict.fromkeys(roots) if root.is_dir()]


def apply_settings(ls: LlmCostServer, options: Any) -> None:
    ls.config, problems = ls.config.merged(options)
    for problem in problems:
        log.warning(problem)
        ls.window_log_message(types.LogMessageParams(types.MessageType.Warning, problem))


async def pull_configuration(ls: LlmCostServer) -> None:
    """Ask the client for the `llmcost` section (when it answers `workspace/configuration`)."""
    if not pulls_configuration(ls.client_capabilities):
        return
    try:
        answer = await asyncio.wait_for(
            ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
            ),
            5,
        )
    except Exception as error:
        log.warning("workspace/configuration failed: %s", error)
        return
    if answer and isinstance(answer[0], dict):
        apply_settings(ls, answer[0])


_WARM_BATCH = 500  # prompts parsed and counted per worker task while indexing


def _index(ls: LlmCostServer, folder: Folder, report: Any) -> None:
    """Worker-side: build the folder's Workspace and discover its prompts (parsed on demand)."""
    workspace = Workspace(folder.root, use_persistent_cache=ls.config.persistent_cache)
    # kept even when loading fails: a fix of the manifest (edit, save, disk) loads it again
    folder.workspace = workspace
    workspace.load(report, parse=False)


def settle_memory() -> None:
    """Worker-side, after indexing: move what is loaded out of the garbage collector's sight.
    A full collection over a 10,000-prompt workspace takes 50-80 ms and could land in any
    refresh; frozen objects are still freed by reference counting when dropped. Unfrozen first,
    so that what an earlier freeze kept (a folder indexed before) can be collected."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _warm(folder: Folder, prompt_ids: list[str]) -> None:
    """Worker-side: parse and count a batch of prompts (one cache read per tokenizer)."""
    workspace = folder.workspace
    if workspace is not None:  # an edit may have reloaded it since: skip ids now gone
        workspace.prefetch([i for i in prompt_ids if workspace.prompt(i) is not None])


async def index_folder(ls: LlmCostServer, folder: Folder, token: str) -> None:
    loop = asyncio.get_running_loop()
    progress = shows_progress(ls.client_capabilities)
    if progress:
        try:
            await asyncio.wait_for(ls.work_done_progress.create_async(token), 5)
        except Exception as error:
            log.debug("no progress bar: %s", error)
            progress = False
    if progress:
        ls.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title="llm-cost", message=f"indexing {folder.root.name}", percentage=0
            ),
        )

    def send(done: int, total: int, message: str) -> None:
        if progress:
            value = types.WorkDoneProgressReport(
                message=message, percentage=int(100 * done / total) if total else 100
            )
            ls.work_done_progress.report(token, value)

    def report(done: int, total: int, message: str) -> None:  # discovery: the first half
        loop.call_soon_threadsafe(send, done, 2 * total, message)

    try:
        await ls.run(_index, ls, folder, report)
        # Discovered: a hint or hover can be answered now (its prompt is parsed when asked).
        # The rest is parsed and counted in batches, each a worker task, so requests that
        # arrive meanwhile wait for one batch, not for the whole workspace.
        folder.ready.set()
        ids = [prompt.id for prompt in folder.workspace.prompts] if folder.workspace else []
        for start in range(0, len(ids), _WARM_BATCH):
            await ls.run(_warm, folder, ids[start : start + _WARM_BATCH])
            done = min(start + _WARM_BATCH, len(ids))
            send(len(ids) + done, 2 * len(ids), f"counted {done}/{len(ids)} prompts")
        await ls.run(settle_memory)
        log.info("indexed %s", folder.root)
    except Exception as error:
        log.exception("could not index %s", folder.root)
        ls.window_show_message(
            types.ShowMessageParams(
                types.MessageType.Error, f"llm-cost: could not index {folder.root}: {error}"
            )
        )
    finally:
        folder.ready.set()
        if progress:
            count = len(folder.workspace.prompts) if folder.workspace else 0
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=f"{count} prompts"))


def initialize(ls: LlmCostServer, params: types.InitializeParams) -> None:
    apply_settings(ls, params.initialization_options)
    encoding = ls.workspace.position_encoding
    set_position_encoding(str(getattr(encoding, "value", encoding or "utf-16")))
    use_block_documents(ls.workspace)
    ls.folders = [Folder(root) for root in _roots(params)]
    log.info("folders: %s", ", ".join(str(f.root) for f in ls.folders) or "none")


async def initialized(ls: LlmCostServer, params: types.InitializedParams) -> None:
    await pull_configuration(ls)
    # watch first: a change during indexing is applied once the folder is ready
    how = await watching.start(ls)
    ls.window_log_message(
        types.LogMessageParams(types.MessageType.Info, f"llm-cost: file watching: {how}")
    )
    for number, folder in enumerate(ls.folders):
        await index_folder(ls, folder, f"llmcost-index-{number}")
        # let requests that waited for the index (hints, hovers) queue before the full check
        await asyncio.sleep(0)
        await refresh(ls, folder)


async def did_change_workspace_folders(
    ls: LlmCostServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    removed = {p for p in (uri_to_path(f.uri) for f in params.event.removed) if p}
    for folder in [f for f in ls.folders if f.root in {r.resolve() for r in removed}]:
        ls.folders.remove(folder)
        for uri in folder.published:  # its findings go with it
            ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )
        await ls.run(_close, [folder])
    known = {f.root for f in ls.folders}
    for added in params.event.added:
        root = uri_to_path(added.uri)
        if root is None or not root.is_dir() or root.resolve() in known:
            continue
        folder = Folder(root.resolve())
        ls.folders.append(folder)
        await index_folder(ls, folder, f"llmcost-index-{len(ls.folders)}-{root.name}")
        await refresh(ls, folder)


async def did_change_configuration(
    ls: LlmCostServer, params: types.DidChangeConfigurationParams
) -> None:
    if pulls_configuration(ls.client_capabilities):
        await pull_configuration(ls)
    else:
        apply_settings(ls, params.settings)
    for folder in ls.folders:
        await folder.ready.wait()
        await refresh(ls, folder)


async def shutdown(ls: LlmCostServer, params: None) -> None:
    for stop in ls.on_shutdown:
        stop()
    for task in list(ls.background):
        task.cancel()
    # the count cache's SQLite connection belongs to the worker thread
    await ls.run(_close, ls.folders)


def _close(folders: list[Folder]) -> None:
    """Worker-side: release what a folder holds open (the diff base's git reader, the cache)."""
    for folder in folders:
        baseline = folder.set_baseline(None)
        if baseline is not None:
            baseline.close()
        if folder.workspace is not None:
            folder.workspace.counter.close()


def register(ls: LlmCostServer) -> None:
    ls.feature(types.INITIALIZE)(initialize)
    ls.feature(types.INITIALIZED)(initialized)
    ls.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)(did_change_workspace_folders)
    ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)
    ls.feature(types.SHUTDOWN)(shutdown)
