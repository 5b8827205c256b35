"""A budget decision as the caller gets it (`Decision`: allowed or not, the model to call, why,
settle/release) and the words of its reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmcost_lsp.core.ledger.guard_plan import Priced, usd_of
from llmcost_lsp.core.numbers import usd

if TYPE_CHECKING:
    from llmcost_lsp.core.ledger.guard import Guard


@dataclass(frozen=True)
class ScopeCheck:
    """One budget as a decision saw it (pico-USD)."""

    scope: str
    budget_pusd: int
    spent_pusd: int  # priced calls this month (unpriced calls cannot count)
    reserved_pusd: int  # open reservations, this call's not included

    @property
    def left_pusd(self) -> int:
        return self.budget_pusd - self.spent_pusd - self.reserved_pusd


@dataclass
class Decision:
    """What to do with one call. `allowed` False: do not make the call (`reason` says why).
    Otherwise call `model` and then `settle(usage)` (or `release()` if the call failed); a
    `with` block releases a decision left unsettled."""

    prompt_id: str
    allowed: bool
    model: str | None  # the model to call; None when refused
    preferred: str | None  # the model asked for (None: the prompt's own)
    reason: str
    estimate_usd: Decimal | None  # what was reserved for the call (None: nothing)
    checks: tuple[ScopeCheck, ...] = ()
    checked: bool = True  # False: the budgets could not be read (ledger unreachable)
    reservation_id: str | None = None
    decision_id: str | None = None  # the budget_decisions row of a swap or a refusal
    _guard: Guard | None = field(default=None, repr=False, compare=False)
    _open: bool = field(default=True, repr=False, compare=False)

    @property
    def swapped(self) -> bool:
        return self.allowed and self.decision_id is not None

    def settle(self, usage: Any, **fields: Any) -> bool:
        """Record the call's real usage (any shape `record()` takes; `response_id`, `user`,
        `session`, `tags`, `mode`, `model` as in `record`) and release the reservation.
        False when the ledger could not take it now (the recorder then retries it)."""
        if not self._open or self._guard is None:
            return False
        self._open = False
        return self._guard.settle(self, usage, **fields)

    def release(self) -> None:
        """The call was not made or failed: give the reservation back."""
        if self._open and self._guard is not None:
            self._open = False
            self._guard.release(self)

    def __enter__(self) -> Decision:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def breach(checks: tuple[ScopeCheck, ...], option: Priced) -> ScopeCheck | None:
    """The first budget this call would break: its estimate does not fit what is left, or,
    with no estimate, nothing is left."""
    for check in checks:
        if option.estimate_pusd is None:
            if check.left_pusd <= 0:
                return check
        elif option.estimate_pusd > check.left_pusd:
            return check
    return None


def amount_text(pusd: int | None) -> str:
    """An amount in a reason: four significant digits under $1 (a budget's last cents
    matter), cents above."""
    return usd(usd_of(pusd), per_call=True)


def breach_text(check: ScopeCheck, option: Priced) -> str:
    this = (
        f" + {amount_text(option.estimate_pusd)} this call on {option.model}"
        if option.estimate_pusd is not None
        else f" (no estimate for {option.model})"
    )
    return (
        f"{check.scope} budget {usd(usd_of(check.budget_pusd))} would be exceeded: "
        f"{amount_text(check.spent_pusd)} spent + {amount_text(check.reserved_pusd)} reserved{this}"
    )
