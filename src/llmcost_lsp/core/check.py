"""Budgets and policy over a workspace report: every finding is a located Issue with a stable code.

Codes (documented in docs/check.md): budget-exceeded, budget-near, tag-budget-exceeded,
tag-budget-near, tag-budget-unknown, workspace-budget-exceeded, workspace-budget-near,
workspace-budget-unknown, per-call-limit,
forbidden-model, context-overflow, max-tokens-over-limit, output-over-limit, deprecated-model,
tag-cardinality, unknown-volume — plus the workspace's own (manifest, discovery, unknown-model,
unsized-variable …).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from llmcost_lsp.core.errors import Location
from llmcost_lsp.core.estimate import Estimate
from llmcost_lsp.core.issues import Issue, Severity
from llmcost_lsp.core.manifest import MANIFEST_FILENAME, Manifest, format_key_path
from llmcost_lsp.core.numbers import usd
from llmcost_lsp.core.workspace import PromptResult, Report, model_location

NEAR_BUDGET = Decimal("0.8")
TAG_CARDINALITY_LIMIT = 100
# Codes that mean the input itself is broken (exit 2), not that a policy was violated (exit 1).
INPUT_ERROR_CODES = frozenset(
    {"toml-syntax", "schema", "unknown-key", "unknown-scenario", "manifest-error", "input-error"}
)
MANIFEST_READ_CODES = frozenset(
    {"binary", "invalid-utf8", "not-utf8", "too-large", "unreadable", "not-a-file"}
)


@dataclass(frozen=True)
class CheckResult:
    report: Report
    issues: tuple[Issue, ...]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def exit_code(self, *, strict: bool = False) -> int:
        """0 ok, 1 policy violated (warnings too when strict), 2 broken input (a manifest that
        does not parse, or does not read: binary, not UTF-8, too large, unreadable)."""
        if any(
            i.code in INPUT_ERROR_CODES
            or (i.location.path == MANIFEST_FILENAME and i.code in MANIFEST_READ_CODES)
            for i in self.errors
        ):
            return 2
        if self.errors or (strict and self.warnings):
            return 1
        return 0


@dataclass(frozen=True)
class Spend:
    """What the findings over many prompts read: the monthly total and the total per tag value
    (over the prompts whose monthly cost is known), every tag value seen, and how many prompts
    (in all, per tag value) have no monthly cost: there the totals are lower bounds."""

    monthly_usd: Decimal
    by_tag: Mapping[str, Mapping[str, Decimal]]
    tag_values: Mapping[str, frozenset[str]]
    unpriced: int = 0
    unpriced_by_tag: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, prompts: Iterable[tuple[Mapping[str, str], Decimal | None]]) -> Spend:
        """From each prompt's (tags, monthly cost), in report order."""
        total = Decimal(0)
        by_tag: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        values: dict[str, set[str]] = defaultdict(set)
        unpriced = 0
        unpriced_by_tag: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for tags, monthly_usd in prompts:
            if monthly_usd is None:
                unpriced += 1
            else:
                total += monthly_usd
            for key, value in tags.items():
                values[key].add(value)
                if monthly_usd is None:
                    unpriced_by_tag[key][value] += 1
                else:
                    by_tag[key][value] += monthly_usd
        seen = {key: frozenset(found) for key, found in values.items()}
        return cls(total, by_tag, seen, unpriced, unpriced_by_tag)

    @classmethod
    def of_report(cls, report: Report) -> Spend:
        return cls.of(
            (r.tags, r.estimate.monthly_usd if r.estimate else None) for r in report.results
        )


