"""What a cost diff is: the diff of one prompt, of a whole workspace, and the threshold a diff
may not exceed (`--fail-on-increase`). The comparison that makes them is in compare.py."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.workspace import PromptResult, Report

__all__ = [
    "BUDGET_CODES",
    "READ_FAILURES",
    "ChangeKind",
    "CostDiff",
    "PromptDiff",
    "Threshold",
    "input_tokens",
    "monthly_usd",
    "parse_threshold",
]

ChangeKind = Literal[
    "added",
    "removed",
    "renamed",
    "content-changed",
    "model-changed",
    "tokens-changed",
    "volume-changed",
    "price-changed",
    "scenario-changed",
    "now-estimated",
    "no-longer-estimated",
    "unreadable",
]
# Why a file that was a prompt may no longer read (core/textfile.py): it did not leave, its cost
# is unknown. Never "removed", never a resolved budget.
READ_FAILURES = frozenset(
    {"binary", "invalid-utf8", "not-utf8", "too-large", "unreadable", "not-a-file"}
)
# Findings that are about money; shown first as "budgets crossed".
BUDGET_CODES = frozenset(
    {
        "budget-exceeded", "budget-near", "tag-budget-exceeded", "tag-budget-near",
        "tag-budget-unknown", "workspace-budget-exceeded", "workspace-budget-near",
        "workspace-budget-unknown", "per-call-limit",
    }
)  # fmt: skip


@dataclass(frozen=True)
class PromptDiff:
    """One prompt that differs between base and head; `base`/`head` None when absent there."""

    base: PromptResult | None
    head: PromptResult | None
    changes: tuple[ChangeKind, ...]

    @property
    def prompt_id(self) -> str:
        side = self.head or self.base
        assert side is not None  # a diff has at least one side
        return side.prompt_id

    @property
    def base_id(self) -> str | None:
        return self.base.prompt_id if self.base else None

    @property
    def path(self) -> str:
        side = self.head or self.base
        assert side is not None
        return side.prompt.path

    @property
    def base_path(self) -> str | None:
        return self.base.prompt.path if self.base else None

    @property
    def base_monthly_usd(self) -> Decimal | None:
        return monthly_usd(self.base)

    @property
    def head_monthly_usd(self) -> Decimal | None:
        return None if self.unreadable else monthly_usd(self.head)

    @property
    def unreadable(self) -> bool:
        """The head's file is there but cannot be read: its cost is unknown, not gone."""
        return "unreadable" in self.changes

    @property
    def monthly_usd_delta(self) -> Decimal | None:
        """Head minus base per month; None when either side's monthly cost is unknown."""
        base, head = self.base_monthly_usd, self.head_monthly_usd
        return None if base is None or head is None else head - base

    @property
    def input_tokens_delta(self) -> int | None:
        base, head = input_tokens(self.base), None if self.unreadable else input_tokens(self.head)
        return None if base is None or head is None else head - base

    @property
    def impact(self) -> Decimal:
        """How much this change matters, for sorting: |monthly delta|, unknown ones last."""
        delta = self.monthly_usd_delta
        return abs(delta) if delta is not None else Decimal(-1)


