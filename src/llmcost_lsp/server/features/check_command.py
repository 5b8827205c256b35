"""`llmcost.check`: run the shared check on every folder; return the findings, show a summary."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from llmcost_lsp.present import issue_data, monthly_total, monthly_total_over
from llmcost_lsp.server.features.commands import Command
from llmcost_lsp.server.features.diagnostics import folder_findings, refresh
from llmcost_lsp.server.state import LlmCostServer


async def run(ls: LlmCostServer, args: list[Any]) -> dict[str, Any]:
    folders: list[dict[str, Any]] = []
    errors = warnings = 0
    parts: list[str] = []
    reports = []
    for folder in ls.folders:
        await folder.ready.wait()
        findings = await ls.run(folder_findings, ls, folder)
        if findings is None:
            continue
        await refresh(ls, folder)
        errors += findings.count("error")
        warnings += findings.count("warning")
        report = findings.report
        reports.append(report)
        coverage = findings.coverage
        parts.append(
            f"{monthly_total(report)}/month (scenario {report.scenario.name}); {coverage.line()}"
        )
        folders.append(
            {
                "root": str(folder.root),
                "scenario": report.scenario.name,
                "exitCode": findings.exit_code,
                "monthlyUsd": str(report.monthly_usd),
                "monthlyUnknown": report.monthly_unknown,  # no prompt has one: `?`, not $0
                "monthlyText": monthly_total(report),  # as the editors show it
                "hasManifest": folder.workspace is not None
                and folder.workspace.manifest_path.exists(),
                "issues": [issue_data(i) for i in findings.issues],
                "coverage": coverage.data(),
                "coverageLine": coverage.line(),
                "skipped": [{"path": s.path, "reason": s.reason} for s in coverage.skipped],
            }
        )
    summary = f"llm-cost check: {errors} error(s), {warnings} warning(s)"
    summary += "".join(f" · {part}" for part in parts)
    kind = types.MessageType.Error if errors else types.MessageType.Info
    ls.window_show_message(types.ShowMessageParams(kind, summary))
    return {
        "folders": folders,
        "monthlyText": monthly_total_over(reports),  # every folder's, for a status bar
        "errors": errors,
        "warnings": warnings,
        "summary": summary,
    }


COMMAND = Command("llmcost.check", "llm-cost: check budgets and policy", run)