def check_report(
    report: Report,
    manifest: Manifest | None,
    today: date,
    *,
    spend: Spend | None = None,
    memo: FindingsMemo | None = None,
) -> CheckResult:
    """All findings for a report: the workspace's, each prompt's, and the policy's, as of
    `today` (deprecations; the shell passes the settings' clock).

    `spend`: the budgets over many prompts are checked against it instead of the report's own
    results (diff passes the changed prompts as the report, the spend of every prompt).
    `memo`: each prompt's findings from the previous check, reused for the same result objects
    (the language server checks the whole workspace after every edit)."""
    spend = spend or Spend.of_report(report)
    issues: list[Issue] = list(report.issues)
    context = _Context(manifest, today, report.scenario.name)
    if memo is None:
        for result in report.results:
            issues.extend(context.prompt_findings(result))
    else:
        issues.extend(memo.prompt_findings(report.results, context))
    if manifest is not None:
        issues.extend(_tag_budgets(spend, manifest, report.scenario.name))
        issues.extend(_workspace_budget(spend, manifest, report.scenario.name))
    issues.extend(_tag_cardinality(spend, manifest))
    unique = list(dict.fromkeys(issues))
    unique.sort(key=_sort_key)
    return CheckResult(report, tuple(unique))


@dataclass(frozen=True)
class _Context:
    """What a prompt's own findings depend on besides its result."""

    manifest: Manifest | None
    today: date
    scenario: str

    def prompt_findings(self, result: PromptResult) -> tuple[Issue, ...]:
        own = [*result.issues, *_prompt_limits(result, self.manifest, self.today)]
        if self.manifest is not None:
            own += [*_prompt_budget(result, self.manifest, self.scenario)]
            own += [*_forbidden(result, self.manifest)]
        return tuple(_about(result, own))


class FindingsMemo:
    """Each prompt's own findings from the last check, by result object. A Workspace keeps a
    prompt's result object until the prompt, the manifest or the scenario changes, and a new
    manifest is a new object: the same object under the same context has the same findings."""

    def __init__(self) -> None:
        self._context: _Context | None = None
        self._known: dict[int, tuple[PromptResult, tuple[Issue, ...]]] = {}

    def prompt_findings(self, results: Iterable[PromptResult], context: _Context) -> list[Issue]:
        last = self._context
        same = last is not None and last.manifest is context.manifest and last == context
        known = self._known if same else {}
        fresh: dict[int, tuple[PromptResult, tuple[Issue, ...]]] = {}
        found: list[Issue] = []
        for result in results:
            hit = known.get(id(result))
            # the result itself is held in the memo, so its id cannot be reused meanwhile
            own = (
                hit[1] if hit is not None and hit[0] is result else context.prompt_findings(result)
            )
            fresh[id(result)] = (result, own)
            found.extend(own)
        self._context, self._known = context, fresh
        return found


def _sort_key(issue: Issue) -> tuple[int, str, int, int, str]:
    order = {"error": 0, "warning": 1, "info": 2}[issue.severity]
    loc = issue.location
    return (order, loc.path or "", loc.line or 0, loc.column or 0, issue.code)


def _entry_location(result: PromptResult, manifest: Manifest | None, *key: str) -> Location:
    """The manifest line of the prompt's key when it is written there, else the prompt file."""
    if manifest is not None and result.prompt_id in manifest.prompts:
        return manifest.location_of("prompts", result.prompt_id, *key)
    return result.location


def _level(spent: Decimal, budget: Decimal) -> Severity | None:
    if spent > budget:
        return "error"
    if budget > 0 and spent >= budget * NEAR_BUDGET:
        return "warning"
    return None


def _budget_message(
    what: str, spent: Decimal, budget: Decimal, scenario: str, unpriced: int = 0
) -> str:
    """`tag team=search is over budget: $3,200.00/mo is 107% of $3,000.00/mo (scenario x)`;
    with prompts that have no monthly cost the figure is a lower bound and says so."""
    share = f"{spent / budget:.0%}" if budget else "over 100%"
    are = "are" if what == "all prompts" else "is"
    if spent > budget:
        state = f"{are} over budget"
    elif spent >= budget * NEAR_BUDGET:
        state = f"{are} near budget"
    else:
        state = "may be over budget"
    if not unpriced:
        return (
            f"{what} {state}: {usd(spent)}/mo is {share} of {usd(budget)}/mo (scenario {scenario})"
        )
    return (
        f"{what} {state}: at least {usd(spent)}/mo, {share} of {usd(budget)}/mo; "
        f"{_unpriced_text(unpriced)}, so the total is a lower bound (scenario {scenario})"
    )


