"""What a budget has left, as one guard process keeps it: this month's spend per budget scope
(from the month rollups, reading only the rows written since its last read), the open
reservations, and the sweep of expired ones. Called inside a budget transaction."""

from __future__ import annotations

from typing import Any

from llmcost_lsp.core.ledger.guard_plan import GuardPlan
from llmcost_lsp.core.ledger.store import SqlStore


class MonthSpend:
    """The month's spend of one ledger (one project, or all when `project` is None)."""

    def __init__(self, project: str | None) -> None:
        self.project = project
        self.reset("")

    def reset(self, month: str) -> None:
        self.month = month
        self.seq = -1
        self._rows: dict[tuple[str, str, str], int] = {}
        self._by_prompt: dict[str, int] = {}
        self.by_scope: dict[str, int] = {}

    def _where(self, sql: str, params: list[Any]) -> tuple[str, list[Any]]:
        if self.project is None:
            return sql, params
        return sql + " AND project = ?", [*params, self.project]

    def refresh(self, store: SqlStore, cursor: Any, month: str, plan: GuardPlan) -> None:
        """Bring the month's spend up to date from the month rollup rows written since the
        last read (`seq` grows in commit order), adding each change to its prompt's scopes."""
        if month != self.month:
            self.reset(month)
        sql, params = self._where(
            "SELECT project, prompt_id, model, cost_pusd, seq FROM rollup_month "
            "WHERE month = ? AND seq > ?",
            [month, self.seq],
        )
        cursor.execute(store._sql(sql), params)
        for project, prompt_id, model, cost, seq in cursor.fetchall():
            key = (project, prompt_id, model)
            cost = int(cost)
            delta = cost - self._rows.get(key, 0)
            self._rows[key] = cost
            self.seq = max(self.seq, int(seq))
            if delta:
                self._by_prompt[prompt_id] = self._by_prompt.get(prompt_id, 0) + delta
                for i in plan.scopes_of(prompt_id):
                    scope = plan.scopes[i].scope
                    self.by_scope[scope] = self.by_scope.get(scope, 0) + delta

    def rescope(self, plan: GuardPlan) -> None:
        """The scope sums again from the prompts' spend (the manifest's budgets changed)."""
        sums: dict[str, int] = {}
        for prompt_id, cost in self._by_prompt.items():
            for i in plan.scopes_of(prompt_id):
                sums[plan.scopes[i].scope] = sums.get(plan.scopes[i].scope, 0) + cost
        self.by_scope = sums

    def reserved(self, store: SqlStore, cursor: Any, month: str, plan: GuardPlan) -> dict[int, int]:
        """Open reservations of the month per scope (indexes of `plan.scopes`)."""
        sql, params = self._where(
            "SELECT prompt_id, sum(amount_pusd) FROM reservations WHERE month = ?",
            [month],
        )
        cursor.execute(store._sql(sql + " GROUP BY prompt_id"), params)
        reserved = dict.fromkeys(range(len(plan.scopes)), 0)
        for prompt_id, amount in cursor.fetchall():
            for i in plan.scopes_of(prompt_id):
                reserved[i] += int(amount)
        return reserved

    def sweep(self, store: SqlStore, cursor: Any, before_us: int) -> None:
        """Delete the reservations that expired before `before_us`."""
        sql, params = self._where("DELETE FROM reservations WHERE expires_ts < ?", [before_us])
        cursor.execute(store._sql(sql), params)
