"""What budget decisions did this period: calls `choose_model` moved to a cheaper model (and
what that saved, the same tokens priced on the model asked for) and calls it refused, from the
ledger's `budget_decisions` (core/ledger/guard.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmcost_lsp.core.ledger.store import SqlStore


@dataclass(frozen=True)
class DecisionLine:
    """Decisions of one kind for one prompt: `swap` (preferred → chosen) or `refuse`."""

    prompt_id: str
    action: str
    preferred_model: str
    chosen_model: str
    scope: str  # the budget that would have broken (the latest one seen)
    decisions: int
    settled: int  # swapped calls settled in the ledger
    priced: int  # settled calls priced on both models (the saving covers these)
    cost_pusd: int  # what the priced calls cost
    preferred_cost_pusd: int  # the same calls' tokens on the preferred model

    @property
    def saving_pusd(self) -> int:
        return self.preferred_cost_pusd - self.cost_pusd


def decision_lines(
    store: SqlStore, since_ts: int | None, until_ts: int | None, project: str | None = None
) -> list[DecisionLine]:
    """Swaps and refusals in [since_ts, until_ts), largest saving first; none on a store
    without budgets before the call (ClickHouse)."""
    if store.kind not in ("sqlite", "postgresql"):
        return []
    where = ["ts >= ?", "ts < ?"]
    params: list[Any] = [since_ts or -(2**62), until_ts or 2**62]
    if project is not None:
        where.append("project = ?")
        params.append(project)
    priced = "request_key IS NOT NULL AND cost_pusd IS NOT NULL AND preferred_cost_pusd IS NOT NULL"
    rows = store._query(
        "SELECT prompt_id, action, preferred_model, chosen_model, max(scope), count(*), "
        "count(request_key), "
        f"sum(CASE WHEN {priced} THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN {priced} THEN cost_pusd ELSE 0 END), "
        f"sum(CASE WHEN {priced} THEN preferred_cost_pusd ELSE 0 END) "
        f"FROM budget_decisions WHERE {' AND '.join(where)} "
        "GROUP BY prompt_id, action, preferred_model, chosen_model",
        params,
    )
    lines = [
        DecisionLine(
            str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), *(int(v or 0) for v in r[5:])
        )
        for r in rows
    ]
    return sorted(lines, key=lambda d: (d.action != "swap", -d.saving_pusd, d.prompt_id))