def _unpriced_text(count: int) -> str:
    return f"{count} prompt{'s have' if count != 1 else ' has'} no monthly cost"


UNPRICED_HINT = (
    "give those prompts a known model and calls_per_month (`llm-cost estimate` lists them)"
)


def _budget_level(spent: Decimal, budget: Decimal, unpriced: int) -> Severity | None:
    """Over or near, or, when prompts in the budget have no monthly cost, a warning: what they
    cost is unknown, so no total can say the budget holds."""
    return _level(spent, budget) or ("warning" if unpriced else None)


def _budget_code(scope: str, spent: Decimal, budget: Decimal, level: Severity) -> str:
    if level == "error":
        return f"{scope}-exceeded"
    return f"{scope}-near" if _level(spent, budget) else f"{scope}-unknown"


def _about(result: PromptResult, issues: list[Issue]) -> Iterator[Issue]:
    """Key the prompt's findings with the prompt (those without a finer key of their own), and
    mark those located in another file (the manifest) with the prompt's file."""
    for issue in issues:
        if not issue.key:
            issue = replace(issue, key=("prompt", result.prompt_id))
        if issue.location.path != result.prompt.path:
            issue = replace(
                issue, subject=result.prompt.path, subject_line=result.parsed.anchor_line
            )
        yield issue


def _prompt_budget(result: PromptResult, manifest: Manifest, scenario: str) -> Iterator[Issue]:
    entry, estimate = result.entry, result.estimate
    if entry is None or entry.budget_monthly_usd is None:
        return
    if estimate is None or estimate.monthly_usd is None:
        return  # unknown volume is reported on its own
    budget = entry.budget_monthly_usd
    level = _level(estimate.monthly_usd, budget)
    if level:
        yield Issue(
            "budget-exceeded" if level == "error" else "budget-near",
            _budget_message(f"prompt {result.prompt_id!r}", estimate.monthly_usd, budget, scenario),
            _entry_location(result, manifest, "budget_monthly_usd"),
            level,
            "a cheaper model may fit: see the code action or `llm-cost estimate --format json`",
        )


def _tag_budgets(spend: Spend, manifest: Manifest, scenario: str) -> Iterator[Issue]:
    for key, budgets in manifest.budgets.tags.items():
        spent = spend.by_tag.get(key, {})
        for value, budget in budgets.items():
            amount = spent.get(value, Decimal(0))
            unpriced = spend.unpriced_by_tag.get(key, {}).get(value, 0)
            level = _budget_level(amount, budget, unpriced)
            if level:
                yield Issue(
                    _budget_code("tag-budget", amount, budget, level),
                    _budget_message(f"tag {key}={value}", amount, budget, scenario, unpriced),
                    manifest.location_of("budgets", "tags", key, value),
                    level,
                    UNPRICED_HINT if unpriced else None,
                    key=("tag", key, value),
                )


def _workspace_budget(spend: Spend, manifest: Manifest, scenario: str) -> Iterator[Issue]:
    budget = manifest.budgets.monthly_usd
    if budget is None:
        return
    level = _budget_level(spend.monthly_usd, budget, spend.unpriced)
    if level:
        yield Issue(
            _budget_code("workspace-budget", spend.monthly_usd, budget, level),
            _budget_message("all prompts", spend.monthly_usd, budget, scenario, spend.unpriced),
            manifest.location_of("budgets", "monthly_usd"),
            level,
            UNPRICED_HINT if spend.unpriced else None,
            key=("workspace",),
        )


def _forbidden(result: PromptResult, manifest: Manifest) -> Iterator[Issue]:
    estimate = result.estimate
    if estimate is None:
        return
    forbidden = {name.strip().lower() for name in manifest.budgets.forbidden_models}
    names = {estimate.model.value.strip().lower(), estimate.model_entry.id.lower()}
    names |= {alias.lower() for alias in estimate.model_entry.aliases}
    if names & forbidden:
        yield Issue(
            "forbidden-model",
            f"prompt {result.prompt_id!r} uses {estimate.model_entry.id}, which "
            f"budgets.forbidden_models forbids",
            _model_location(result, manifest),
            "error",
        )


