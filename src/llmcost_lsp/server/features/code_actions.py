"""Code actions: model swaps on budget breaches, `llm-cost init` on a prompt without a manifest,
an unknown model name mapped in `[models]`."""

from __future__ import annotations

from lsprotocol import types

from llmcost_lsp.server.features import diff, init_command, map_model, switch_model
from llmcost_lsp.server.state import Folder, LlmCostServer


def compute_actions(
    ls: LlmCostServer, folder: Folder, params: types.CodeActionParams
) -> list[types.CodeAction]:
    """Worker-side."""
    ours = [d for d in params.context.diagnostics if d.source == "llm-cost"]
    actions = switch_model.code_actions(ls, folder, ours)
    actions += map_model.code_actions(ls, folder, ours)
    actions += init_command.code_actions(ls, folder, params.text_document.uri, ours)
    actions += diff.code_actions(ls, folder, params.text_document.uri)
    only = [_kind(k) for k in params.context.only or ()]
    if only:  # "quickfix" matches "quickfix" and "quickfix.x", not "quickfixes"
        actions = [
            a
            for a in actions
            if a.kind and any(_kind(a.kind) == k or _kind(a.kind).startswith(f"{k}.") for k in only)
        ]
    return actions


def _kind(kind: types.CodeActionKind | str) -> str:
    """The wire value: str() of the enum member is its Python name, not "quickfix"."""
    return kind.value if isinstance(kind, types.CodeActionKind) else str(kind)


async def code_action(
    ls: LlmCostServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    folder = await ls.ready_folder(params.text_document.uri)
    if folder is None:
        return None
    return await ls.run(compute_actions, ls, folder, params) or None


def register(ls: LlmCostServer) -> None:
    options = types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Source]
    )
    ls.feature(types.TEXT_DOCUMENT_CODE_ACTION, options)(code_action)
