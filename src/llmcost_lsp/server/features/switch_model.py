"""`llmcost.switchModel` and its code actions: on a budget breach, the cheapest models from the
manifest's `[[rules]]` (or the same provider) that bring the prompt under budget."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from llmcost_lsp.core.manifest import MANIFEST_FILENAME
from llmcost_lsp.core.suggest import Alternative
from llmcost_lsp.server.edits import switch_model_edit
from llmcost_lsp.server.features.commands import Command, CommandError
from llmcost_lsp.server.state import Folder, LlmCostServer
from llmcost_lsp.server.suggestions import cheaper_models, switch_title

NAME = "llmcost.switchModel"
BREACH_CODES = frozenset({"budget-exceeded"})


def _suggestions(ls: LlmCostServer, folder: Folder, prompt_id: str) -> list[Alternative]:
    """Worker-side: what the quick fixes and the hover offer (server/suggestions.py)."""
    if folder.workspace is None:
        return []
    return cheaper_models(folder.workspace, prompt_id, ls.config.scenario, ls.config.compare_models)


def code_actions(
    ls: LlmCostServer, folder: Folder, diagnostics: list[types.Diagnostic]
) -> list[types.CodeAction]:
    """Worker-side: one quick fix per suggested model, for each budget breach. The prompt comes
    from the diagnostic's `data`, written when the diagnostic was made (features/diagnostics)."""
    actions: list[types.CodeAction] = []
    for diagnostic in diagnostics:
        prompt_id = prompt_of(diagnostic)
        if diagnostic.code not in BREACH_CODES or prompt_id is None:
            continue
        for alternative in _suggestions(ls, folder, prompt_id):
            edit = switch_model_edit(ls, folder, prompt_id, alternative.model_id)
            if edit is None:
                continue
            actions.append(
                types.CodeAction(
                    title=switch_title(prompt_id, alternative),
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=edit,
                    is_preferred=not actions,
                )
            )
    return actions


def prompt_of(diagnostic: types.Diagnostic) -> str | None:
    """The prompt id a diagnostic of ours carries in `data` (None when it carries none)."""
    data = diagnostic.data
    prompt_id = data.get("promptId") if isinstance(data, dict) else None
    return prompt_id if isinstance(prompt_id, str) else None


async def run(ls: LlmCostServer, args: list[Any]) -> dict[str, Any]:
    """Arguments: [folder or manifest URI, prompt id, model id?]; without a model, ask."""
    if len(args) < 2 or not all(isinstance(a, str) for a in args[:3]):
        raise CommandError(f"{NAME} takes [folderUri, promptId, modelId?]")
    folder = await ls.ready_folder(args[0])
    if folder is None:
        raise CommandError(f"{args[0]} is not in an open workspace folder")
    prompt_id = args[1]
    model = args[2] if len(args) > 2 else None
    if model is None:
        options = await ls.run(_suggestions, ls, folder, prompt_id)
        if not options:
            ls.window_show_message(
                types.ShowMessageParams(
                    types.MessageType.Info, f"no cheaper model fits the budget of '{prompt_id}'"
                )
            )
            return {"applied": False}
        titles = {switch_title(prompt_id, o): o.model_id for o in options}
        choice = await ls.window_show_message_request_async(
            types.ShowMessageRequestParams(
                types.MessageType.Info,
                f"Switch '{prompt_id}' to:",
                [types.MessageActionItem(t) for t in titles],
            )
        )
        if choice is None:
            return {"applied": False}
        model = titles[choice.title]
    if folder.workspace is None or model not in folder.workspace.db:
        raise CommandError(f"unknown model {model!r}")
    edit = await ls.run(switch_model_edit, ls, folder, prompt_id, model)
    if edit is None:
        raise CommandError(f"no {MANIFEST_FILENAME} to edit in {folder.root}")
    result = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=f"llm-cost: {prompt_id} → {model}")
    )
    return {"applied": bool(result and result.applied), "promptId": prompt_id, "model": model}


COMMAND = Command(NAME, "llm-cost: switch a prompt to a cheaper model", run)
