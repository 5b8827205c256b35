"""Cheaper models for one prompt: the one answer the hover lists and the quick fixes offer.

The manifest's `[[rules]]` (or the same provider), priced through the workspace's one estimate
path, cheaper per month and within the prompt's budget when it has one (`core.suggest`). A
model written in source code goes through its provider's SDK, so only that provider's models
are offered there."""

from __future__ import annotations

from llmcost_lsp.core.suggest import Alternative, swap_suggestions
from llmcost_lsp.core.workspace import Workspace
from llmcost_lsp.present import money
from llmcost_lsp.server.analysis import resolve_scenario


def cheaper_models(
    workspace: Workspace, prompt_id: str, scenario: str | None, limit: int = 3
) -> list[Alternative]:
    """Worker-side."""
    if workspace.prompt(prompt_id) is None or limit <= 0:
        return []
    terms, _ = resolve_scenario(workspace, scenario)
    found = swap_suggestions(workspace, prompt_id, terms, limit)
    current = workspace.model_entry(prompt_id)
    if current is None or workspace.model_literal(prompt_id) is None:
        return found
    return [a for a in found if a.estimate.model_entry.provider == current.provider]


def switch_title(prompt_id: str, alternative: Alternative) -> str:
    saving = alternative.saving_monthly_usd
    saves = f" (saves {money(saving)}/mo)" if saving is not None else ""
    return f"Switch '{prompt_id}' to {alternative.model_id}{saves}"
