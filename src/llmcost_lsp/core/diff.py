"""Cost diff between two states of a workspace (a base commit and the working tree or a head
commit): per prompt what changed and what it does to tokens and the monthly bill, plus new findings.

Both sides go through the same Workspace/estimate path. A prompt with the same text, path and
effective settings on both sides (its result key, `result_keys`) has the same result on both: it
is estimated once, or not at all when the persistent result cache (core/result_cache.py) knows its
monthly cost and findings. Only the other prompts are parsed and estimated on each side; the
totals and the budgets over many prompts (check.Spend) take every prompt's monthly cost.
`diff_git` (core/git_diff.py) reads the sides from git, and skips even listing the unchanged files
when it knows the base's summary.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

from llmcost_lsp import __version__
from llmcost_lsp.core.check import CheckResult, Spend, check_report
from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.estimate import ScenarioTerms
from llmcost_lsp.core.gate import gate_changes
from llmcost_lsp.core.gitobjects import GitRepo
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.manifest import Manifest, PromptEntry
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.prompt_tokens import TokenCounter
from llmcost_lsp.core.result_cache import ResultCache, ResultSummary
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.tokens import backends
from llmcost_lsp.core.workspace import ProgressCallback, PromptResult, Report, Workspace

__all__ = [
    "ChangeKind",
    "CostDiff",
    "PromptDiff",
    "Threshold",
    "compare_workspaces",
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
        return None if self.unreadable else _monthly(self.head)

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
        base, head = _tokens(self.base), None if self.unreadable else _tokens(self.head)
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


@dataclass(frozen=True)
class Threshold:
    """`--fail-on-increase`: a percentage of the base total or dollars per month."""

    amount: Decimal
    unit: Literal["pct", "usd"]

    def __str__(self) -> str:
        return f"{self.amount}%" if self.unit == "pct" else f"${self.amount}/month"

    def exceeded_by(self, diff: CostDiff) -> bool:
        if diff.unreadable:
            return True  # the increase is unknown: a one-byte change must not pass the gate
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
    if head.prompt.read_error is not None and base.prompt.read_error is None:
        return ("unreadable",)
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


def _new_issues(
    old: Sequence[Issue], new: Sequence[Issue], known: Collection[tuple[str, str]] = ()
) -> tuple[Issue, ...]:
    """Errors and warnings of `new` not in `old`; `known`: keys of findings both sides share."""
    seen = {_issue_key(i) for i in old} | set(known)
    return tuple(i for i in new if i.severity != "info" and _issue_key(i) not in seen)


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
            and not _reads_samples(known.entry)
        ):
            results.append(known)
        else:
            results.append(base.result(prompt.id, terms))
    return Report(terms, tuple(results), base.workspace_issues())


def _reads_samples(entry: PromptEntry | None) -> bool:
    """Sample files may differ between the sides even when the manifest does not."""
    return entry is not None and any(v.sample is not None for v in entry.variables.values())


_RESULT_KEY_VERSION = 2  # bump when a result key's layout changes


@functools.cache
def _code_fingerprint() -> str:
    """A digest of what computes every result: the source of core/, the bundled data (tokenizer
    vocabularies, prices) and the versions of the optional tokenizer packages. A cache filled
    by other code (an action updated without a new version number) is never read. About 10 ms."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    files = [*sorted((package / "core").rglob("*.py")), *sorted((package / "data").rglob("*"))]
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    versions = [(b.package, backends.package_version(b)) for b in backends.BACKENDS.values()]
    digest.update(repr(versions).encode())
    return digest.hexdigest()


def run_context(db: PriceDB, pricing_date: date | None, today: date) -> tuple[object, ...]:
    """What decides every result besides the workspace: this code and its data, the price DB,
    and where the pricing date and today fall among the DB's dates (prices and deprecations
    change only on those dates: a cached result stays valid from one of them to the next)."""
    digest, dates = _db_fingerprint(db)
    pricing_day = pricing_date or today  # as Workspace.price_day
    return (
        _RESULT_KEY_VERSION,
        __version__,
        _code_fingerprint(),
        digest,
        _last_date(dates, pricing_day),
        _last_date(dates, today),
    )


