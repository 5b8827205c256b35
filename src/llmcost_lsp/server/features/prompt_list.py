"""`llmcost.prompts`: every prompt of every folder with its monthly cost, budget and state, for
the editors' prompt lists (VS Code's "Prompts by cost" view, Neovim's :LlmCostBreakdown).

Result: `{"scenario", "folders": [{"root", "uri", "hasManifest", "monthlyUsd", "monthlyUnknown",
"prompts": [{"id", "path", "uri", "line", "model", "monthlyUsd", "perCallUsd", "inputTokens",
"tokensExact", "budgetMonthlyUsd", "budgetShare", "state", "reason", "delta"}]}]}`; money as
decimal strings, unknown as null, prompts by monthly cost (highest first, unknown last). Each
amount also comes as the text people see (`monthlyText`, `perCallText`, `budgetText`, and
`monthlyText` per folder and over all): the editors show it as it is, with no money formatter
of their own.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from llmcost_lsp.core.check import NEAR_BUDGET
from llmcost_lsp.core.workspace import PromptResult, Report
from llmcost_lsp.present import money, monthly_total, monthly_total_over
from llmcost_lsp.server.analysis import resolve_scenario
from llmcost_lsp.server.baseline import Baseline, delta_text
from llmcost_lsp.server.convert import path_to_uri
from llmcost_lsp.server.explain import short_reason
from llmcost_lsp.server.features.commands import Command
from llmcost_lsp.server.state import Folder, LlmCostServer

NAME = "llmcost.prompts"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def state_of(result: PromptResult) -> str:
    """over-budget, near-budget, ok, unknown-volume (no monthly cost) or no-estimate."""
    estimate = result.estimate
    if estimate is None:
        return "no-estimate"
    if estimate.monthly_usd is None:
        return "unknown-volume"
    budget = result.entry.budget_monthly_usd if result.entry else None
    if budget is not None and estimate.monthly_usd > budget:
        return "over-budget"
    if budget is not None and budget > 0 and estimate.monthly_usd >= budget * NEAR_BUDGET:
        return "near-budget"
    return "ok"


def prompt_row(
    folder: Folder, result: PromptResult, baseline: Baseline | None, scenario: str | None
) -> dict[str, Any]:
    estimate = result.estimate
    budget = result.entry.budget_monthly_usd if result.entry else None
    monthly = estimate.monthly_usd if estimate else None
    return {
        "id": result.prompt_id,
        "path": result.prompt.path,
        "uri": path_to_uri(folder.root / result.prompt.path),
        "line": max(result.location.line or 1, 1) - 1,
        "model": estimate.model_entry.id if estimate else None,
        "monthlyUsd": _text(monthly),
        "perCallUsd": _text(estimate.per_call_usd if estimate else None),
        "inputTokens": estimate.input_tokens.tokens if estimate else None,
        "tokensExact": estimate.input_tokens.is_exact if estimate else None,
        "budgetMonthlyUsd": _text(budget),
        "budgetShare": _text(round(monthly / budget, 4) if monthly and budget else None),
        "state": state_of(result),
        "reason": None if estimate else short_reason(result),
        "delta": delta_text(baseline, scenario, result) or None,
        "monthlyText": money(monthly),
        "perCallText": None if estimate is None else money(estimate.per_call_usd, per_call=True),
        "budgetText": None if budget is None else money(budget),
    }


def folder_prompts(ls: LlmCostServer, folder: Folder) -> tuple[dict[str, Any], Report] | None:
    """Worker-side: the folder's part of the result, and its report."""
    workspace = folder.workspace
    if workspace is None:
        return None
    terms, _ = resolve_scenario(workspace, ls.config.scenario)
    report = workspace.report(terms.name)
    rows = [prompt_row(folder, r, folder.baseline, ls.config.scenario) for r in report.results]
    rows.sort(key=lambda r: (r["monthlyUsd"] is None, -Decimal(r["monthlyUsd"] or 0), r["id"]))
    listed = {
        "root": str(folder.root),
        "uri": path_to_uri(folder.root),
        "scenario": terms.name,
        "hasManifest": workspace.manifest_path.exists(),
        "monthlyUsd": str(report.monthly_usd),
        "monthlyUnknown": report.monthly_unknown,
        "monthlyText": monthly_total(report),
        "prompts": rows,
    }
    return listed, report


async def run(ls: LlmCostServer, args: list[Any]) -> dict[str, Any]:
    folders, reports = [], []
    for folder in ls.folders:
        await folder.ready.wait()
        found = await ls.run(folder_prompts, ls, folder)
        if found is not None:
            folders.append(found[0])
            reports.append(found[1])
    return {"folders": folders, "monthlyText": monthly_total_over(reports)}


COMMAND = Command(NAME, "llm-cost: every prompt by monthly cost", run)
