"""What `guard()` checks a call against, read once from the workspace: the manifest's monthly
budgets as scopes, each prompt's per-call estimate (the estimate path of `llm-cost estimate`,
same scenario, tokenizer and prices) and the models its `[[rules]]` suggest.

A plan is built once per process and again only when `llm-cost.toml` changes on disk (its size
or modification time; checked at most every `reload_interval_s` by the guard): no call reads
the manifest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from llmcost_lsp.core.estimate import Estimate
from llmcost_lsp.core.ledger.metrics import budget_scopes
from llmcost_lsp.core.ledger.price import Pricer, pico_usd
from llmcost_lsp.core.manifest import MANIFEST_FILENAME, Manifest
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.suggest import rule_candidates
from llmcost_lsp.core.workspace import Workspace


@dataclass(frozen=True)
class Priced:
    """One model for one prompt: what a call is estimated to cost on it (pico-USD; None when
    the estimate cannot say) and why it is considered."""

    model: str
    estimate_pusd: int | None
    source: str  # "preferred", "given", "rule: <when_over_budget>"
    why_unknown: str | None = None


@dataclass(frozen=True)
class ScopeBudget:
    scope: str
    budget_pusd: int
    prompts: frozenset[str] | None  # None: every prompt


def _per_call_pusd(estimate: Estimate | None) -> int | None:
    """The amount a call reserves: the upper end of the per-call range when an approximate
    token count straddles a price tier, else the per-call estimate."""
    if estimate is None or estimate.per_call_usd is None:
        return None
    high = estimate.per_call_range[1] if estimate.per_call_range else estimate.per_call_usd
    return pico_usd(max(high, estimate.per_call_usd))


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


class GuardPlan:
    """The budgets and estimates of one workspace, as of one reading of its manifest."""

    def __init__(
        self, root: Path, *, settings: Settings | None = None, db: PriceDB | None = None
    ) -> None:
        self.root = root
        self.settings = settings or Settings.from_env()
        self.stamp = _stamp(root / MANIFEST_FILENAME)
        self.workspace = Workspace(root, settings=self.settings, db=db)
        self.workspace.load(parse=False)  # prompts are parsed and counted when first guarded
        self.manifest: Manifest | None = self.workspace.manifest
        self.broken = self.stamp is not None and self.manifest is None
        self.errors = tuple(issue.message for issue in self.workspace.manifest_issues)
        self.scopes = [
            ScopeBudget(s.scope, pico_usd(s.budget_usd), s.prompts)
            for s in budget_scopes(self.manifest)
            if s.budget_usd is not None
        ]
        self._scopes_of: dict[str, tuple[int, ...]] = {}
        self._priced: dict[tuple[str, str | None], Priced] = {}
        self._candidates: dict[str, list[Priced]] = {}
        self._pricer: Pricer | None = None

    @property
    def fail_open(self) -> bool:
        actuals = self.manifest.actuals if self.manifest else None
        return actuals is None or actuals.guard_unreachable == "open"

    @property
    def reservation_ttl_s(self) -> int:
        return self.manifest.actuals.reservation_ttl_s if self.manifest else 600

    def changed(self) -> bool:
        """True when llm-cost.toml on disk is no longer the one this plan read."""
        return _stamp(self.root / MANIFEST_FILENAME) != self.stamp

    def pricer(self) -> Pricer:
        """Prices settled calls with the price DB and overrides the estimates use."""
        if self._pricer is None:
            from llmcost_lsp.core.ledger.api import make_pricer

            self._pricer = make_pricer(self.manifest, self.workspace.db)
        return self._pricer

    def scopes_of(self, prompt_id: str) -> tuple[int, ...]:
        """Indexes (in `scopes`) of the budgets a call of `prompt_id` counts against."""
        found = self._scopes_of.get(prompt_id)
        if found is None:
            found = self._scopes_of[prompt_id] = tuple(
                index
                for index, scope in enumerate(self.scopes)
                if scope.prompts is None or prompt_id in scope.prompts
            )
        return found

    def priced(self, prompt_id: str, model: str | None) -> Priced:
        """The per-call estimate of `prompt_id` on `model` (None: the model the estimate
        uses), computed once and kept."""
        key = (prompt_id, model)
        found = self._priced.get(key)
        if found is None:
            found = self._priced[key] = self._price(prompt_id, model)
        return found

    def _price(self, prompt_id: str, model: str | None) -> Priced:
        workspace = self.workspace
        if workspace.prompt(prompt_id) is None:
            return Priced(model or "", None, "preferred", f"no prompt {prompt_id!r} in {self.root}")
        base = workspace.result(prompt_id).estimate
        if model is None or (
            base is not None
            and model in workspace.db
            and workspace.db.resolve(model).id == base.model_entry.id
        ):
            result = workspace.result(prompt_id)
        else:
            result = workspace.result(prompt_id, model=model)
        estimate = result.estimate
        name = model or (estimate.model_entry.id if estimate else "")
        pusd = _per_call_pusd(estimate)
        why = None
        if pusd is None:
            why = result.why_not_estimated if estimate is None else "no output tokens estimated"
        return Priced(name, pusd, "preferred", why)

    def candidates(self, prompt_id: str) -> list[Priced]:
        """The models the manifest's rules suggest for `prompt_id` (the quick fix's list,
        core/suggest.rule_candidates), each with its per-call estimate, in the rules' order."""
        found = self._candidates.get(prompt_id)
        if found is None:
            found = []
            if self.workspace.prompt(prompt_id) is not None:
                for entry, source in rule_candidates(self.workspace, prompt_id):
                    estimate = self.workspace.result(prompt_id, model=entry.id).estimate
                    found.append(Priced(entry.id, _per_call_pusd(estimate), source))
            self._candidates[prompt_id] = found
        return found


def usd_of(pusd: int | None) -> Decimal | None:
    from llmcost_lsp.core.ledger.price import usd_from_pico

    return None if pusd is None else usd_from_pico(pusd)