def result_keys(workspace: Workspace, terms: ScenarioTerms, today: date) -> dict[str, str | None]:
    """Per prompt id, a digest of everything that decides its estimate and findings: its text,
    path and id, its manifest entry, the manifest sections every prompt reads, the scenario and
    the run context. Equal keys, equal results. None: no key, because the prompt reads sample
    files (not in the key).

    `<digest>.<overrides digest>`: the manifest's price overrides come last, so that a change
    to them can be narrowed down to the prompts of the models concerned (`_same_results`)."""
    manifest = workspace.manifest
    shared = repr(
        (
            run_context(workspace.db, workspace.pricing_date, today),
            terms,
            None if manifest is None else _shared_sections(manifest),
        )
    ).encode()
    context = hashlib.sha256(shared).hexdigest()
    pricing = None if manifest is None else manifest.pricing
    overrides = hashlib.sha256(repr(pricing).encode()).hexdigest()[:16]
    keys: dict[str, str | None] = {}
    for prompt in workspace.prompts:
        entry = manifest.prompts.get(prompt.id) if manifest else None
        if _reads_samples(entry):
            keys[prompt.id] = None
            continue
        sent = workspace.discovery.code.file_models.get(prompt.path)  # its model, from code
        text = "\0".join(
            (context, prompt.id, prompt.path, prompt.content_hash, repr(entry), repr(sent))
        )
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        keys[prompt.id] = f"{digest}.{overrides}"
    return keys


def _same_results(
    base: Workspace,
    head: Workspace,
    base_keys: Mapping[str, str | None],
    head_keys: Mapping[str, str | None],
) -> list[str]:
    """Ids whose result is the same on both sides: equal keys, or keys that differ only in the
    price overrides while the override for the prompt's own model is the same (or none)."""
    same = []
    for prompt_id, key in head_keys.items():
        other = base_keys.get(prompt_id)
        if key is None or other is None:
            continue
        if key == other:
            same.append(prompt_id)
        elif key.partition(".")[0] == other.partition(".")[0]:
            model = head.model_entry(prompt_id)
            if model is None or base.overrides_for(model) == head.overrides_for(model):
                same.append(prompt_id)
    return same


def _shared_sections(manifest: Manifest) -> tuple[object, ...]:
    """The parts of a manifest that apply to every prompt's estimate and per-prompt findings."""
    budgets = manifest.budgets
    return (
        manifest.defaults,
        manifest.calibration,
        budgets.max_cost_per_call_usd,
        budgets.forbidden_models,
    )


_DB_FINGERPRINTS: weakref.WeakKeyDictionary[PriceDB, tuple[str, tuple[date, ...]]] = (
    weakref.WeakKeyDictionary()
)


def _db_fingerprint(db: PriceDB) -> tuple[str, tuple[date, ...]]:
    """A digest of the DB's content, and every date on which one of its prices or deprecations
    takes effect (sorted)."""
    known = _DB_FINGERPRINTS.get(db)
    if known is None:
        digest = hashlib.sha256(db.document.model_dump_json().encode()).hexdigest()
        dates = {prices.effective_from for model in db.models() for prices in model.history}
        dates |= {model.deprecated_on for model in db.models() if model.deprecated_on}
        known = _DB_FINGERPRINTS[db] = (digest, tuple(sorted(dates)))
    return known


def _last_date(dates: Sequence[date], day: date) -> date | None:
    return dates[bisect.bisect_right(dates, day) - 1] if dates and dates[0] <= day else None


def _summaries(
    results: Iterable[PromptResult], issues: Iterable[Issue]
) -> dict[str, ResultSummary]:
    """Per prompt id, its monthly cost and the keys of the findings about it (located in its
    file, or naming it as their subject)."""
    every = list(results)
    by_path: dict[str, list[PromptResult]] = {}
    for result in every:
        by_path.setdefault(result.prompt.path, []).append(result)
    keys: dict[str, list[tuple[str, str]]] = {r.prompt_id: [] for r in every}
    for issue in issues:
        owner = _owner(by_path.get(issue.subject or issue.location.path or "", []), issue)
        if owner is not None:
            keys[owner.prompt_id].append(_issue_key(issue))
    return {
        r.prompt_id: ResultSummary(_monthly(r), tuple(dict.fromkeys(keys[r.prompt_id])))
        for r in every
    }


def _owner(candidates: list[PromptResult], issue: Issue) -> PromptResult | None:
    """The prompt a finding in its file is about; a source file holds one per call, told
    apart by the call's line."""
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    line = issue.subject_line if issue.subject else issue.location.line
    return next((r for r in candidates if r.parsed.anchor_line == line), None)


