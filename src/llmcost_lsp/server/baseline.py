"""The base side of a folder's last cost diff, kept on the folder for live hint deltas.

`llmcost.diff` (features/diff.py) sets `Folder.baseline`; inlay hints and code lenses read it
through `delta_text`, so no feature imports another to share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from llmcost_lsp.core.diff.gitobjects import GitRepo
from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.estimate import ScenarioTerms
from llmcost_lsp.core.workspace import PromptResult, Workspace
from llmcost_lsp.present.diff import signed_usd


@dataclass
class Baseline:
    """The base side of a folder's last diff; kept (with its git reader) for live deltas."""

    label: str  # what hints say: "vs main"
    repo: GitRepo
    workspace: Workspace

    def close(self) -> None:
        self.repo.close()


def delta_text(baseline: Baseline | None, scenario: str | None, result: PromptResult) -> str:
    """Worker-side: `+$41/mo vs main` for a prompt that differs from the diff's base; `new vs
    main` for one the base lacks; "" when unchanged or there is no baseline."""
    if baseline is None or result.estimate is None:
        return ""
    base = baseline.workspace
    old = base.prompt(result.prompt_id) or next(
        (p for p in base.prompts if p.path == result.prompt.path), None
    )
    if old is None:
        return f"new vs {baseline.label}"
    try:
        terms: ScenarioTerms = base.scenario(scenario)
    except LlmCostError:
        return ""
    before = base.result(old.id, terms).estimate
    after = result.estimate.monthly_usd
    if before is None or before.monthly_usd is None or after is None:
        changed = old.content_hash != result.prompt.content_hash
        return f"changed vs {baseline.label}" if changed else ""
    delta = after - before.monthly_usd
    if delta == 0:
        return ""
    return f"{short_delta(delta)}/mo vs {baseline.label}"


def short_delta(delta: Decimal) -> str:
    """`+$41`, `-$3.10`, `+$0.0042`: whole dollars from $10, cents from $1."""
    if abs(delta) >= 10:
        return f"{'+' if delta > 0 else '-'}${abs(delta):,.0f}"
    return signed_usd(delta)
