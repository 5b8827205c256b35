"""Drift of month-to-date actuals from the estimate: one rule for the editor's `actuals-drift`
warning and for `llm-cost actuals alerts`.

A prompt drifts when its month-to-date cost differs from the estimate for the same days
(`MonthToDate.drift`: judged from `MIN_CALLS` calls, never with unpriced calls) by more than the
manifest's `[actuals] drift_threshold` (default 50%).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from llmcost_lsp.core.errors import LlmCostError, Location
from llmcost_lsp.core.ledger.month import MonthToDate
from llmcost_lsp.core.numbers import usd

if TYPE_CHECKING:
    from llmcost_lsp.core.workspace import Workspace

HINT = (
    "compare with `llm-cost calibrate --actuals ledger`; [actuals] drift_threshold sets when "
    "this shows"
)


@dataclass(frozen=True)
class PromptDrift:
    prompt_id: str
    actual: MonthToDate
    monthly_usd: Decimal  # the estimate for the whole month
    drift: Decimal  # (actual - expected so far) / expected so far
    location: Location  # where the prompt is (the editor's warning goes there)

    @property
    def expected_usd(self) -> Decimal:
        return self.actual.expected_usd(self.monthly_usd)

    @property
    def direction(self) -> str:
        return "above" if self.drift > 0 else "below"

    @property
    def message(self) -> str:
        return (
            f"{self.prompt_id}: {usd(self.actual.cost_usd)} spent this month so far, "
            f"{abs(self.drift) * 100:.0f}% {self.direction} the estimate for these days "
            f"({usd(self.expected_usd)} of {usd(self.monthly_usd)}/mo)"
        )


def drifts(
    workspace: Workspace, found: dict[str, MonthToDate], scenario: str | None = None
) -> list[PromptDrift]:
    """The prompts of `workspace` whose month-to-date actual (`found`) is off their estimate
    by more than the manifest's threshold, by prompt id."""
    manifest = workspace.manifest
    threshold = manifest.actuals.drift_threshold if manifest else None
    if threshold is None or not found:
        return []
    try:
        terms = workspace.scenario(scenario)
    except LlmCostError:
        return []  # an unknown scenario is reported by the check already
    out = []
    for prompt_id, actual in sorted(found.items()):
        if workspace.prompt(prompt_id) is None:
            continue
        result = workspace.result(prompt_id, terms)
        monthly = result.estimate.monthly_usd if result.estimate else None
        drift = actual.drift(monthly)
        if drift is None or monthly is None or abs(drift) <= threshold:
            continue
        out.append(PromptDrift(prompt_id, actual, monthly, drift, result.location))
    return out
