"""The comparison: two states of a workspace (a base commit and the working tree or a head
commit), prompt by prompt: what changed, what it does to tokens and the monthly bill, and which
findings are new or resolved.

Both sides go through the same Workspace/estimate path. A prompt with the same text, path and
effective settings on both sides (its result key, keys.py) has the same result on both: it is
estimated once, or not at all when the persistent result cache (caches.py) knows its monthly cost
and findings. Only the other prompts are parsed and estimated on each side; the totals and the
budgets over many prompts (check.Spend) take every prompt's monthly cost. `diff_git` (git.py)
reads the sides from git, and skips even listing the unchanged files when it knows the base's
summary.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from llmcost_lsp.core.check import CheckResult, Spend, check_report
from llmcost_lsp.core.diff.caches import ResultCache, ResultSummary
from llmcost_lsp.core.diff.keys import reads_samples, result_keys, same_results
from llmcost_lsp.core.diff.model import (
    BUDGET_CODES,
    READ_FAILURES,
    ChangeKind,
    CostDiff,
    PromptDiff,
    monthly_usd,
)
from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.estimate import ScenarioTerms
from llmcost_lsp.core.gate import gate_changes
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.workspace import PromptResult, Report, Workspace

__all__ = ["Comparison", "Side", "compare_workspaces", "finish", "scenario_terms"]


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


def _issue_key(issue: Issue) -> tuple[str, ...]:
    """Identity of a finding across both sides: its code and what it is about (`Issue.key`,
    set where the finding is made: never its amounts, never its wording); a finding without a
    key is identified by its code, file and message."""
    if issue.key:
        return (issue.code, *issue.key)
    return issue.code, issue.location.path or "", issue.message


def _subject_key(issue: Issue) -> tuple[str, ...]:
    """A finding's identity whatever its level: `budget-near`, `budget-exceeded` and
    `budget-unknown` of one budget are that budget at three levels."""
    code, *rest = _issue_key(issue)
    for level in ("-near", "-exceeded", "-unknown"):
        code = code.removesuffix(level)
    return (code, *rest)


def _new_issues(
    old: Sequence[Issue], new: Sequence[Issue], known: Collection[tuple[str, ...]] = ()
) -> tuple[Issue, ...]:
    """Errors and warnings of `new` not in `old`; `known`: keys of findings both sides share."""
    seen = {_issue_key(i) for i in old} | set(known)
    return tuple(i for i in new if i.severity != "info" and _issue_key(i) not in seen)


def _resolved_issues(
    old: Sequence[Issue], new: Sequence[Issue], known: Collection[tuple[str, ...]] = ()
) -> tuple[Issue, ...]:
    """Errors and warnings of `old` gone in `new`; a budget that went from near to exceeded is
    not resolved (the exceeded one is new)."""
    still = {_subject_key(i) for i in new}
    return tuple(i for i in _new_issues(new, old, known) if _subject_key(i) not in still)


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
            and not reads_samples(known.entry)
        ):
            results.append(known)
        else:
            results.append(base.result(prompt.id, terms))
    return Report(terms, tuple(results), base.workspace_issues())


def _summaries(
    results: Iterable[PromptResult], issues: Iterable[Issue]
) -> dict[str, ResultSummary]:
    """Per prompt id, its monthly cost and the keys of the findings about it (located in its
    file, or naming it as their subject)."""
    every = list(results)
    by_path: dict[str, list[PromptResult]] = {}
    for result in every:
        by_path.setdefault(result.prompt.path, []).append(result)
    keys: dict[str, list[tuple[str, ...]]] = {r.prompt_id: [] for r in every}
    for issue in issues:
        owner = _owner(by_path.get(issue.subject or issue.location.path or "", []), issue)
        if owner is not None:
            keys[owner.prompt_id].append(_issue_key(issue))
    return {
        r.prompt_id: ResultSummary(monthly_usd(r), tuple(dict.fromkeys(keys[r.prompt_id])))
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
                prompts.append((result.tags, monthly_usd(result)))
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
    resolved = _resolved_issues(base_check.issues, head_check.issues, known)
    if any(d.unreadable for d in pairs):  # unknown is not resolved
        gone = {d.prompt_id for d in pairs if d.unreadable}
        resolved = tuple(
            i
            for i in resolved
            if i.code not in BUDGET_CODES and not (i.key[:1] == ("prompt",) and i.key[1] in gone)
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
        budget_monthly_usd=manifest.budgets.monthly_usd
        if (manifest := head.workspace.manifest) is not None
        else None,
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
    same = same_results(base, head, base_keys, head_keys)
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
