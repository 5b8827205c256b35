"""Budgets before the call: a call reserves its estimate against what its budgets have left,
and settles with what it really cost.

`Guard.check(prompt_id)` (the API's `guard()`) and `Guard.choose(prompt_id, preferred)` (the
API's `choose_model()`) run one short budget transaction: under the ledger's budget lock
(SQLite: the write lock, queued on an OS lock; PostgreSQL: an advisory lock per project) they
read this month's spend of every budget scope that applies (from the month rollups, reading only
the rows written since the previous check) and the open reservations, then either insert a
reservation for the call or refuse it. So calls racing from many processes never reserve more
than a budget has left: spend exceeds a budget only by what calls cost beyond their estimates.

`choose` walks the models the manifest's `[[rules]]` suggest (the editor's quick-fix list) when
the preferred model would break a budget and takes the first that fits; every swap or refusal
is a row of `budget_decisions` with its reason, completed at settlement with the call's cost and
what the same tokens would have cost on the preferred model.

`Decision.settle(usage)` writes the call (row + rollups) and deletes the reservation in one
transaction. A reservation never settled (a crashed process) expires after `[actuals]
reservation_ttl_s`; writers' clocks may disagree by up to `skew_s` before one expires another's
reservation early. When the ledger cannot be reached, `[actuals] guard_unreachable` decides:
"open" (default) lets the call through unchecked and says so, "closed" refuses it; the settled
call is then handed to the recorder, which retries. Nothing here raises into the caller.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmcost_lsp.core.ledger.budget_state import MonthSpend
from llmcost_lsp.core.ledger.guard_decision import (
    Decision,
    ScopeCheck,
    amount_text,
    breach,
    breach_text,
)
from llmcost_lsp.core.ledger.guard_plan import GuardPlan, Priced, usd_of
from llmcost_lsp.core.ledger.rows import day_of, make_row, parse_day
from llmcost_lsp.core.ledger.store import SqlStore
from llmcost_lsp.core.ledger.usage import Usage, normalise_usage
from llmcost_lsp.core.numbers import usd

if TYPE_CHECKING:
    from llmcost_lsp.core.ledger.recorder import Recorder

log = logging.getLogger(__name__)
SKEW_S = 60  # writers' clocks may differ this much before a reservation is taken for stale


def month_of(ts_us: int) -> str:
    return day_of(ts_us)[:7]


class Guard:
    """Budget decisions for one workspace and one ledger, in one process (one connection,
    kept open; calls from several threads take turns)."""

    def __init__(
        self,
        store_factory: Callable[[], SqlStore],
        plan_factory: Callable[[], GuardPlan],
        *,
        project: str | None = None,
        clock: Callable[[], float] | None = None,
        recorder: Recorder | None = None,
        skew_s: float = SKEW_S,
        reload_interval_s: float = 1.0,
        retry_s: float = 1.0,
    ) -> None:
        """`clock` gives the time in Unix seconds (default: the settings' clock, which
        LLMCOST_NOW pins); `recorder` takes settled calls the ledger cannot take now."""
        if clock is None:
            from llmcost_lsp.core.settings import Settings

            clock = Settings.from_env().clock()
        self._clock = clock
        self._store_factory = store_factory
        self._plan_factory = plan_factory
        self._plan: GuardPlan | None = None
        self.project = project
        self._recorder = recorder
        self._skew_us = int(skew_s * 1_000_000)
        self._reload_interval = reload_interval_s
        self._next_reload = 0.0
        self._retry_s = retry_s
        self._down_until = 0.0
        self._store: SqlStore | None = None
        self._lock = threading.Lock()
        self._next_sweep = 0.0
        self._spend = MonthSpend(project)
        self.last_error: str | None = None

    # -- the plan (manifest) ---------------------------------------------------------------

    def plan(self) -> GuardPlan:
        """The current plan; the manifest is read again when it changed on disk (an edit that
        does not validate keeps the previous plan)."""
        plan = self._plan
        now = time.monotonic()
        if plan is None:
            plan = self._plan = self._plan_factory()
            self._next_reload = now + self._reload_interval
        elif now >= self._next_reload:
            self._next_reload = now + self._reload_interval
            if plan.changed():
                fresh = self._plan_factory()
                if fresh.broken:
                    log.warning(
                        "llm-cost.toml does not validate, budgets kept: %s",
                        fresh.errors,
                    )
                    plan.stamp = fresh.stamp  # warn once per edit
                else:
                    plan = self._plan = fresh
                    self._spend.rescope(plan)
        return plan

    # -- decisions -------------------------------------------------------------------------

    def check(
        self,
        prompt_id: str,
        model: str | None = None,
        *,
        estimate_usd: Decimal | None = None,
    ) -> Decision:
        """Reserve a call of `prompt_id` on `model` (None: the prompt's own) or refuse it.
        `estimate_usd` replaces the workspace's estimate (e.g. a `max_tokens` worst case)."""
        return self._decide(prompt_id, model, estimate_usd, swap=False)

    def choose(
        self,
        prompt_id: str,
        preferred: str | None = None,
        *,
        estimate_usd: Decimal | None = None,
        among: Collection[str] | None = None,
    ) -> Decision:
        """Like `check`, but when `preferred` would break a budget, take the first model the
        manifest's rules suggest that is cheaper and fits, and say so. `among` limits the
        swaps to these models (price DB ids: what a LiteLLM model group deploys)."""
        return self._decide(prompt_id, preferred, estimate_usd, swap=True, among=among)

    def _decide(
        self,
        prompt_id: str,
        model: str | None,
        estimate_usd: Decimal | None,
        swap: bool,
        among: Collection[str] | None = None,
    ) -> Decision:
        try:
            with self._lock:
                return self._decide_locked(prompt_id, model, estimate_usd, swap, among)
        except Exception as error:  # never break the caller: a bug is an unreachable ledger
            log.exception("guard")
            return self._unchecked(prompt_id, model, f"{type(error).__name__}: {error}")

    def _decide_locked(
        self,
        prompt_id: str,
        model: str | None,
        estimate_usd: Decimal | None,
        swap: bool,
        among: Collection[str] | None,
    ) -> Decision:
        plan = self.plan()
        first = plan.priced(prompt_id, model)
        if estimate_usd is not None:
            from llmcost_lsp.core.ledger.price import pico_usd

            first = Priced(model or first.model, pico_usd(estimate_usd), "given")
        scope_ids = plan.scopes_of(prompt_id)
        if not scope_ids:
            return Decision(prompt_id, True, first.model or model, model,
                            "no budget applies to this prompt", None, _guard=self)  # fmt: skip
        options = [first]
        if swap:
            options += [
                c for c in plan.candidates(prompt_id)
                if c.estimate_pusd is not None and c.model != first.model
                and (among is None or c.model in among)
                and (first.estimate_pusd is None or c.estimate_pusd < first.estimate_pusd)
            ]  # fmt: skip
        store = self._open_store()
        if store is None:
            return self._unchecked(prompt_id, first.model or model, self.last_error or "")
        try:
            with store.budget_transaction(self.project or "") as cursor:
                now_us = int(self._clock() * 1_000_000)
                month = month_of(now_us)
                self._sweep(store, cursor, now_us)
                self._spend.refresh(store, cursor, month, plan)
                reserved = self._spend.reserved(store, cursor, month, plan)
                checks = tuple(
                    ScopeCheck(plan.scopes[i].scope, plan.scopes[i].budget_pusd,
                               self._spend.by_scope.get(plan.scopes[i].scope, 0), reserved[i])
                    for i in scope_ids
                )  # fmt: skip
                chosen = next((o for o in options if breach(checks, o) is None), None)
                decision = self._decision(prompt_id, model, first, chosen, checks, swap)
                if chosen is not None and chosen.estimate_pusd is not None:
                    decision.reservation_id = uuid.uuid4().hex
                    cursor.execute(
                        store._sql(
                            "INSERT INTO reservations (reservation_id, project, prompt_id, "
                            "model, month, amount_pusd, created_ts, expires_ts) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                        ),
                        [decision.reservation_id, self.project or "", prompt_id, chosen.model,
                         month, chosen.estimate_pusd, now_us,
                         now_us + plan.reservation_ttl_s * 1_000_000],
                    )  # fmt: skip
                if chosen is not first:
                    decision.decision_id = uuid.uuid4().hex
                    self._save_decision(store, cursor, decision, first, chosen, now_us)
                return decision
        except Exception as error:
            self._lost(error)
            return self._unchecked(prompt_id, first.model or model, self.last_error or "")

    def _decision(
        self,
        prompt_id: str,
        model: str | None,
        first: Priced,
        chosen: Priced | None,
        checks: tuple[ScopeCheck, ...],
        swap: bool,
    ) -> Decision:
        estimate = usd_of(chosen.estimate_pusd) if chosen else None
        if chosen is first:
            if first.estimate_pusd is None:
                reason = (
                    f"no per-call estimate ({first.why_unknown}): not reserved; "
                    "no budget it counts against is used up"
                )
            else:
                tightest = min(checks, key=lambda c: c.left_pusd)
                left = tightest.left_pusd - (first.estimate_pusd or 0)
                reason = (
                    f"fits: {amount_text(first.estimate_pusd)} reserved; {tightest.scope} has "
                    f"{amount_text(left)} of {usd(usd_of(tightest.budget_pusd))} left after it"
                )
            return Decision(prompt_id, True, first.model or model, model, reason, estimate,
                            checks, _guard=self)  # fmt: skip
        broken = breach(checks, first)
        assert broken is not None
        why = breach_text(broken, first)
        if chosen is None:
            reason = f"refused: {why}" + (
                "; no cheaper model the manifest's [[rules]] suggest for it fits" if swap else ""
            )
            return Decision(prompt_id, False, None, model, reason, None, checks,
                            _guard=self, _open=False)  # fmt: skip
        reason = (
            f"swapped {first.model} → {chosen.model}: {why}; {chosen.source} suggests "
            f"{chosen.model} at {amount_text(chosen.estimate_pusd)}/call, which fits"
        )
        return Decision(prompt_id, True, chosen.model, model, reason, estimate, checks,
                        _guard=self)  # fmt: skip

    def _save_decision(
        self,
        store: SqlStore,
        cursor: Any,
        decision: Decision,
        first: Priced,
        chosen: Priced | None,
        now_us: int,
    ) -> None:
        broken = breach(decision.checks, first)
        cursor.execute(
            store._sql(
                "INSERT INTO budget_decisions (decision_id, ts, project, prompt_id, action, "
                "preferred_model, chosen_model, scope, reason, preferred_estimate_pusd, "
                "chosen_estimate_pusd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            [decision.decision_id, now_us, self.project or "", decision.prompt_id,
             "swap" if chosen else "refuse", first.model, chosen.model if chosen else "",
             broken.scope if broken else "", decision.reason, first.estimate_pusd,
             chosen.estimate_pusd if chosen else None],
        )  # fmt: skip

    def _unchecked(self, prompt_id: str, model: str | None, error: str) -> Decision:
        plan = self._plan
        fail_open = plan.fail_open if plan is not None else True
        setting = f'[actuals] guard_unreachable = "{"open" if fail_open else "closed"}"'
        if fail_open:
            return Decision(prompt_id, True, model, model,
                            f"allowed unchecked: the ledger cannot be read ({error}); {setting}",
                            None, checked=False, _guard=self)  # fmt: skip
        return Decision(prompt_id, False, None, model,
                        f"refused: the ledger cannot be read ({error}); {setting}", None,
                        checked=False, _guard=self, _open=False)  # fmt: skip

    # -- settling --------------------------------------------------------------------------

    def settle(self, decision: Decision, usage: Any, **fields: Any) -> bool:
        """Write the call and release its reservation in one transaction; when that fails
        (or the decision was unchecked) the recorder takes the call and retries."""
        # the model asked for when the usage does not name one; `at`: the call's time
        fields = {**fields, "model": fields.get("model") or decision.model}
        try:
            with self._lock:
                if decision.reservation_id is None and decision.decision_id is None:
                    raise _NothingHeld
                return self._settle_locked(decision, usage, fields)
        except Exception as error:
            if not isinstance(error, _NothingHeld):
                log.warning("guard: settling in the ledger failed: %s", error)
            return self._hand_to_recorder(decision, usage, fields)

    def _settle_locked(self, decision: Decision, usage: Any, fields: Mapping[str, Any]) -> bool:
        store = self._open_store()
        if store is None:
            raise ConnectionError(self.last_error)
        plan = self.plan()
        model: str | None = fields["model"]
        at: datetime | None = fields.get("at")
        if not isinstance(usage, Usage):
            usage = normalise_usage(usage, model=model)
        elif model and not usage.model:
            usage = replace(usage, model_responded=model)
        ts = int((at.timestamp() if at else self._clock()) * 1_000_000)
        pricer = plan.pricer()
        mode = fields.get("mode")
        price = pricer.price(usage, parse_day(day_of(ts)), mode)
        key = fields.get("response_id") or usage.response_id or f"uuid:{uuid.uuid4().hex}"
        row = make_row(
            usage, price, request_key=key, ts=ts, price_db=pricer.version,
            prompt_id=decision.prompt_id, project=self.project, user_id=fields.get("user"),
            session_id=fields.get("session"), tags=fields.get("tags"),
            source=fields.get("source", "guard"), mode=mode,
        )  # fmt: skip
        preferred_cost = None
        if decision.decision_id is not None and decision.allowed:
            first = plan.priced(decision.prompt_id, decision.preferred)
            on_preferred = replace(usage, model_responded=first.model, model_requested=None)
            preferred_cost = pricer.price(on_preferred, parse_day(day_of(ts)), mode).cost_pusd
        try:
            store._before_write([row])
            with store.budget_transaction(self.project or "") as cursor:
                store.write_in(cursor, [row])
                if decision.reservation_id is not None:
                    cursor.execute(
                        store._sql("DELETE FROM reservations WHERE reservation_id = ?"),
                        [decision.reservation_id],
                    )
                if decision.decision_id is not None:
                    cursor.execute(
                        store._sql(
                            "UPDATE budget_decisions SET request_key = ?, cost_pusd = ?, "
                            "preferred_cost_pusd = ? WHERE decision_id = ?"
                        ),
                        [
                            row.request_key,
                            row.cost_pusd,
                            preferred_cost,
                            decision.decision_id,
                        ],
                    )
        except Exception as error:
            self._lost(error)
            raise
        return True

    def _hand_to_recorder(self, decision: Decision, usage: Any, fields: Mapping[str, Any]) -> bool:
        recorder = self._recorder
        if recorder is None:
            from llmcost_lsp.core.ledger.api import default_recorder

            recorder = self._recorder = default_recorder()
        options = {k: v for k, v in fields.items() if k in _RECORD_FIELDS}
        options.setdefault("source", "guard")
        recorder.record(usage, prompt_id=decision.prompt_id, model=fields["model"],
                        at=fields.get("at"), project=self.project, **options)  # fmt: skip
        return False

    def release(self, decision: Decision) -> None:
        if decision.reservation_id is None:
            return
        try:
            with self._lock:
                store = self._open_store()
                if store is None:
                    return  # it expires
                with store.budget_transaction(self.project or "") as cursor:
                    cursor.execute(
                        store._sql("DELETE FROM reservations WHERE reservation_id = ?"),
                        [decision.reservation_id],
                    )
        except Exception as error:
            self._lost(error)

    # -- the ledger ------------------------------------------------------------------------

    def _open_store(self) -> SqlStore | None:
        if self._store is None:
            if time.monotonic() < self._down_until:
                return None
            try:
                self._store = self._store_factory()
            except Exception as error:
                self._lost(error)
                return None
            self._spend.reset("")
        return self._store

    def _lost(self, error: BaseException) -> None:
        """The ledger failed: close the connection and try again after `retry_s` (until
        then, decisions are unchecked at once instead of waiting on a dead server)."""
        self.last_error = f"{type(error).__name__}: {error}"
        self._down_until = time.monotonic() + self._retry_s
        if self._store is not None:
            with contextlib.suppress(Exception):
                self._store.close()
            self._store = None

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                with contextlib.suppress(Exception):
                    self._store.close()
                self._store = None

    def _sweep(self, store: SqlStore, cursor: Any, now_us: int) -> None:
        """Expire reservations whose time is up by this writer's clock, less the skew allowed
        between writers (at most once a second)."""
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + 1.0
            self._spend.sweep(store, cursor, now_us - self._skew_us)


class _NothingHeld(Exception):
    """An unchecked decision: its call goes to the recorder."""


_RECORD_FIELDS = (
    "response_id",
    "user",
    "session",
    "tags",
    "mode",
    "source",
    "provider",
)
