"""Hover on a prompt file's first line, a manifest `[prompts.<id>]` table or an LLM call: the
breakdown and the same prompt on cheaper models (server/explain.py)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from llmcost_lsp.server.convert import uri_to_path
from llmcost_lsp.server.explain import explain
from llmcost_lsp.server.lookup import place_at
from llmcost_lsp.server.state import Folder, LlmCostServer


def compute_hover(
    ls: LlmCostServer, folder: Folder, path: Path, position: types.Position
) -> types.Hover | None:
    """Worker-side: the hover for one position, or None away from a prompt."""
    workspace = folder.workspace
    if workspace is None:
        return None
    text = ls.file_text(folder, workspace.relative(path))
    place = place_at(workspace, path, position.line, text)
    if place is None:
        return None
    markdown = explain(ls, folder, place.prompt_id)
    return types.Hover(contents=types.MarkupContent(types.MarkupKind.Markdown, markdown))


async def hover(ls: LlmCostServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    folder = await ls.ready_folder(uri)
    path = uri_to_path(uri)
    if folder is None or path is None:
        return None
    return await ls.run(compute_hover, ls, folder, path, params.position)


def register(ls: LlmCostServer) -> None:
    ls.feature(types.TEXT_DOCUMENT_HOVER)(hover)
