"""Inlay hints: `≈ 1,234 tok · $0.0031/call · $312.00/mo` after a prompt file's first line,
after each `[prompts.<id>]` header of llm-cost.toml and at the end of the line of each LLM call
in source code, with the breakdown as a tooltip."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from llmcost_lsp.core.estimate import Estimate
from llmcost_lsp.core.workspace import PromptResult
from llmcost_lsp.present import money
from llmcost_lsp.present.breakdown import breakdown_markdown
from llmcost_lsp.server import actuals
from llmcost_lsp.server.analysis import resolve_scenario
from llmcost_lsp.server.baseline import delta_text
from llmcost_lsp.server.config import HintSettings
from llmcost_lsp.server.convert import line_getter, units, uri_to_path
from llmcost_lsp.server.lookup import prompt_places
from llmcost_lsp.server.state import Folder, LlmCostServer


def hint_label(estimate: Estimate, show: HintSettings) -> str:
    """The one-line summary; `≈` only for approximate counts, `?/mo` when volume is unknown."""
    parts: list[str] = []
    if show.tokens:
        count = estimate.input_tokens
        parts.append(f"{'' if count.is_exact else '≈ '}{count.tokens:,} tok")
    bound = "≤ " if estimate.output_is_upper_bound else ""  # output sized by max_tokens
    if show.per_call:
        if estimate.per_call_usd is not None:
            parts.append(f"{bound}{money(estimate.per_call_usd, per_call=True)}/call")
        else:
            parts.append(f"{money(estimate.input_per_call_usd, per_call=True)}/call (input only)")
    if show.per_month:
        parts.append(f"{bound}{money(estimate.monthly_usd)}/mo" if estimate.monthly_usd else "?/mo")
    if estimate.model_assumed:  # no model named: say which one the figures assume
        parts.append(f"assumed {estimate.model_entry.id}")
    return " · ".join(parts)


def _hint(result: PromptResult, line: int, line_text: str, show: HintSettings) -> types.InlayHint:
    estimate = result.estimate
    if estimate is None:
        reason = next((i.message for i in result.issues), "not estimated")
        label = "llm-cost: no estimate"
        tooltip = f"**{result.prompt_id}**: {reason}"
    else:
        label = hint_label(estimate, show) or "llm-cost"
        tooltip = breakdown_markdown(result)
    return types.InlayHint(
        position=types.Position(line, units(line_text)),
        label=label,
        kind=types.InlayHintKind.Type,
        padding_left=True,
        tooltip=types.MarkupContent(types.MarkupKind.Markdown, tooltip),
    )


def compute_hints(
    ls: LlmCostServer, folder: Folder, path: Path, window: types.Range
) -> list[types.InlayHint]:
    """Worker-side: the hints of one document inside the requested range."""
    workspace = folder.workspace
    if workspace is None:
        return []
    text = ls.file_text(folder, workspace.relative(path))
    terms, _ = resolve_scenario(workspace, ls.config.scenario)
    places = prompt_places(workspace, path)
    lines = line_getter(text)
    hints = []
    month = actuals.month_to_date(ls, folder) if places else {}
    for prompt_id, line in places:
        if not window.start.line <= line <= window.end.line or workspace.prompt(prompt_id) is None:
            continue
        result = workspace.result(prompt_id, terms)
        hint = _hint(result, line, lines(line) or "", ls.config.hints)
        hint = actuals.decorate(hint, month.get(prompt_id))  # `· $287.00 so far this month`
        delta = delta_text(folder.baseline, ls.config.scenario, result)
        if delta and isinstance(hint.label, str):
            hint.label += f" · {delta}"  # `· +$41/mo vs main`
        hints.append(hint)
    return hints


async def inlay_hints(
    ls: LlmCostServer, params: types.InlayHintParams
) -> list[types.InlayHint] | None:
    uri = params.text_document.uri
    folder = await ls.ready_folder(uri)
    path = uri_to_path(uri)
    if folder is None or path is None:
        return None
    return await ls.run(compute_hints, ls, folder, path, params.range) or None


def register(ls: LlmCostServer) -> None:
    ls.feature(types.TEXT_DOCUMENT_INLAY_HINT)(inlay_hints)
