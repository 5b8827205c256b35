"""Cheaper models for one prompt, budget-aware: what the hover lists and the quick fixes offer
(server/suggestions.py), one answer to "what is cheaper?".

Each candidate is priced through `Workspace.result(..., model=...)`, the same path as every
estimate: its own tokenizer, the manifest's volumes and contracted prices, the same scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.estimate import Estimate, ScenarioTerms
from llmcost_lsp.core.pricing.db import ModelEntry
from llmcost_lsp.core.workspace import Workspace

if TYPE_CHECKING:
    from llmcost_lsp.core.manifest import Manifest


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


def _comparable(base: ModelEntry, model: ModelEntry) -> bool:
    """A candidate does the same job on the same host: an embedding model is no cheaper chat
    model, and a host's copy (`azure/...`) is reached through another endpoint than the call's."""
    return model.kind == base.kind and model.hosted_by in (None, base.hosted_by)


def rule_suggestions(manifest: Manifest | None, prompt_id: str) -> list[tuple[str, str]]:
    """(model, "rule: <when_over_budget>") the manifest's `[[rules]]` suggest for `prompt_id`:
    the rules for it and for "*", in the manifest's order (a model once)."""
    found: dict[str, str] = {}
    for rule in manifest.rules if manifest else ():
        if rule.when_over_budget in (prompt_id, "*"):
            for name in rule.suggest:
                found.setdefault(name, f"rule: {rule.when_over_budget}")
    return list(found.items())


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
    candidates = rule_candidates(workspace, prompt_id)
    if not candidates:
        candidates = [
            (model, "same provider")
            for model in workspace.db.models(base.model_entry.provider)
            if not model.is_deprecated(workspace.price_day)
            and _comparable(base.model_entry, model)
            and model.hosted_by == base.model_entry.hosted_by
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


def rule_candidates(workspace: Workspace, prompt_id: str) -> list[tuple[ModelEntry, str]]:
    """The models of `rule_suggestions` the price DB knows, forbidden models left out, with
    the rule each came from. The quick fix and `choose_model` (core/ledger/guard.py) both
    walk it."""
    forbidden = _forbidden(workspace)
    found: list[tuple[ModelEntry, str]] = []
    for name, source in rule_suggestions(workspace.manifest, prompt_id):
        if name in workspace.db:
            entry = workspace.db.resolve(name)
            if entry.id.lower() not in forbidden:
                found.append((entry, source))
    return found
