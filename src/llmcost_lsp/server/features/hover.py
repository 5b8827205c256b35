"""Hover on a prompt file's first line or a manifest `[prompts.<id>]` table: the breakdown and
the same prompt on cheaper models."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from llmcost_lsp.core.suggest import compare_models
from llmcost_lsp.server import actuals
from llmcost_lsp.server.analysis import resolve_scenario
from llmcost_lsp.server.breakdown import breakdown_markdown, comparison_markdown
from llmcost_lsp.server.convert import uri_to_path
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
    terms, _ = resolve_scenario(workspace, ls.config.scenario)
    result = workspace.result(place.prompt_id, terms)
    markdown = breakdown_markdown(result)
    markdown += actuals.hover_markdown(
        result, actuals.month_to_date(ls, folder).get(place.prompt_id)
    )
    if result.estimate is not None:
        cheaper = compare_models(workspace, place.prompt_id, terms, ls.config.compare_models)
        markdown += "\n" + comparison_markdown(result.estimate, cheaper)
    return types.Hover(contents=types.MarkupContent(types.MarkupKind.Markdown, markdown.rstrip()))


def register(ls: LlmCostServer) -> None:
    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        folder = await ls.ready_folder(uri)
        path = uri_to_path(uri)
        if folder is None or path is None:
            return None
        return await ls.run(compute_hover, ls, folder, path, params.position)
