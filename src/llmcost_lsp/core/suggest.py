"""Cheaper models for one prompt: re-priced comparisons (hover) and budget-aware swaps.

Each candidate is priced through `Workspace.result(..., model=...)`, the same path as every
estimate: its own tokenizer, the manifest's volumes and contracted prices, the same scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.estimate import Estimate, ScenarioTerms
from llmcost_lsp.core.pricing.db import ModelEntry
from llmcost_lsp.core.workspace import Workspace

_PREFILTER = 4  # candidates priced in full per alternative wanted


@dataclass(frozen=True)
class Alternative:
    """The same prompt on another model."""

    model_id: str
    estimate: Estimate
    saving_per_call_usd: Decimal | None
    saving_monthly_usd: Decimal | None
    fits_budget: bool | None  # None: the prompt has no budget or its monthly cost is unknown
    tokenizer_differs: bool  # counted with another tokenizer: token counts are not comparable
    source: str  # "rule: <pattern>", "same provider", "price DB"


def _forbidden(workspace: Workspace) -> set[str]:
    manifest = workspace.manifest
    return {m.strip().lower() for m in manifest.budgets.forbidden_models} if manifest else set()


def _alternative(
    workspace: Workspace,
    prompt_id: str,
    terms: ScenarioTerms,
    base: Estimate,
    model: ModelEntry,
    source: str,
) -> Alternative | None:
    if model.id.lower() in _forbidden(workspace) or model.id == base.model_entry.id:
        return None
    try:
        estimate = workspace.result(prompt_id, terms, model=model.id).estimate
    except LlmCostError:
        return None
    if estimate is None:
        return None
    per_call = (
        base.per_call_usd - estimate.per_call_usd
        if base.per_call_usd is not None and estimate.per_call_usd is not None
        else None
    )
    monthly = (
        base.monthly_usd - estimate.monthly_usd
        if base.monthly_usd is not None and estimate.monthly_usd is not None
        else None
    )
    entry = workspace.manifest.prompts.get(prompt_id) if workspace.manifest else None
    budget = entry.budget_monthly_usd if entry else None
    fits = (
        estimate.monthly_usd <= budget
        if budget is not None and estimate.monthly_usd is not None
        else None
    )
    return Alternative(
        model.id,
        estimate,
        per_call,
        monthly,
        fits,
        model.tokenizer != base.model_entry.tokenizer,
        source,
    )


def _cost_key(estimate: Estimate) -> Decimal:
    return (
        estimate.per_call_usd if estimate.per_call_usd is not None else estimate.input_per_call_usd
    )


def compare_models(
    workspace: Workspace, prompt_id: str, terms: ScenarioTerms | None = None, limit: int = 3
) -> list[Alternative]:
    """The `limit` cheapest current models for this prompt that cost less than its own."""
    terms = terms or workspace.scenario()
    base = workspace.result(prompt_id, terms).estimate
    if base is None or limit <= 0:
        return []
    tokens = base.input_tokens.tokens
    output = base.effective_output_tokens or Decimal(0)
    rough: list[tuple[Decimal, ModelEntry]] = []
    for model in workspace.db.models():
        if model.is_deprecated(workspace.pricing_date) or model.id == base.model_entry.id:
            continue
        try:
            rates = model.prices_at(workspace.pricing_date).rates_for(tokens, terms.mode)
        except LlmCostError:
            continue  # no price today, or not offered in this mode
        rough.append((Decimal(tokens) * rates.input + output * rates.output, model))
    rough.sort(key=lambda pair: (pair[0], pair[1].id))
    found: list[Alternative] = []
    for _, model in rough[: limit * _PREFILTER]:
        alternative = _alternative(workspace, prompt_id, terms, base, model, "price DB")
        if alternative is not None and _cost_key(alternative.estimate) < _cost_key(base):
            found.append(alternative)
    found.sort(key=lambda a: (_cost_key(a.estimate), a.model_id))
    return found[:limit]


def swap_suggestions(
    workspace: Workspace, prompt_id: str, terms: ScenarioTerms | None = None, limit: int = 3
) -> list[Alternative]:
    """Models that bring an over-budget prompt under its budget, cheapest first.

    Candidates come from the manifest's `[[rules]]` (`when_over_budget` = the id, then "*"), in
    their order; without a matching rule, from the same provider. Only candidates cheaper per
    month are kept, and when the prompt has a budget, only those that fit it.
    """
    terms = terms or workspace.scenario()
    base = workspace.result(prompt_id, terms).estimate
    if base is None or base.monthly_usd is None:
        return []
    candidates: list[tuple[ModelEntry, str]] = []
    manifest = workspace.manifest
    for rule in manifest.rules if manifest else ():
        if rule.when_over_budget not in (prompt_id, "*"):
            continue
        for name in rule.suggest:
            if name in workspace.db:
                candidates.append((workspace.db.resolve(name), f"rule: {rule.when_over_budget}"))
    if not candidates:
        candidates = [
            (model, "same provider")
            for model in workspace.db.models(base.model_entry.provider)
            if not model.is_deprecated(workspace.pricing_date)
        ]
    seen: set[str] = set()
    found: list[Alternative] = []
    for model, source in candidates:
        if model.id in seen:
            continue
        seen.add(model.id)
        alternative = _alternative(workspace, prompt_id, terms, base, model, source)
        if alternative is None or alternative.estimate.monthly_usd is None:
            continue
        if alternative.estimate.monthly_usd >= base.monthly_usd or alternative.fits_budget is False:
            continue
        found.append(alternative)
    found.sort(key=lambda a: (a.estimate.monthly_usd or Decimal(0), a.model_id))
    return found[:limit]