def _model_location(result: PromptResult, manifest: Manifest | None) -> Location:
    estimate = result.estimate
    if estimate is None:
        return result.location
    return model_location(manifest, result.prompt, result.parsed, estimate.model)


def _prompt_limits(result: PromptResult, manifest: Manifest | None, today: date) -> Iterator[Issue]:
    """Each rule about one priced prompt, in the order docs/check.md lists them."""
    if result.estimate is None:
        return
    for rule in PROMPT_RULES:
        yield from rule(result, result.estimate, manifest, today)


def _pricing_note(
    result: PromptResult, estimate: Estimate, manifest: Manifest | None, today: date
) -> Iterator[Issue]:
    """`pricing-note`: how a price was applied (no cache-write price: billed as input…)."""
    for note in estimate.notes:
        if estimate.per_call_range is not None and "straddles" in note:
            continue  # said as a warning by _tier_uncertain
        yield Issue("pricing-note", note, result.location, "info")


def _tier_uncertain(
    result: PromptResult, estimate: Estimate, manifest: Manifest | None, today: date
) -> Iterator[Issue]:
    """`tier-uncertain`: an approximate count straddles a long-context price tier."""
    if estimate.per_call_range is None:
        return
    straddle = next(note for note in estimate.notes if "straddles" in note)
    yield Issue(
        "tier-uncertain",
        f"prompt {result.prompt_id!r}: {straddle}",
        result.location,
        "warning",
        "an exact count decides the tier: calibrate the tokenizer from your bills "
        "(`llm-cost calibrate`), or keep the prompt clear of the tier",
    )


def _unknown_volume(
    result: PromptResult, estimate: Estimate, manifest: Manifest | None, today: date
) -> Iterator[Issue]:
    """`unknown-volume`: no calls_per_month or output_tokens, so no monthly cost."""
    missing = [
        name
        for name, value in (
            ("calls_per_month", estimate.calls_per_month),
            ("output_tokens", estimate.output_tokens),
        )
        if value is None
    ]
    if missing:
        yield Issue(
            "unknown-volume",
            f"prompt {result.prompt_id!r}: {' and '.join(missing)} unknown, so its monthly "
            f"cost is unknown (input alone: {usd(estimate.input_per_call_usd, per_call=True)}"
            "/call)",
            _entry_location(result, manifest),
            "info",
            f"set them in [{format_key_path(('prompts', result.prompt_id))}] or [defaults] of "
            f"{MANIFEST_FILENAME}",
        )


def _per_call(
    result: PromptResult, estimate: Estimate, manifest: Manifest | None, today: date
) -> Iterator[Issue]:
    """`per-call-limit`: one call costs more than max_cost_per_call_usd."""
    limit = _per_call_limit(result, manifest)
    if limit is not None and estimate.per_call_usd is not None and estimate.per_call_usd > limit[0]:
        yield Issue(
            "per-call-limit",
            f"prompt {result.prompt_id!r} costs {usd(estimate.per_call_usd, per_call=True)} per "
            f"call, over the limit of {usd(limit[0], per_call=True)}",
            limit[1],
            "error",
        )


def _context_overflow(
    result: PromptResult, estimate: Estimate, manifest: Manifest | None, today: date
) -> Iterator[Issue]:
    """`context-overflow`: input and expected output exceed the context window."""
    model = estimate.model_entry
    needed = Decimal(estimate.input_tokens.tokens) + (estimate.effective_output_tokens or 0)
    if model.context_window is not None and needed > model.context_window:
        approx = "" if estimate.input_tokens.is_exact else " (approximate count)"
        yield Issue(
            "context-overflow",
            f"prompt {result.prompt_id!r} needs {needed:,.0f} tokens{approx}, over the "
            f"{model.context_window:,}-token context window of {model.id}",
            result.location,
            "error",
        )


