"""Text sync: open, change, save and close feed the folder's Workspace, then a debounced refresh.

Incremental sync: pygls applies each change to its copy of the document; the Workspace gets the
new text and recounts only that prompt, whose long texts are counted by cached chunks. A change
with an older version than one already seen is logged; the document text stays the truth.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lsprotocol import types

from llmcost_lsp.server.convert import uri_to_path
from llmcost_lsp.server.features.diagnostics import schedule_refresh
from llmcost_lsp.server.state import Folder, LlmCostServer

log = logging.getLogger(__name__)


_NOTHING = object()


def _apply(folder: Folder, path: Path, text: str | None) -> set[str]:
    """Worker-side: give the Workspace the editor's text (None: back to the disk's)."""
    if folder.workspace is None or not folder.is_tracked(path):
        return set()
    return folder.workspace.apply_change(path, text)


def _apply_newest(ls: LlmCostServer, folder: Folder, path: Path, uri: str) -> set[str]:
    """Worker-side: give the Workspace the newest text of `uri` (None: back to the disk's).

    Changes are coalesced: the event loop keeps only the newest text per document and queues
    one apply at a time per document, so a burst of 5,000 keystrokes is one recount of the
    last text, not 5,000 recounts of texts nobody will see."""
    ls.queued_changes.discard(uri)  # a text stored after this line is applied by another job
    text = ls.newest_text.pop(uri, _NOTHING)
    if text is _NOTHING:
        return set()
    assert text is None or isinstance(text, str)
    return _apply(folder, path, text)


async def _changed(ls: LlmCostServer, uri: str, text: str | None) -> None:
    ls.newest_text[uri] = text  # before any wait: a waiting change holds no text of its own
    if uri in ls.queued_changes:
        return  # the job already queued for this document takes the newest text
    ls.queued_changes.add(uri)
    folder = await ls.ready_folder(uri)
    path = uri_to_path(uri)
    if folder is None or path is None or not folder.is_tracked(path):
        ls.queued_changes.discard(uri)
        ls.newest_text.pop(uri, None)
        return
    await ls.run(_apply_newest, ls, folder, path, uri)
    schedule_refresh(ls, folder)


async def did_open(ls: LlmCostServer, params: types.DidOpenTextDocumentParams) -> None:
    document = params.text_document
    ls.versions[document.uri] = document.version
    folder = ls.folder_for(document.uri)
    if folder is not None:  # some clients drop a closed buffer's diagnostics: send them again
        folder.published.pop(document.uri, None)
    await _changed(ls, document.uri, document.text)


async def did_change(ls: LlmCostServer, params: types.DidChangeTextDocumentParams) -> None:
    uri, version = params.text_document.uri, params.text_document.version
    seen = ls.versions.get(uri)
    if seen is not None and version is not None and version <= seen:
        log.warning("%s: change for version %s after version %s", uri, version, seen)
    ls.versions[uri] = max(version or 0, seen or 0)
    folder = ls.folder_for(uri)
    if folder is not None:
        folder.edits += 1  # results computed before this change are now stale
    await _changed(ls, uri, ls.workspace.get_text_document(uri).source)


async def did_save(ls: LlmCostServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    text = params.text if params.text is not None else ls.open_text_of(uri)
    await _changed(ls, uri, text)


async def did_close(ls: LlmCostServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.versions.pop(uri, None)
    await _changed(ls, uri, None)  # closing without saving: the disk's text counts again


def register(ls: LlmCostServer) -> None:
    ls.feature(types.TEXT_DOCUMENT_DID_OPEN)(did_open)
    ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    ls.feature(types.TEXT_DOCUMENT_DID_SAVE)(did_save)
    ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)(did_close)
