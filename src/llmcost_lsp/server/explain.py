"""One prompt explained in markdown: the breakdown, this month's actuals, the cheaper models.
What a hover shows and what the breakdown view (`llmcost.breakdown`) renders."""

from __future__ import annotations

from llmcost_lsp.core.workspace import PromptResult
from llmcost_lsp.present.breakdown import breakdown_markdown, comparison_markdown
from llmcost_lsp.server import actuals
from llmcost_lsp.server.analysis import resolve_scenario
from llmcost_lsp.server.state import Folder, LlmCostServer
from llmcost_lsp.server.suggestions import cheaper_models

_SHORT_REASON = {"no-model": "no model set", "unknown-volume": "calls per month unknown"}


def short_reason(result: PromptResult) -> str:
    """Why a prompt has no estimate, in a few words (its diagnostic has the whole story)."""
    ranked = sorted(result.issues, key=lambda i: i.severity == "info")
    if not ranked:
        return "not estimated"
    first = ranked[0]
    if first.code in _SHORT_REASON:
        return _SHORT_REASON[first.code]
    return first.message.split(" (", 1)[0].split(": ", 1)[0]


def explain(ls: LlmCostServer, folder: Folder, prompt_id: str) -> str:
    """Worker-side."""
    workspace = folder.workspace
    if workspace is None or workspace.prompt(prompt_id) is None:
        return f"**{prompt_id}**: not a prompt of this workspace"
    terms, _ = resolve_scenario(workspace, ls.config.scenario)
    result = workspace.result(prompt_id, terms)
    markdown = breakdown_markdown(result)
    markdown += actuals.hover_markdown(result, actuals.month_to_date(ls, folder).get(prompt_id))
    if result.estimate is not None:
        # the same models the quick fixes offer (server/suggestions.py)
        cheaper = cheaper_models(workspace, prompt_id, ls.config.scenario, ls.config.compare_models)
        markdown += "\n" + comparison_markdown(result.estimate, cheaper)
    return markdown.rstrip()
