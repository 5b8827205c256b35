"""Arguments and setup shared by the commands that read a workspace (estimate, check)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from llmcost_lsp.cli.freshness import add_freshness_flags

if TYPE_CHECKING:
    from llmcost_lsp.cli.terminal import Progress
    from llmcost_lsp.core.check import CheckResult
    from llmcost_lsp.core.workspace import Report, Workspace


def add_workspace_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        default=".",
        metavar="PATH",
        help="workspace folder (where llm-cost.toml is, or would be); default: the current one",
    )
    parser.add_argument("--scenario", "-s", help="named scenario from [scenarios.NAME]")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the persistent caches (token counts; in CI, diff's summary)",
    )
    parser.add_argument(
        "--price-date",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="use the prices in effect on this date (default: today), e.g. an announced change",
    )
    add_freshness_flags(parser)


def add_coverage_args(parser: argparse.ArgumentParser) -> None:
    """`--show-skipped` for the commands that end with the coverage line (estimate, check)."""
    parser.add_argument(
        "--show-skipped",
        action="store_true",
        help="list every file that looked like a prompt but was not estimated, and why",
    )


def print_coverage(
    workspace: Workspace, report: Report, show_skipped: bool, file: TextIO, prefix: str = ""
) -> None:
    """The skipped files (with --show-skipped), then the coverage line that ends the output;
    `prefix`: `::notice::` for GitHub's log."""
    from llmcost_lsp.core.coverage import Coverage
    from llmcost_lsp.present import github_data, printable

    # a skipped file's name is repository content: escaped as a workflow command's message
    # (a newline in it must not start a command of its own), or shown printable in a terminal
    shown = github_data if prefix else printable
    coverage = Coverage.of(report, workspace.discovery.skipped)
    if show_skipped:
        for skipped in coverage.skipped:
            print(f"{prefix}{shown(f'skipped {skipped.path}: {skipped.reason}')}", file=file)
    print(f"{prefix}{shown(coverage.line())}", file=file)


def coverage_json(workspace: Workspace, report: Report) -> dict[str, Any]:
    """`coverage` and `skipped` for the JSON outputs."""
    from llmcost_lsp.core.coverage import Coverage

    coverage = Coverage.of(report, workspace.discovery.skipped)
    return {
        "coverage": coverage.data(),
        "skipped": [{"path": s.path, "code": s.code, "reason": s.reason} for s in coverage.skipped],
    }


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-01") from None


def workspace_root(path: str) -> Path:
    """The workspace PATH names: the folder of the nearest llm-cost.toml at or above it (run
    from a subfolder, the repository's manifest applies), else PATH itself (zero-config).
    Says on stderr when the manifest was found above PATH."""
    from llmcost_lsp.core.errors import InputError
    from llmcost_lsp.core.manifest import find_manifest_upward

    root = Path(path)
    if not root.exists():
        raise InputError(f"{path}: no such folder")
    if not root.is_dir():
        raise InputError(
            f"{path} is a file; give the workspace folder",
            hint=f"for one file's tokens: llm-cost tokens {path} --model MODEL",
        )
    manifest = find_manifest_upward(root)
    if manifest is None or manifest.parent.resolve() == root.resolve():
        return root
    print(f"llm-cost: using {shown_path(manifest)} (found above {path})", file=sys.stderr)
    return manifest.parent


def shown_path(path: Path) -> str:
    """`path` relative to the current folder when it is below it, else absolute."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def say_manifest(workspace: Workspace) -> None:
    """Which manifest this run uses, on stderr (stdout stays the report)."""
    if workspace.manifest_path.is_file():
        print(f"llm-cost: manifest {shown_path(workspace.manifest_path)}", file=sys.stderr)
    else:
        print(
            f"llm-cost: no {workspace.manifest_path.name} in {shown_path(workspace.root)} or "
            "above: zero-config (`llm-cost init` writes one)",
            file=sys.stderr,
        )


def open_workspace(
    args: argparse.Namespace,
    *,
    broken_manifest_ok: bool = False,
    freshness: bool = True,
    progress: Progress | None = None,
) -> Workspace:
    """Load the workspace named by PATH, applying the price DB freshness policy first.

    A manifest with errors stops the command (exit 2) after every error is printed: numbers
    computed without the manifest the user wrote would be wrong, not partial. `check` reports
    those errors, and the price DB's age (`freshness=False`), as findings itself
    (`broken_manifest_ok`)."""
    from llmcost_lsp.cli.freshness import apply_freshness
    from llmcost_lsp.core.errors import ManifestError
    from llmcost_lsp.core.pricing.db import load_price_db
    from llmcost_lsp.core.workspace import Workspace
    from llmcost_lsp.present import issue_line

    root = workspace_root(args.path)
    db = load_price_db()
    if freshness:
        apply_freshness(args, db)
    workspace = Workspace(
        root, db=db, use_persistent_cache=not args.no_cache, pricing_date=args.price_date
    )
    workspace.load(progress)
    if progress is not None:
        progress.clear()
    if not getattr(args, "quiet", False):
        say_manifest(workspace)
    errors = [i for i in workspace.manifest_issues if i.severity == "error"]
    if errors and not broken_manifest_ok:
        for issue in workspace.manifest_issues:
            print(issue_line(issue), file=sys.stderr)
        count = len(errors)
        raise ManifestError(
            f"{shown_path(workspace.manifest_path)} has {count} error{'s' * (count != 1)} "
            "(above); "
            "nothing is estimated without it",
            hint="fix them and run again; `llm-cost check` lists them with the other findings",
        )
    return workspace


def remember_for_diff(
    workspace: Workspace, args: argparse.Namespace, checked: CheckResult | None = None
) -> None:
    """In CI, leave the summary of a checkout that is exactly HEAD's for the diffs of pull
    requests based on it (core/diff/git.py); `checked`: the check of the full report, if made."""
    if args.no_cache or not workspace.settings.ci:
        return
    from llmcost_lsp.core.check import check_report
    from llmcost_lsp.core.diff.git import remember_checkout

    checked = checked or check_report(
        workspace.report(args.scenario), workspace.manifest, workspace.settings.today()
    )
    remember_checkout(workspace, args.scenario, checked)
