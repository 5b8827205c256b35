"""Cost diff between two states of a workspace (a base commit and the working tree or a head
commit): per prompt what changed and what it does to tokens and the monthly bill, plus new findings.

Both sides go through the same Workspace/estimate path; they share one TokenCounter, so a text
present on both sides is tokenized once, and the persistent cache answers for the rest.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

from llmcost_lsp.core.check import check_report
from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.estimate import ScenarioTerms
from llmcost_lsp.core.gitobjects import GitRepo
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.prompt_tokens import TokenCounter
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.workspace import ProgressCallback, PromptResult, Report, Workspace

__all__ = [
    "ChangeKind",
    "CostDiff",
    "PromptDiff",
    "Threshold",
    "diff_git",
    "diff_workspaces",
    "load_commit_workspace",
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
]
# Findings that are about money; shown first as "budgets crossed".
BUDGET_CODES = frozenset(
    {
        "budget-exceeded", "budget-near", "tag-budget-exceeded", "tag-budget-near",
        "workspace-budget-exceeded", "workspace-budget-near", "per-call-limit",
    }
)  # fmt: skip
_SUBJECT = re.compile(r"prompt '[^']*'|tag \S+=\S+|all prompts|prompts\.[\w/.-]+")


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
        return _monthly(self.base)

    @property
    def head_monthly_usd(self) -> Decimal | None:
        return _monthly(self.head)

    @property
    def monthly_usd_delta(self) -> Decimal | None:
        """Head minus base per month; None when either side's monthly cost is unknown."""
        base, head = self.base_monthly_usd, self.head_monthly_usd
        return None if base is None or head is None else head - base

    @property
    def input_tokens_delta(self) -> int | None:
        base, head = _tokens(self.base), _tokens(self.head)
        return None if base is None or head is None else head - base

    @property
    def impact(self) -> Decimal:
        """How much this change matters, for sorting: |monthly delta|, unknown ones last."""
        delta = self.monthly_usd_delta
        return abs(delta) if delta is not None else Decimal(-1)


@dataclass(frozen=True)
class CostDiff:
    """Base vs head under one scenario: changed prompts, totals and findings new in head."""

    base_label: str  # e.g. "main (1a2b3c4)"
    head_label: str  # e.g. "working tree" or "HEAD (5d6e7f8)"
    base: Report
    head: Report
    prompts: tuple[PromptDiff, ...]  # changed prompts, largest monthly impact first
    unchanged: int
    new_issues: tuple[Issue, ...]  # errors and warnings in head that base did not have
    resolved_issues: tuple[Issue, ...]  # errors and warnings of base gone in head

    @property
    def scenario(self) -> str:
        return self.head.scenario.name

    @property
    def base_monthly_usd(self) -> Decimal:
        return self.base.monthly_usd

    @property
    def head_monthly_usd(self) -> Decimal:
        return self.head.monthly_usd

    @property
    def monthly_usd_delta(self) -> Decimal:
        return self.head.monthly_usd - self.base.monthly_usd

    @property
    def monthly_pct_delta(self) -> Decimal | None:
        """Change in percent of the base total; None when the base total is zero."""
        if not self.base.monthly_usd:
            return None
        return self.monthly_usd_delta / self.base.monthly_usd * 100

    @property
    def budget_issues(self) -> list[Issue]:
        return [i for i in self.new_issues if i.code in BUDGET_CODES]


@dataclass(frozen=True)
class Threshold:
    """`--fail-on-increase`: a percentage of the base total or dollars per month."""

    amount: Decimal
    unit: Literal["pct", "usd"]

    def __str__(self) -> str:
        return f"{self.amount}%" if self.unit == "pct" else f"${self.amount}/month"

    def exceeded_by(self, diff: CostDiff) -> bool:
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


def _monthly(side: PromptResult | None) -> Decimal | None:
    if side is None:
        return Decimal(0)
    return side.estimate.monthly_usd if side.estimate else None


def _tokens(side: PromptResult | None) -> int | None:
    if side is None:
        return 0
    return side.estimate.input_tokens.tokens if side.estimate else None


