"""A workspace's findings: the one analysis behind `llm-cost check`, `llmcost-lsp --check` and
the diagnostics the language server publishes, so the terminal, CI and the editor cannot disagree.

`analyze` runs the shared check (`check_report`) under a scenario, then adds what a whole run
knows besides the prompts: an unknown scenario (a located finding on the manifest, the baseline
estimated instead), the files skipped (info, so an editor can say why a file has no hint) and the
price DB's age and the installed update's health. Each finding is in `issues` once; an editor
also shows a finding about a prompt on that prompt's file (`published`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from llmcost_lsp.core.check import CheckResult, FindingsMemo, check_report
from llmcost_lsp.core.coverage import Coverage
from llmcost_lsp.core.errors import LlmCostError, Location
from llmcost_lsp.core.estimate import ScenarioTerms
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.manifest import MANIFEST_FILENAME
from llmcost_lsp.core.pricing.freshness import Freshness, assess_freshness
from llmcost_lsp.core.pricing.store import selection_for
from llmcost_lsp.core.workspace import Report, Workspace

EXIT_STALE = 4  # the price DB is critically old outside CI (docs/check.md)


@dataclass(frozen=True)
class Findings:
    """Every finding of a workspace under one scenario (each once), and the run's exit code."""

    check: CheckResult
    issues: tuple[Issue, ...]
    freshness: Freshness
    exit_code: int
    coverage: Coverage  # prompts found, estimated, and the files skipped

    @property
    def report(self) -> Report:
        return self.check.report

    def count(self, severity: str) -> int:
        return sum(1 for issue in self.issues if issue.severity == severity)

    def published(self) -> tuple[Issue, ...]:
        """What an editor shows: every finding, and a finding about a prompt that is written
        elsewhere (a budget line of the manifest) on the prompt's file too."""
        copies = [
            replace(issue, location=Location(issue.subject, issue.subject_line, 1), subject=None)
            for issue in self.issues
            if issue.subject and issue.severity != "info"
        ]
        return tuple(dict.fromkeys((*self.issues, *copies)))

    def by_path(self) -> dict[str | None, list[Issue]]:
        """The published findings per file (relative path as the core writes it; None: none)."""
        grouped: dict[str | None, list[Issue]] = defaultdict(list)
        for issue in self.published():
            grouped[issue.location.path].append(issue)
        return dict(grouped)


def resolve_scenario(workspace: Workspace, name: str | None) -> tuple[ScenarioTerms, list[Issue]]:
    """The scenario's terms; an unknown name is an error on the manifest and falls back."""
    try:
        return workspace.scenario(name), []
    except LlmCostError as error:
        where = error.location or (
            workspace.manifest.location_of("scenarios")
            if workspace.manifest
            else Location(MANIFEST_FILENAME, 1, 1)
        )
        issue = Issue(error.code, error.message, where, "error", error.hint, key=("scenarios",))
        return workspace.scenario(None), [issue]


def pricing_issues(workspace: Workspace, freshness: Freshness) -> list[Issue]:
    """The price DB's age and a broken installed update, as warnings on the manifest."""
    where = Location(MANIFEST_FILENAME, 1, 1)
    if not workspace.manifest_path.is_file():
        where = Location(None)
    issues: list[Issue] = []
    selection = selection_for(workspace.db)
    for warning in selection.warnings if selection else ():
        issues.append(Issue("pricing-store", warning, where, "warning", key=("price-db",)))
    if freshness.level != "fresh":
        issues.append(
            Issue(
                "pricing-stale",
                freshness.message,
                where,
                "warning",
                key=("price-db",),
            )
        )
    return issues


def analyze(
    workspace: Workspace,
    scenario: str | None,
    *,
    now: datetime,
    ci: bool,
    strict: bool = False,
    allow_stale: bool = False,
    memo: FindingsMemo | None = None,
) -> Findings:
    """Every finding of a loaded workspace under `scenario` (None: its default), as of `now`
    (the settings' clock). `ci`/`strict`/`allow_stale`: the price DB's age policy (an editor
    passes none: it never blocks on age). `memo`: the server's, so that a refresh after an edit
    re-checks only what changed."""
    terms, scenario_issues = resolve_scenario(workspace, scenario)
    report = workspace.report(terms.name if not scenario_issues else None)
    check = check_report(report, workspace.manifest, now.date(), memo=memo)
    freshness = assess_freshness(
        workspace.db.updated_at,
        now,
        ci=ci,
        strict=strict,
        allow_stale=allow_stale,
        acknowledged_until=workspace.settings.stale_ok_until,
    )
    skipped = [
        Issue(
            skip.code,
            f"not estimated: {skip.reason}",
            Location(skip.path, 1, 1),
            "info",
            key=("file", skip.path),
        )
        for skip in workspace.discovery.skipped
    ]  # so an editor can say why a file has no hint
    said = {(i.code, i.location, i.message) for i in check.issues}
    # a scenario that does not load because the manifest does not: that error is said already
    told = [i for i in scenario_issues if (i.code, i.location, i.message) not in said]
    issues = (*told, *check.issues, *skipped, *pricing_issues(workspace, freshness))
    code = 2 if scenario_issues else check.exit_code(strict=strict)
    if freshness.level == "error" and code != 2:
        code = EXIT_STALE
    coverage = Coverage.of(check.report, workspace.discovery.skipped)
    return Findings(check, tuple(dict.fromkeys(issues)), freshness, code, coverage)