@dataclass(frozen=True)
class Side:
    """One side as the end of a diff needs it: every prompt id in report order, the results
    estimated on this side; the others' summaries come from elsewhere (cache, other side)."""

    workspace: Workspace  # its manifest and its own findings
    terms: ScenarioTerms
    prompt_ids: Sequence[str]
    results: Mapping[str, PromptResult]

    def spend(self, summaries: Mapping[str, ResultSummary]) -> tuple[Spend, int]:
        """The spend of every prompt and how many have no monthly cost."""
        manifest = self.workspace.manifest
        prompts: list[tuple[Mapping[str, str], Decimal | None]] = []
        for prompt_id in self.prompt_ids:
            result = self.results.get(prompt_id)
            if result is not None:
                prompts.append((result.tags, _monthly(result)))
            else:
                entry = manifest.prompts.get(prompt_id) if manifest else None
                prompts.append((entry.tags if entry else {}, summaries[prompt_id].monthly_usd))
        return Spend.of(prompts), sum(1 for _, monthly in prompts if monthly is None)

    def check(self, spend: Spend, today: date) -> CheckResult:
        """The estimated prompts' own findings, the workspace's, and the budgets over every
        prompt (from `spend`)."""
        report = Report(self.terms, tuple(self.results.values()), self.workspace.workspace_issues())
        return check_report(report, self.workspace.manifest, today, spend=spend)

    def summaries(self, checked: CheckResult) -> dict[str, ResultSummary]:
        """The summaries of the prompts estimated on this side, from their check."""
        own = set(self.workspace.workspace_issues())  # not about one prompt, even in its file
        prompt_issues = [i for i in checked.issues if i not in own]
        return _summaries(checked.report.results, prompt_issues)


@dataclass(frozen=True)
class Comparison:
    """A diff and, per side, every prompt's summary: what the caches keep for the next one."""

    diff: CostDiff
    base_summaries: Mapping[str, ResultSummary]
    head_summaries: Mapping[str, ResultSummary]
    base_keys: Mapping[str, str | None]  # result keys of the prompts loaded on each side
    head_keys: Mapping[str, str | None]

    def cache_results(
        self, cache: ResultCache, base_ids: Iterable[str], head_ids: Iterable[str]
    ) -> None:
        """Put the summaries of these prompts (computed by this diff) in the result cache."""
        rows = [(self.base_keys[i], self.base_summaries[i]) for i in base_ids]
        rows += [(self.head_keys[i], self.head_summaries[i]) for i in head_ids]
        cache.put_many((key, summary) for key, summary in rows if key is not None)


def finish(
    base: Side,
    head: Side,
    summaries: Mapping[str, ResultSummary],
    *,
    today: date,
    labels: tuple[str, str],
    keys: tuple[Mapping[str, str | None], Mapping[str, str | None]],
    estimated: int,
    cached: int,
    reports: Callable[[], tuple[Report, Report]],
) -> Comparison:
    """The diff of two sides whose unestimated prompts (`summaries`) are the same on both."""
    base_spend, _ = base.spend(summaries)
    head_spend, head_incomplete = head.spend(summaries)
    base_check, head_check = base.check(base_spend, today), head.check(head_spend, today)
    # findings of unchanged prompts are the same on both sides: never new, never resolved
    known = {key for i in base.prompt_ids if i not in base.results for key in
             summaries[i].finding_keys}  # fmt: skip
    failed = {skip.path for skip in head.workspace.discovery.skipped if skip.code in READ_FAILURES}
    pairs, unchanged = _prompt_diffs(base_check.report, head_check.report, failed)
    resolved = _new_issues(head_check.issues, base_check.issues, known)
    if any(d.unreadable for d in pairs):  # unknown is not resolved
        gone = {f"prompt '{d.prompt_id}'" for d in pairs if d.unreadable}
        resolved = tuple(
            i for i in resolved if i.code not in BUDGET_CODES and _issue_key(i)[1] not in gone
        )
    diff = CostDiff(
        base_label=labels[0],
        head_label=labels[1],
        scenario=head.terms.name,
        prompts=tuple(pairs),
        unchanged=len(base.prompt_ids) - len(base.results) + unchanged,
        new_issues=_new_issues(base_check.issues, head_check.issues, known),
        resolved_issues=resolved,
        base_monthly_usd=base_spend.monthly_usd,
        head_monthly_usd=head_spend.monthly_usd,
        head_incomplete=head_incomplete,
        estimated_prompts=estimated,
        cached_prompts=cached,
        reports=reports,
        gate_changes=tuple(
            gate_changes(
                base.workspace.manifest,
                head.workspace.manifest,
                head.workspace.db,
                head.workspace.pricing_date or today,
            )
        ),
    )
    return Comparison(
        diff,
        {**summaries, **base.summaries(base_check)},
        {**summaries, **head.summaries(head_check)},
        *keys,
    )


