"""`llmcost.init` and its code action: write llm-cost.toml with the same code as `llm-cost init`.

Applied through `workspace/applyEdit` (create the file, insert the text) when the client takes
resource operations, else written atomically to disk; either way the folder re-indexes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lsprotocol import types

from llmcost_lsp.core.init import InitPlan, apply_init, plan_init
from llmcost_lsp.core.manifest import MANIFEST_FILENAME
from llmcost_lsp.core.manifest.edit import set_value
from llmcost_lsp.server.capabilities import creates_files
from llmcost_lsp.server.convert import path_to_uri, uri_to_path
from llmcost_lsp.server.edits import text_edit
from llmcost_lsp.server.features.commands import Command, CommandError
from llmcost_lsp.server.features.diagnostics import refresh
from llmcost_lsp.server.state import Folder, LlmCostServer

NAME = "llmcost.init"
TITLE = "Create llm-cost.toml for this workspace (llm-cost init)"


def code_actions(
    ls: LlmCostServer, folder: Folder, uri: str, diagnostics: list[types.Diagnostic]
) -> list[types.CodeAction]:
    """Worker-side: offered on a prompt file (or code with LLM calls) while the folder has no
    manifest, as the preferred quick fix (Ctrl+. finds it; a `source` action it would not) of
    our findings there: most of them (no model, no volume, unsized variables) it resolves."""
    path = uri_to_path(uri)
    workspace = folder.workspace
    if workspace is None or path is None or workspace.manifest_path.exists():
        return []
    if not workspace.prompts_at(path):
        return []
    command = types.Command(title=TITLE, command=NAME, arguments=[path_to_uri(folder.root)])
    return [
        types.CodeAction(
            title=TITLE,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=diagnostics or None,
            is_preferred=True,
            command=command,
        )
    ]


def _create_edit(plan: InitPlan) -> types.WorkspaceEdit:
    uri = path_to_uri(plan.manifest_path)
    insert = types.TextEdit(
        range=types.Range(types.Position(0, 0), types.Position(0, 0)), new_text=plan.new_text
    )
    return types.WorkspaceEdit(
        document_changes=[
            types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True)),
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
                edits=[insert],
            ),
        ]
    )


def _reload(folder: Folder) -> None:
    if folder.workspace is not None:
        folder.workspace.load()


def _with_models(plan: InitPlan, models: Any) -> InitPlan:
    """The plan with `[models]` names added (the map-model quick fix on a first run)."""
    if not isinstance(models, dict):
        return plan
    text = plan.new_text
    for name, model in models.items():
        if isinstance(name, str) and isinstance(model, str):
            text = set_value(text, ["models", name], model)
    return replace(plan, new_text=text)


async def run(ls: LlmCostServer, args: list[Any]) -> dict[str, Any]:
    """Arguments: [folder URI (default: the first folder), {"models": {name: model}}?]: the
    options add `[models]` names to what init writes."""
    uri = args[0] if args and isinstance(args[0], str) else None
    folder = ls.folder_for(uri) if uri else (ls.folders[0] if ls.folders else None)
    if folder is None:
        raise CommandError("no workspace folder to initialise")
    await folder.ready.wait()
    plan = await ls.run(plan_init, folder.root)
    options = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
    plan = _with_models(plan, options.get("models"))
    mapped = [{"path": m.path, "id": m.id, "status": m.status} for m in plan.mappings]
    if not plan.changed:
        return {"changed": False, "mapped": mapped, "applied": None}
    how = "written"
    if plan.old_text is None and creates_files(ls.client_capabilities):
        result = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=_create_edit(plan), label="llm-cost init")
        )
        if not (result and result.applied):
            raise CommandError(f"the editor did not create {MANIFEST_FILENAME}")
        how = "applyEdit"
    elif plan.old_text is not None and ls.open_text(plan.manifest_path) is not None:
        edit = text_edit(ls, plan.manifest_path, plan.old_text, plan.new_text)
        if edit is not None:
            await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=edit))
        how = "applyEdit"
    else:
        await ls.run(apply_init, plan)
    await ls.run(_reload, folder)
    await refresh(ls, folder)
    added = len(plan.added)
    ls.window_show_message(
        types.ShowMessageParams(
            types.MessageType.Info,
            f"llm-cost: {MANIFEST_FILENAME} maps {added} prompt{'s' * (added != 1)}",
        )
    )
    return {"changed": True, "mapped": mapped, "applied": how}


COMMAND = Command(NAME, TITLE, run)
