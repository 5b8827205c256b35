"""Code lenses: the cost above each prompt, monthly first (`$1,322.50/mo · $0.005290/call ·
1,925 tok · +$164/mo vs main`), where a hint at the end of a long first line would be cut.

A lens sits above a prompt file's first line, each `[prompts.<id>]` table of llm-cost.toml and
each LLM call in source code; clicking it opens the prompt's breakdown (the client command
`llm-cost.showPromptBreakdown`, which renders `llmcost.breakdown`). A prompt without an estimate
says why in a few words; without a manifest, a second lens offers to create it.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from llmcost_lsp.core.workspace import PromptResult
from llmcost_lsp.present import money
from llmcost_lsp.server.analysis import resolve_scenario
from llmcost_lsp.server.baseline import delta_text
from llmcost_lsp.server.convert import path_to_uri, uri_to_path
from llmcost_lsp.server.explain import short_reason
from llmcost_lsp.server.lookup import prompt_places
from llmcost_lsp.server.state import Folder, LlmCostServer

SHOW_BREAKDOWN = "llm-cost.showPromptBreakdown"  # a client command (VS Code, Neovim plugin)
INIT = "llmcost.init"  # the server's command


def lens_title(result: PromptResult, delta: str = "") -> str:
    """Monthly cost first, then per call and tokens, then the delta against the diff's base."""
    estimate = result.estimate
    if estimate is None:
        return f"llm-cost: no estimate ({short_reason(result)})"
    monthly = f"{money(estimate.monthly_usd)}/mo" if estimate.monthly_usd is not None else "?/mo"
    if estimate.per_call_usd is not None:
        per_call = f"{money(estimate.per_call_usd, per_call=True)}/call"
    else:
        per_call = f"{money(estimate.input_per_call_usd, per_call=True)}/call input only"
    count = estimate.input_tokens
    tokens = f"{'' if count.is_exact else '≈ '}{count.tokens:,} tok"  # as the inlay hint writes it
    return " · ".join(part for part in (monthly, per_call, tokens, delta) if part)


def compute_lenses(ls: LlmCostServer, folder: Folder, path: Path) -> list[types.CodeLens]:
    """Worker-side: the lenses of one document."""
    workspace = folder.workspace
    if workspace is None:
        return []
    terms, _ = resolve_scenario(workspace, ls.config.scenario)
    no_manifest = not workspace.manifest_path.exists()
    folder_uri = path_to_uri(folder.root)
    lenses: list[types.CodeLens] = []
    for prompt_id, line in prompt_places(workspace, path):
        if workspace.prompt(prompt_id) is None:
            continue
        result = workspace.result(prompt_id, terms)
        delta = delta_text(folder.baseline, ls.config.scenario, result)
        at = types.Range(types.Position(line, 0), types.Position(line, 0))
        arguments: list[object] = [{"folder": folder_uri, "promptId": prompt_id}]
        show = types.Command(lens_title(result, delta), SHOW_BREAKDOWN, arguments=arguments)
        lenses.append(types.CodeLens(range=at, command=show))
        if no_manifest and result.estimate is None:
            create = types.Command("Create llm-cost.toml", INIT, arguments=[folder_uri])
            lenses.append(types.CodeLens(range=at, command=create))
    return lenses


async def code_lens(ls: LlmCostServer, params: types.CodeLensParams) -> list[types.CodeLens] | None:
    uri = params.text_document.uri
    folder = await ls.ready_folder(uri)
    path = uri_to_path(uri)
    if folder is None or path is None:
        return None
    return await ls.run(compute_lenses, ls, folder, path) or None


def register(ls: LlmCostServer) -> None:
    ls.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))(
        code_lens
    )
