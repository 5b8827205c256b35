"""`llmcost-lsp --check [PATH]`: the server's analysis without an editor, for CI and scripts.

Prints exactly the findings the server publishes as diagnostics (same `analyze`), one per line
as `file:line:col: severity: code: message`, or GitHub annotations, or JSON. Exit codes as
`llm-cost check`: 0 clean, 1 policy violated (warnings too with --strict), 2 broken input,
4 price DB critically stale (outside CI, unless --allow-stale).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.manifest import find_manifest_upward
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.present import (
    EXIT_INTERNAL_ERROR,
    crash_message,
    github_data,
    issue_line,
    monthly_total,
)
from llmcost_lsp.server.analysis import Findings, analyze

SCHEMA = "llm-cost.lsp-check/1"


def findings_for(
    root: Path,
    scenario: str | None,
    *,
    strict: bool = False,
    now: datetime | None = None,
    ci: bool | None = None,
    use_persistent_cache: bool = True,
) -> Findings:
    from llmcost_lsp.core.workspace import Workspace

    settings = Settings.from_env()
    workspace = Workspace(root, settings=settings, use_persistent_cache=use_persistent_cache)
    workspace.load()
    return analyze(
        workspace,
        scenario,
        now=now or settings.now(),
        ci=settings.ci if ci is None else ci,
        strict=strict,
    )


def _display(base: str, issue: Issue) -> str:
    return _display_path(base, issue.location.path)


def _display_path(base: str, path: str | None) -> str:
    if path is None:
        return base
    return os.path.normpath(os.path.join(base, path)) if base not in ("", ".") else path


def _json(base: str, findings: Findings) -> dict[str, Any]:
    report = findings.check.report
    return {
        "schema": SCHEMA,
        "scenario": report.scenario.name,
        "exit_code": findings.exit_code,
        "monthly_usd": str(report.monthly_usd),
        "issues": [
            {
                "code": i.code,
                "severity": i.severity,
                "message": i.message,
                "hint": i.hint,
                "path": _display(base, i) if i.location.path else None,
                "line": i.location.line,
                "column": i.location.column,
                "end_line": i.location.end_line,
                "end_column": i.location.end_column,
            }
            for i in findings.issues
        ],
        "coverage": findings.coverage.data() if findings.coverage else None,
        "skipped": [
            {"path": _display_path(base, s.path), "code": s.code, "reason": s.reason}
            for s in (findings.coverage.skipped if findings.coverage else ())
        ],
    }


def run_check(
    path: str,
    *,
    fmt: str = "text",
    scenario: str | None = None,
    strict: bool = False,
    allow_stale: bool = False,
    verbose: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    root = Path(path)
    if not root.is_dir():
        print(f"llmcost-lsp: {path}: not a folder", file=err)
        return 2
    manifest = find_manifest_upward(root)
    if manifest is not None and manifest.parent.resolve() != root.resolve():
        # run from a subfolder: the repository's manifest applies, as for the CLI
        root, path = manifest.parent, os.path.relpath(manifest.parent)
        print(f"llmcost-lsp: using {os.path.relpath(manifest)} (found above)", file=err)
    try:
        findings = findings_for(root, scenario, strict=strict)
    except LlmCostError as error:
        print(f"llmcost-lsp: error: {error}", file=err)
        return error.exit_code
    except Exception as error:  # a bug must not look like a budget breach (exit 1)
        print(crash_message("llmcost-lsp", error, verbose), file=err)
        return EXIT_INTERNAL_ERROR
    code = findings.exit_code
    if findings.freshness.level == "error" and not allow_stale:
        print(f"llmcost-lsp: error: {findings.freshness.message}", file=err)
        code = 4
    if fmt == "json":
        data = _json(path, findings)
        data["exit_code"] = code
        print(json.dumps(data, indent=2, ensure_ascii=False), file=out)
        return code
    for issue in findings.issues:
        print(issue_line(issue, fmt, _display(path, issue)), file=out)
    distinct = findings.distinct()
    errors = sum(1 for i in distinct if i.severity == "error")
    warnings = sum(1 for i in distinct if i.severity == "warning")
    report = findings.check.report
    twice = len(findings.issues) - len(distinct)
    summary = (
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        + (f" ({twice} also shown on their prompt file)" if twice else "")
        + f" · {monthly_total(report)}/month (scenario {report.scenario.name})"
    )
    print(summary if fmt == "text" else f"::notice::{github_data(summary)}", file=err)
    if findings.coverage is not None:
        print(findings.coverage.line(), file=err)
    return code
