"""A run's findings for people and machines: the lines, GitHub annotations or JSON document that
`llm-cost check` and `llmcost-lsp --check` print, from the one analysis (core/findings.py).

Lines show paths relative to the current folder (the workspace folder joined with the file), as
ruff does, so a terminal can open them; GitHub annotations take paths relative to the
repository root, where GitHub resolves them, whatever folder the Action checks; JSON keeps
them relative to the workspace folder it names as `root`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO

from llmcost_lsp.core.findings import EXIT_STALE, Findings
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.present import (
    github_data,
    issue_data,
    issue_line,
    monthly_total,
    printable,
    summarise_repeats,
)
from llmcost_lsp.present.style import PLAIN, Style

SCHEMA = "llm-cost.check/2"  # /2: end_line, end_column, about, key; one shape for both shells
FORMATS = ("text", "json", "github")
FORMAT_HELP = (
    "text: one line per finding (file:line:col), repeats folded; json: every finding, "
    f"schema {SCHEMA}; github: workflow annotations for pull requests"
)


def display_base(root: Path) -> str:
    """The workspace folder as a user reaches it: relative to the current folder when it is
    below it (`.`, `services/chat`), else absolute (as ruff shows paths)."""
    absolute = Path(os.path.abspath(root))
    try:
        return absolute.relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return str(absolute)


def shown_path(base: str, path: str | None) -> str | None:
    """A workspace-relative path joined with the workspace folder as shown (`display_base`)."""
    if path is None:
        return None
    return os.path.normpath(os.path.join(base, path)) if base not in ("", ".") else path


def repository_path(root: Path, path: str | None) -> str | None:
    """A workspace-relative path relative to the repository root (the nearest folder above the
    workspace with `.git`), where GitHub resolves annotation paths; the current folder's view
    when there is no repository."""
    if path is None:
        return None
    start = root.resolve()
    top = next((d for d in (start, *start.parents) if (d / ".git").exists()), None)
    if top is None:
        return shown_path(display_base(start), path)
    return (start / path).relative_to(top).as_posix()


def summary(findings: Findings) -> str:
    """`2 errors, 2 warnings · $4,445.40/month (scenario launch)`."""
    errors, warnings = findings.count("error"), findings.count("warning")
    report = findings.report
    return (
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} · "
        f"{monthly_total(report)}/month (scenario {report.scenario.name})"
    )


def findings_data(findings: Findings, base: str) -> dict[str, Any]:
    """The JSON document: every finding (info too), the totals and the coverage. Paths are
    relative to the workspace folder, `root` (as shown: `display_base`)."""
    report = findings.report
    return {
        "schema": SCHEMA,
        "root": base,
        "scenario": report.scenario.name,
        "exit_code": findings.exit_code,
        "monthly_usd": None if report.monthly_unknown else str(report.monthly_usd),
        "issues": [issue_data(i) for i in findings.issues],
        "coverage": findings.coverage.data(),
        "skipped": [
            {"path": s.path, "code": s.code, "reason": s.reason} for s in findings.coverage.skipped
        ],
    }


def print_findings(
    findings: Findings,
    fmt: str,
    *,
    base: str,
    root: Path,
    program: str,
    out: TextIO,
    err: TextIO,
    show_info: bool = False,
    show_skipped: bool = False,
    every: bool = False,
    quiet: bool = False,
) -> int:
    """Print the findings in `fmt` (stdout) and the summary and coverage (stderr); return the
    exit code. `root`: the workspace folder; `base`: as shown (`display_base`). `every`
    (`--all`): no finding folded into a count; `quiet`: no summary or coverage line."""
    code = findings.exit_code
    if code == EXIT_STALE:
        print(f"{program}: error: {findings.freshness.message}", file=err)
    if fmt == "json":
        data = findings_data(findings, base)
        print(json.dumps(data, indent=2, ensure_ascii=False), file=out)
        return code
    shown: list[Issue] = [i for i in findings.issues if show_info or i.severity != "info"]
    notes: list[str] = []
    if fmt == "text" and not every:  # annotations stay one per file: GitHub places each one
        shown, notes = summarise_repeats(shown)
    style = Style.of(out) if fmt == "text" else PLAIN
    for issue in shown:
        where = (
            repository_path(root, issue.location.path)
            if fmt == "github"
            else shown_path(base, issue.location.path) or base
        )
        print(issue_line(issue, fmt, where, style), file=out)
    for note in notes:
        print(note, file=out)
    if quiet:
        return code
    notice = "::notice::" if fmt == "github" else ""
    text = github_data if notice else printable
    print(f"{notice}{text(summary(findings))}", file=err)
    if show_skipped:
        for skipped in findings.coverage.skipped:
            line = f"skipped {shown_path(base, skipped.path)}: {skipped.reason}"
            print(f"{notice}{text(line)}", file=err)
    print(f"{notice}{text(findings.coverage.line())}", file=err)
    return code