def _cached(
    cache: ResultCache,
    prompt_ids: Sequence[str],
    base_keys: Mapping[str, str | None],
    head_keys: Mapping[str, str | None],
) -> dict[str, ResultSummary]:
    """The summaries the cache holds for these prompts (under either side's key)."""
    wanted = [key for i in prompt_ids for key in (head_keys[i], base_keys[i]) if key is not None]
    found = cache.get_many(list(dict.fromkeys(wanted)))
    summaries = {}
    for prompt_id in prompt_ids:
        summary = found.get(head_keys[prompt_id] or "") or found.get(base_keys[prompt_id] or "")
        if summary is not None:
            summaries[prompt_id] = summary
    return summaries


def _prompt_diffs(
    base: Report, head: Report, unreadable: Collection[str] = ()
) -> tuple[list[PromptDiff], int]:
    """The prompts that differ, largest monthly impact first, and how many pairs do not.
    `unreadable`: head paths that were skipped because they do not read as text."""
    diffs: list[PromptDiff] = []
    unchanged = 0
    for old, new in _pair(base, head):
        if old is None:
            diffs.append(PromptDiff(None, new, ("added",)))
        elif new is None:
            gone: ChangeKind = "unreadable" if old.prompt.path in unreadable else "removed"
            diffs.append(PromptDiff(old, None, (gone,)))
        elif kinds := _changes(old, new):
            diffs.append(PromptDiff(old, new, kinds))
        else:
            unchanged += 1
    diffs.sort(key=lambda d: (-d.impact, d.prompt_id))
    return diffs, unchanged


def scenario_terms(
    base: Workspace, head: Workspace, scenario: str | None, base_label: str
) -> tuple[ScenarioTerms, ScenarioTerms]:
    """The scenario's terms on each side; it must be defined on both."""
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
    return terms, head.scenario(scenario)


def compare_workspaces(
    base: Workspace,
    head: Workspace,
    scenario: str | None = None,
    *,
    base_label: str = "base",
    head_label: str = "working tree",
    today: date | None = None,
    cache: ResultCache | None = None,
) -> Comparison:
    """Compare two loaded workspaces under one scenario (each side's own manifest defines it):
    the diff, and every prompt's summary on each side.

    A prompt whose result key is the same on both sides is estimated once (on the head), or
    taken from `cache`; every other prompt is estimated on each side it is on. Workspaces may be
    loaded with `parse=False`: only what is estimated gets parsed."""
    today = today or head.settings.today()
    terms, head_terms = scenario_terms(base, head, scenario, base_label)
    base_keys, head_keys = result_keys(base, terms, today), result_keys(head, head_terms, today)
    same = _same_results(base, head, base_keys, head_keys)
    same_ids = set(same)
    summaries = _cached(cache, same, base_keys, head_keys) if cache is not None else {}
    missing = [i for i in same if i not in summaries]
    base_ids = [p.id for p in base.prompts if p.id not in same_ids]
    head_ids = [p.id for p in head.prompts if p.id not in same_ids]
    head.prefetch([*head_ids, *missing])
    base.prefetch(base_ids)
    shared = Side(head, head_terms, missing, {i: head.result(i, head_terms) for i in missing})
    # their findings over many prompts are checked below, per side
    summaries |= shared.summaries(shared.check(Spend.of(()), today))

    def full_reports() -> tuple[Report, Report]:
        head_report = head.report(scenario)
        return _base_report(base, terms, head, head_report), head_report

    base_side = Side(base, terms, [p.id for p in base.prompts],
                     {i: base.result(i, terms) for i in base_ids})  # fmt: skip
    head_side = Side(head, head_terms, [p.id for p in head.prompts],
                     {i: head.result(i, head_terms) for i in head_ids})  # fmt: skip
    comparison = finish(
        base_side,
        head_side,
        summaries,
        today=today,
        labels=(base_label, head_label),
        keys=(base_keys, head_keys),
        estimated=len(base_ids) + len(head_ids) + len(missing),
        cached=len(same) - len(missing),
        reports=full_reports,
    )  # fmt: skip
    if cache is not None:
        comparison.cache_results(cache, [*base_ids, *missing], [*head_ids, *missing])
    return comparison


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
    parse: bool = True,
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
    workspace.load(progress, parse=parse)
    return workspace


def ref_label(repo: GitRepo, ref: str, commit: str) -> str:
    """`main (1a2b3c4)`, or the short id alone when the ref is a commit id."""
    short = repo.describe(commit)
    return short if commit.startswith(ref.lower()) else f"{ref} ({short})"
