"""A workspace's findings, as the server publishes them and `llmcost-lsp --check` prints them.

One function for both, so the editor and CI cannot disagree: the shared check (`check_report`),
plus the price DB's age and the installed update's health, which never block in an editor.
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
from llmcost_lsp.core.pricing.freshness import Freshness, assess_freshness, remedies
from llmcost_lsp.core.pricing.store import selection_for
from llmcost_lsp.core.workspace import Workspace


@dataclass(frozen=True)
class Findings:
    """Every finding of a workspace under one scenario, and the check's exit code."""

    check: CheckResult
    issues: tuple[Issue, ...]
    freshness: Freshness
    exit_code: int
    mirrored: frozenset[Issue] = frozenset()  # copies shown on the prompt file as well
    coverage: Coverage | None = None  # prompts found, estimated, and the files skipped

    def distinct(self) -> list[Issue]:
        """The findings once each: without the copies on prompt files (for counts)."""
        return [issue for issue in self.issues if issue not in self.mirrored]

    def by_path(self) -> dict[str | None, list[Issue]]:
        """Issues per file (relative path as the core writes it; None: no file)."""
        grouped: dict[str | None, list[Issue]] = defaultdict(list)
        for issue in self.issues:
            grouped[issue.location.path].append(issue)
        return dict(grouped)


def resolve_scenario(workspace: Workspace, name: str | None) -> tuple[ScenarioTerms, list[Issue]]:
    """The scenario's terms; an unknown name is an error on the manifest and falls back."""
    try:
        return workspace.scenario(name), []
    except LlmCostError as error:
        where = (
            workspace.manifest.location_of("scenarios")
            if workspace.manifest
            else Location(MANIFEST_FILENAME, 1, 1)
        )
        issue = Issue(error.code, error.message, where, "error", error.hint)
        return workspace.scenario(None), [issue]


def pricing_issues(workspace: Workspace, freshness: Freshness) -> list[Issue]:
    """The price DB's age and a broken installed update, as warnings on the manifest."""
    where = Location(
        MANIFEST_FILENAME if workspace.manifest_path.is_file() else None,
        1 if workspace.manifest_path.is_file() else None,
        1 if workspace.manifest_path.is_file() else None,
    )
    issues: list[Issue] = []
    selection = selection_for(workspace.db)
    for warning in selection.warnings if selection else ():
        issues.append(Issue("pricing-store", warning, where, "warning"))
    if freshness.level != "fresh":
        issues.append(
            Issue(
                "pricing-stale",
                freshness.message,
                where,
                "warning",
                remedies(for_one_run=False),
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
    memo: FindingsMemo | None = None,
) -> Findings:
    """Run the shared check and add the price DB findings; the editor never blocks on age.
    `memo`: the server's, so that a refresh after an edit re-checks only what changed."""
    terms, scenario_issues = resolve_scenario(workspace, scenario)
    report = workspace.report(terms.name if not scenario_issues else None)
    check = check_report(report, workspace.manifest, now.date(), memo=memo)
    freshness = assess_freshness(
        workspace.db.updated_at,
        now,
        ci=ci,
        strict=strict,
        acknowledged_until=workspace.settings.stale_ok_until,
    )
    skipped = [
        Issue(skip.code, f"not estimated: {skip.reason}", Location(skip.path, 1, 1), "info")
        for skip in workspace.discovery.skipped
    ]  # so an editor can say why a file has no hint
    mirrored = [
        replace(issue, location=Location(issue.subject, issue.subject_line, 1), subject=None)
        for issue in check.issues
        if issue.subject and issue.severity != "info"
    ]  # a budget breach written on the manifest shows on the prompt file too
    issues = (
        *scenario_issues,
        *check.issues,
        *mirrored,
        *skipped,
        *pricing_issues(workspace, freshness),
    )
    unique = tuple(dict.fromkeys(issues))
    code = 2 if scenario_issues else check.exit_code(strict=strict)
    coverage = Coverage.of(check.report, workspace.discovery.skipped)
    return Findings(check, unique, freshness, code, frozenset(mirrored), coverage)