@dataclass(frozen=True)
class CostDiff:
    """Base vs head under one scenario: changed prompts, totals and findings new in head.

    `base` and `head` are the complete reports; a diff that answered unchanged prompts from the
    result cache computes them on first use (the totals and findings here never need them)."""

    base_label: str  # e.g. "main (1a2b3c4)"
    head_label: str  # e.g. "working tree" or "HEAD (5d6e7f8)"
    scenario: str
    prompts: tuple[PromptDiff, ...]  # changed prompts, largest monthly impact first
    unchanged: int
    new_issues: tuple[Issue, ...]  # errors and warnings in head that base did not have
    resolved_issues: tuple[Issue, ...]  # errors and warnings of base gone in head
    base_monthly_usd: Decimal  # sum of the prompts whose monthly cost is known
    head_monthly_usd: Decimal
    head_incomplete: int  # head prompts without a monthly cost
    estimated_prompts: int  # prompt estimates this diff computed (both sides)
    cached_prompts: int  # unchanged prompts answered by the result cache
    reports: Callable[[], tuple[Report, Report]] = field(repr=False, compare=False)
    # what the change does to the gate itself: prices, calibration, budgets, rules (core/gate.py)
    gate_changes: tuple[str, ...] = ()
    budget_monthly_usd: Decimal | None = None  # the head manifest's [budgets] monthly_usd

    @functools.cached_property
    def _reports(self) -> tuple[Report, Report]:
        return self.reports()

    @property
    def base(self) -> Report:
        return self._reports[0]

    @property
    def head(self) -> Report:
        return self._reports[1]

    @property
    def monthly_usd_delta(self) -> Decimal:
        return self.head_monthly_usd - self.base_monthly_usd

    @property
    def monthly_pct_delta(self) -> Decimal | None:
        """Change in percent of the base total; None when the base total is zero."""
        if not self.base_monthly_usd:
            return None
        return self.monthly_usd_delta / self.base_monthly_usd * 100

    @property
    def budget_issues(self) -> list[Issue]:
        return [i for i in self.new_issues if i.code in BUDGET_CODES]

    @property
    def unreadable(self) -> list[PromptDiff]:
        """Prompts of the base whose file the head has but cannot read (binary, not UTF-8, too
        large, unreadable): what they cost now is unknown, so no threshold can pass."""
        return [d for d in self.prompts if d.unreadable]

    @property
    def unpriced(self) -> list[PromptDiff]:
        """Changed prompts without a monthly cost on a side they are on (an unknown model, no
        volume, a file that cannot be read): the change in their cost is unknown, never zero,
        so the totals do not say what the change costs and no threshold can pass."""
        return [d for d in self.prompts if d.monthly_usd_delta is None]

    @property
    def priced_delta_usd(self) -> Decimal:
        """The change per month over the prompts priced on both sides: the totals' difference
        when every changed prompt is priced; without the unpriced ones' cost on either side
        otherwise (a prompt switched to an unknown model leaves the head total, not the diff)."""
        return sum((d.monthly_usd_delta or Decimal(0) for d in self.prompts), Decimal(0))


@dataclass(frozen=True)
class Threshold:
    """`--fail-on-increase`: a percentage of the base total or dollars per month."""

    amount: Decimal
    unit: Literal["pct", "usd"]

    def __str__(self) -> str:
        return f"{self.amount}%" if self.unit == "pct" else f"${self.amount}/month"

    def exceeded_by(self, diff: CostDiff) -> bool:
        if diff.unpriced:
            return True  # the increase is unknown, not zero: an unpriced prompt cannot pass
        delta = diff.monthly_usd_delta
        if delta <= 0:
            return False
        if self.unit == "usd":
            return delta > self.amount
        pct = diff.monthly_pct_delta
        return pct is None or pct > self.amount  # from $0 any increase is infinitely many %


def parse_threshold(text: str) -> Threshold:
    """`10%` → 10 percent; `50`, `$50`, `50usd` → 50 dollars per month."""
    raw = text.strip().lower().replace(",", "")
    unit: Literal["pct", "usd"] = "pct" if raw.endswith("%") else "usd"
    number = raw.removesuffix("%").removeprefix("$").removesuffix("usd").strip()
    try:
        amount = Decimal(number)
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0:
        raise InputError(
            f"--fail-on-increase {text!r} is not a percentage or a dollar amount",
            code="usage",
            hint="e.g. --fail-on-increase 10% (of the base total) or --fail-on-increase 50 "
            "(USD per month)",
        )
    return Threshold(amount, unit)


def monthly_usd(side: PromptResult | None) -> Decimal | None:
    """A side's monthly cost: 0 when the prompt is absent there, None when not estimated."""
    if side is None:
        return Decimal(0)
    return side.estimate.monthly_usd if side.estimate else None


def input_tokens(side: PromptResult | None) -> int | None:
    """A side's input tokens per call: 0 when absent there, None when not estimated."""
    if side is None:
        return 0
    return side.estimate.input_tokens.tokens if side.estimate else None
