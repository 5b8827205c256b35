"""Quick fixes for a model name the price DB does not know: map it to a model of the DB in
llm-cost.toml's `[models]` table (`"gpt4o-prod" = "gpt-4o"`), one fix per close model id.

An Azure deployment (`azure_deployment: gpt4o-prod`) or an alias the code uses is a name the
user chose, not a model id: without this it is an error on day one with nothing to click. With
a manifest the fix is an edit of it (comments kept); without one it is `llmcost.init` with the
mapping, so the same click also creates the manifest that maps every prompt.
"""

from __future__ import annotations

from lsprotocol import types

from llmcost_lsp.core.manifest import MANIFEST_FILENAME
from llmcost_lsp.core.manifest.edit import set_value
from llmcost_lsp.core.pricing.deployments import models_for_name
from llmcost_lsp.server.convert import path_to_uri
from llmcost_lsp.server.edits import text_edit
from llmcost_lsp.server.features import init_command
from llmcost_lsp.server.state import Folder, LlmCostServer

CODE = "unknown-model"
LIMIT = 3  # fixes per unknown name: the closest model ids


def title(name: str, model: str, creates: bool) -> str:
    where = f"a new {MANIFEST_FILENAME}" if creates else MANIFEST_FILENAME
    return f"Map '{name}' to {model} in {where} [models]"


def code_actions(
    ls: LlmCostServer, folder: Folder, diagnostics: list[types.Diagnostic]
) -> list[types.CodeAction]:
    """Worker-side: for each unknown-model finding that carries the name as written."""
    workspace = folder.workspace
    if workspace is None:
        return []
    actions: list[types.CodeAction] = []
    manifest = folder.root / MANIFEST_FILENAME
    old = ls.file_text(folder, MANIFEST_FILENAME) if manifest.is_file() else None
    for diagnostic in diagnostics:
        data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
        name = data.get("model")
        if diagnostic.code != CODE or not isinstance(name, str):
            continue
        for model in models_for_name(workspace.db, name, LIMIT):
            action = types.CodeAction(
                title=title(name, model, old is None),
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=not actions,
            )
            if old is None:
                mapping = {"models": {name: model}}
                action.command = types.Command(
                    title=action.title,
                    command=init_command.NAME,
                    arguments=[path_to_uri(folder.root), mapping],
                )
            else:
                action.edit = text_edit(ls, manifest, old, set_value(old, ["models", name], model))
            actions.append(action)
    return actions