def _changes(base: PromptResult, head: PromptResult) -> tuple[ChangeKind, ...]:
    kinds: list[ChangeKind] = []
    if base.prompt.path != head.prompt.path:
        kinds.append("renamed")
    if base.prompt.content_hash != head.prompt.content_hash:
        kinds.append("content-changed")
    b, h = base.estimate, head.estimate
    if b is None or h is None:
        if b is not None:
            kinds.append("no-longer-estimated")
        elif h is not None:
            kinds.append("now-estimated")
        return tuple(kinds)
    if b.model_entry.id != h.model_entry.id:
        kinds.append("model-changed")
    elif b.rates != h.rates:
        kinds.append("price-changed")  # same model, another rate: override, tier or date
    explained = {"content-changed", "model-changed"}.intersection(kinds)
    if not explained and b.input_tokens != h.input_tokens:
        kinds.append("tokens-changed")  # same text and model: variables or samples changed
    if b.monthly_calls != h.monthly_calls or b.effective_output_tokens != h.effective_output_tokens:
        kinds.append("volume-changed")
    if b.scenario != h.scenario:
        kinds.append("scenario-changed")
    return tuple(kinds)


def _pair(base: Report, head: Report) -> list[tuple[PromptResult | None, PromptResult | None]]:
    """Same prompt_id first; then, among the rest, the same content at a new path and id."""
    base_by_id = {r.prompt_id: r for r in base.results}
    head_by_id = {r.prompt_id: r for r in head.results}
    pairs: list[tuple[PromptResult | None, PromptResult | None]] = [
        (base_by_id[i], head_by_id[i]) for i in base_by_id.keys() & head_by_id.keys()
    ]
    removed = [r for i, r in base_by_id.items() if i not in head_by_id]
    added = [r for i, r in head_by_id.items() if i not in base_by_id]
    by_hash: dict[str, list[PromptResult]] = {}
    for result in sorted(removed, key=lambda r: r.prompt.path):
        by_hash.setdefault(result.prompt.content_hash, []).append(result)
    for result in sorted(added, key=lambda r: r.prompt.path):
        candidates = by_hash.get(result.prompt.content_hash)
        if candidates:
            pairs.append((candidates.pop(0), result))
        else:
            pairs.append((None, result))
    pairs += [(r, None) for rs in by_hash.values() for r in rs]
    return pairs


def _issue_key(issue: Issue) -> tuple[str, str]:
    """Identity of a finding across both sides: its code and what it is about (not amounts)."""
    subject = _SUBJECT.search(issue.message)
    return issue.code, subject.group(0) if subject else issue.message


def _new_issues(old: Sequence[Issue], new: Sequence[Issue]) -> tuple[Issue, ...]:
    known = {_issue_key(i) for i in old}
    return tuple(i for i in new if i.severity != "info" and _issue_key(i) not in known)


def _base_report(
    base: Workspace, terms: ScenarioTerms, head: Workspace, head_report: Report
) -> Report:
    same_context = (
        terms == head_report.scenario
        and base.manifest == head.manifest  # values and key positions
        and base.manifest_issues == head.manifest_issues
        and base.root == head.root
    )
    reusable = {r.prompt_id: r for r in head_report.results} if same_context else {}
    results = []
    for prompt in base.prompts:
        known = reusable.get(prompt.id)
        if (
            known is not None
            and known.prompt.path == prompt.path
            and known.prompt.content_hash == prompt.content_hash
            and not _reads_samples(known)
        ):
            results.append(known)
        else:
            results.append(base.result(prompt.id, terms))
    return Report(terms, tuple(results), base.workspace_issues())


def _reads_samples(result: PromptResult) -> bool:
    """Sample files may differ between the sides even when the manifest does not."""
    return result.entry is not None and any(
        v.sample is not None for v in result.entry.variables.values()
    )