def _max_tokens_over_limit(
    result: PromptResult, estimate: Estimate, manifest: Manifest | None, today: date
) -> Iterator[Issue]:
    """`max-tokens-over-limit`: max_tokens is above the model's maximum output."""
    model = estimate.model_entry
    max_tokens = result.entry.max_tokens if result.entry else None
    if max_tokens is None:
        max_tokens = result.parsed.max_tokens
    limit = model.max_output_tokens
    if max_tokens is not None and limit is not None and max_tokens > limit:
        yield Issue(
            "max-tokens-over-limit",
            f"max_tokens {max_tokens:,} is above {model.id}'s maximum output of "
            f"{model.max_output_tokens:,} tokens",
            _max_tokens_location(result, manifest),
            "error",
        )


def _output_over_limit(
    result: PromptResult, estimate: Estimate, manifest: Manifest | None, today: date
) -> Iterator[Issue]:
    """`output-over-limit`: the expected output is above the model's maximum output."""
    model = estimate.model_entry
    output = estimate.effective_output_tokens or Decimal(0)
    limit = model.max_output_tokens
    if estimate.output_tokens is not None and limit is not None and output > limit:
        where = estimate.output_tokens.key
        yield Issue(
            "output-over-limit",
            f"expected output of {output:,.0f} tokens is above {model.id}'s maximum output of "
            f"{model.max_output_tokens:,}",
            manifest.location_of(*where)
            if where is not None and manifest is not None
            else _entry_location(result, manifest, "output_tokens"),
            "error",
        )


def _deprecated_model(
    result: PromptResult, estimate: Estimate, manifest: Manifest | None, today: date
) -> Iterator[Issue]:
    """`deprecated-model`: the provider deprecates (or deprecated) the model."""
    model = estimate.model_entry
    if model.deprecated_on is not None:
        when = model.deprecated_on
        past = when <= today  # the provider's retirement date: calls fail from then on
        yield Issue(
            "deprecated-model",
            f"{model.id} was retired on {when.isoformat()}: calls to it fail (priced at its "
            "last price)"
            if past
            else f"{model.id} is deprecated: it will be retired on {when.isoformat()}",
            _model_location(result, manifest),
            "warning",
            "choose a current model: `llm-cost pricing list`",
        )


PromptRule = Callable[[PromptResult, Estimate, "Manifest | None", date], Iterator[Issue]]
# one rule per finding code (docs/check.md), in the order their findings are reported
PROMPT_RULES: tuple[PromptRule, ...] = (
    _pricing_note,
    _tier_uncertain,
    _unknown_volume,
    _per_call,
    _context_overflow,
    _max_tokens_over_limit,
    _output_over_limit,
    _deprecated_model,
)


def _per_call_limit(
    result: PromptResult, manifest: Manifest | None
) -> tuple[Decimal, Location] | None:
    if result.entry is not None and result.entry.max_cost_per_call_usd is not None:
        return result.entry.max_cost_per_call_usd, _entry_location(
            result, manifest, "max_cost_per_call_usd"
        )
    if manifest is not None and manifest.budgets.max_cost_per_call_usd is not None:
        return manifest.budgets.max_cost_per_call_usd, manifest.location_of(
            "budgets", "max_cost_per_call_usd"
        )
    return None


def _max_tokens_location(result: PromptResult, manifest: Manifest | None) -> Location:
    if result.entry is not None and result.entry.max_tokens is not None:
        return _entry_location(result, manifest, "max_tokens")
    origin = result.parsed.max_tokens_origin
    return Location(result.prompt.path, origin.line, 1) if origin else result.location


def _tag_cardinality(spend: Spend, manifest: Manifest | None) -> Iterator[Issue]:
    for key, seen in sorted(spend.tag_values.items()):
        if len(seen) > TAG_CARDINALITY_LIMIT:
            where = manifest.location_of("prompts") if manifest else Location(MANIFEST_FILENAME)
            yield Issue(
                "tag-cardinality",
                f"tag {key!r} has {len(seen)} distinct values (over {TAG_CARDINALITY_LIMIT}): "
                "cost reports grouped by it will be unreadable",
                where,
                "warning",
                "use tags for a few stable groups (team, env), not for ids",
                key=("tag", key),
            )
