"""Diagnostics: the shared findings published per file, cleared when fixed, after a debounce.

A refresh runs on the worker after the last change settles; if another change arrived while it
computed, its result belongs to an older document version and is dropped (the newer refresh
publishes). Only files whose diagnostics changed are sent again. Inlay hints are refreshed at
the same moment when the client supports it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from lsprotocol import types

from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.manifest import MANIFEST_FILENAME
from llmcost_lsp.server import actuals
from llmcost_lsp.server.analysis import Findings, analyze
from llmcost_lsp.server.capabilities import refreshes_code_lenses, refreshes_inlay_hints
from llmcost_lsp.server.convert import line_getter, path_to_uri, to_diagnostic
from llmcost_lsp.server.first_run import fold as first_run_fold
from llmcost_lsp.server.lookup import prompt_at
from llmcost_lsp.server.state import Folder, LlmCostServer

log = logging.getLogger(__name__)


def folder_findings(ls: LlmCostServer, folder: Folder) -> Findings | None:
    """Worker-side: the findings of a folder under the selected scenario."""
    if folder.workspace is None:
        return None
    findings = analyze(
        folder.workspace, ls.config.scenario, now=ls.pricing_now(), ci=ls.ci, memo=folder.memo
    )
    # month-to-date actuals off their estimate (editor only: CI has no production ledger)
    drift = actuals.drift_issues(
        folder.workspace, actuals.month_to_date(ls, folder), ls.config.scenario
    )
    return replace(findings, issues=findings.issues + tuple(drift)) if drift else findings


def folder_diagnostics(
    ls: LlmCostServer, folder: Folder, findings: Findings
) -> dict[str, list[types.Diagnostic]]:
    """Worker-side: diagnostics per URI. Findings without a file go on the manifest, if any;
    without one, each file's findings are folded (server/first_run.py)."""
    grouped = findings.by_path()
    loose = grouped.pop(None, [])
    if loose and (folder.root / MANIFEST_FILENAME).is_file():
        grouped.setdefault(MANIFEST_FILENAME, []).extend(loose)
    first_run = not (folder.root / MANIFEST_FILENAME).is_file()
    result: dict[str, list[types.Diagnostic]] = {}
    for rel, issues in grouped.items():
        if rel is None:
            continue
        lines = line_getter(ls.file_text(folder, rel))
        uri = path_to_uri(folder.root / rel)
        made = [to_diagnostic(issue, lines, diagnostic_data(folder, issue)) for issue in issues]
        result[uri] = first_run_fold(made) if first_run else made
    return result


def diagnostic_data(folder: Folder, issue: Issue) -> dict[str, str] | None:
    """What a quick fix needs, put in `Diagnostic.data` when the diagnostic is made (the client
    sends it back with the code action request): the prompt the finding is about, and for an
    unknown model the name as written (features/map_model.py maps it in [models])."""
    workspace = folder.workspace
    if workspace is None:
        return None
    # a finding on the manifest names its prompt file as subject; a mirrored copy is on it
    path, line = (
        (issue.subject, issue.subject_line)
        if issue.subject
        else (issue.location.path, issue.location.line or 1)
    )
    prompt_id = prompt_at(workspace, path, line) if path else None
    if not prompt_id:
        return None
    data = {"promptId": prompt_id}
    named = workspace.named_model(prompt_id) if issue.code == "unknown-model" else None
    return data | {"model": named} if named else data


async def refresh(ls: LlmCostServer, folder: Folder) -> None:
    """Publish the folder's diagnostics now (clearing fixed files) and refresh inlay hints."""
    edits = folder.edits
    findings = await ls.run(folder_findings, ls, folder)
    if findings is None:
        return
    by_uri = await ls.run(folder_diagnostics, ls, folder, findings)
    if folder.edits != edits:
        log.debug("dropping diagnostics computed before a newer change")
        return
    for uri in set(folder.published) - set(by_uri):
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )
    for uri, diagnostics in by_uri.items():
        if folder.published.get(uri) == diagnostics:
            continue  # a keystroke in one prompt must not resend 10,000 files' findings
        version = ls.versions.get(uri)
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )
    folder.published = by_uri
    await refresh_annotations(ls)


async def refresh_annotations(ls: LlmCostServer) -> None:
    """Ask the client to fetch inlay hints and code lenses again (figures changed), when it
    supports it."""
    if refreshes_inlay_hints(ls.client_capabilities):
        try:
            await ls.workspace_inlay_hint_refresh_async(None)
        except Exception as error:  # a client may refuse; hints still come on the next request
            log.debug("inlay hint refresh failed: %s", error)
    if refreshes_code_lenses(ls.client_capabilities):
        try:
            await ls.workspace_code_lens_refresh_async(None)
        except Exception as error:
            log.debug("code lens refresh failed: %s", error)


def schedule_refresh(ls: LlmCostServer, folder: Folder) -> None:
    """Refresh after `debounce_ms` without further changes (a burst of keystrokes: one refresh)."""
    folder.edits += 1
    if folder.refresh_task is not None and not folder.refresh_task.done():
        folder.refresh_task.cancel()

    async def later() -> None:
        await asyncio.sleep(ls.config.debounce_ms / 1000)
        await refresh(ls, folder)

    folder.refresh_task = ls.spawn(later())


def register(ls: LlmCostServer) -> None:
    """Diagnostics are pushed (publishDiagnostics); nothing to register."""
