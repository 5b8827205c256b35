"""`llmcost-lsp --check [PATH]`: the server's analysis without an editor, for CI and scripts.

The one analysis (core/findings.py `analyze`) that the server publishes as diagnostics and
`llm-cost check` prints, rendered the same way (present/findings.py): one line per finding as
`file:line:col: severity: code: message`, or GitHub annotations, or JSON. Exit codes as
`llm-cost check`: 0 clean, 1 policy violated (warnings too with --strict), 2 broken input,
4 price DB critically stale (outside CI, unless --allow-stale).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.findings import Findings, analyze
from llmcost_lsp.core.manifest import find_manifest_upward
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.present import EXIT_INTERNAL_ERROR, crash_message


def findings_for(
    root: Path,
    scenario: str | None,
    *,
    strict: bool = False,
    allow_stale: bool = False,
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
        allow_stale=allow_stale,
    )


def run_check(
    path: str,
    *,
    fmt: str = "text",
    scenario: str | None = None,
    strict: bool = False,
    allow_stale: bool = False,
    show_info: bool = False,
    show_skipped: bool = False,
    every: bool = False,
    verbose: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    from llmcost_lsp.present.findings import display_base, print_findings

    out = out or sys.stdout
    err = err or sys.stderr
    root = Path(path)
    if not root.is_dir():
        print(f"llmcost-lsp: {path}: not a folder", file=err)
        return 2
    manifest = find_manifest_upward(root)
    if manifest is not None and manifest.parent.resolve() != root.resolve():
        # run from a subfolder: the repository's manifest applies, as for the CLI
        root = manifest.parent
        print(f"llmcost-lsp: using {os.path.relpath(manifest)} (found above)", file=err)
    try:
        findings = findings_for(root, scenario, strict=strict, allow_stale=allow_stale)
    except LlmCostError as error:
        print(f"llmcost-lsp: error: {error}", file=err)
        return error.exit_code
    except Exception as error:  # a bug must not look like a budget breach (exit 1)
        print(crash_message("llmcost-lsp", error, verbose), file=err)
        return EXIT_INTERNAL_ERROR
    return print_findings(
        findings,
        fmt,
        base=display_base(root),
        root=root,
        program="llmcost-lsp",
        out=out,
        err=err,
        show_info=show_info,
        show_skipped=show_skipped,
        every=every,
    )