def diff_workspaces(
    base: Workspace,
    head: Workspace,
    scenario: str | None = None,
    *,
    base_label: str = "base",
    head_label: str = "working tree",
    today: date | None = None,
) -> CostDiff:
    """Compare two loaded workspaces under one scenario (each side's own manifest defines it).

    Base prompts identical to a head prompt (same id, path, text, manifest and scenario) take
    the head's result instead of being estimated again: same inputs, same estimate."""
    try:
        terms = base.scenario(scenario)
    except InputError as error:
        if error.code != "unknown-scenario":
            raise
        raise InputError(
            f"scenario {scenario!r} is not defined at {base_label}",
            code="unknown-scenario",
            hint="diff compares both sides under one scenario; pick one both manifests define",
        ) from None
    head_report = head.report(scenario)
    base_report = _base_report(base, terms, head, head_report)
    pairs: list[PromptDiff] = []
    unchanged = 0
    for old, new in _pair(base_report, head_report):
        if old is None:
            pairs.append(PromptDiff(None, new, ("added",)))
        elif new is None:
            pairs.append(PromptDiff(old, None, ("removed",)))
        elif kinds := _changes(old, new):
            pairs.append(PromptDiff(old, new, kinds))
        else:
            unchanged += 1
    pairs.sort(key=lambda d: (-d.impact, d.prompt_id))
    base_issues = check_report(base_report, base.manifest, today).issues
    head_issues = check_report(head_report, head.manifest, today).issues
    return CostDiff(
        base_label=base_label,
        head_label=head_label,
        base=base_report,
        head=head_report,
        prompts=tuple(pairs),
        unchanged=unchanged,
        new_issues=_new_issues(base_issues, head_issues),
        resolved_issues=_new_issues(head_issues, base_issues),
    )


def load_commit_workspace(
    repo: GitRepo,
    commit: str,
    root: Path,
    *,
    db: PriceDB,
    counter: TokenCounter,
    settings: Settings | None = None,
    pricing_date: date | None = None,
    progress: ProgressCallback | None = None,
) -> Workspace:
    """The workspace folder `root` as it is in `commit`, read from git objects."""
    workspace = Workspace(
        root,
        db=db,
        settings=settings,
        pricing_date=pricing_date,
        counter=counter,
        tree=repo.listing(commit, root),
    )
    workspace.load(progress)
    return workspace


def diff_git(
    root: Path,
    base_ref: str,
    head_ref: str | None = None,
    scenario: str | None = None,
    *,
    db: PriceDB,
    settings: Settings | None = None,
    use_persistent_cache: bool = True,
    pricing_date: date | None = None,
    progress: ProgressCallback | None = None,
    counter: TokenCounter | None = None,
) -> CostDiff:
    """`base_ref` vs `head_ref` (None: the working tree) for the workspace folder `root`.

    One TokenCounter serves both sides (pass one to share it further, e.g. with a server)."""
    settings = settings or Settings.from_env()
    owned = counter is None
    counter = counter or TokenCounter(settings if use_persistent_cache else None)
    try:
        with GitRepo.containing(root) as repo:

            def at(commit: str) -> Workspace:
                return load_commit_workspace(
                    repo, commit, root, db=db, counter=counter, settings=settings,
                    pricing_date=pricing_date, progress=progress,
                )  # fmt: skip

            base_commit = repo.resolve(base_ref)
            head_commit = repo.resolve(head_ref) if head_ref is not None else None
            base = at(base_commit)
            if head_commit is None:
                head = Workspace(
                    root, db=db, settings=settings, pricing_date=pricing_date, counter=counter
                )
                head.load(progress)
            else:
                head = at(head_commit)
            # reports read variable samples from the commit: still inside the open repository
            return diff_workspaces(
                base,
                head,
                scenario,
                base_label=ref_label(repo, base_ref, base_commit),
                head_label="working tree"
                if head_ref is None or head_commit is None
                else ref_label(repo, head_ref, head_commit),
            )
    finally:
        if owned:
            counter.close()


def ref_label(repo: GitRepo, ref: str, commit: str) -> str:
    """`main (1a2b3c4)`, or the short id alone when the ref is a commit id."""
    short = repo.describe(commit)
    return short if commit.startswith(ref.lower()) else f"{ref} ({short})"
