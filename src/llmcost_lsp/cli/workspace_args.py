"""Arguments and setup shared by the commands that read a workspace (estimate, check)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from llmcost_lsp.cli.freshness import add_freshness_flags

if TYPE_CHECKING:
    from llmcost_lsp.core.check import CheckResult
    from llmcost_lsp.core.workspace import Workspace


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


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-01") from None


def open_workspace(args: argparse.Namespace) -> Workspace:
    """Load the workspace named by PATH, applying the price DB freshness policy first."""
    from llmcost_lsp.cli.freshness import apply_freshness
    from llmcost_lsp.core.errors import InputError
    from llmcost_lsp.core.pricing.db import load_price_db
    from llmcost_lsp.core.workspace import Workspace

    root = Path(args.path)
    if not root.exists():
        raise InputError(f"{args.path}: no such folder")
    if not root.is_dir():
        raise InputError(
            f"{args.path} is a file; give the workspace folder",
            hint=f"for one file's tokens: llm-cost tokens {args.path} --model MODEL",
        )
    db = load_price_db()
    apply_freshness(args, db)
    workspace = Workspace(
        root, db=db, use_persistent_cache=not args.no_cache, pricing_date=args.price_date
    )
    workspace.load()
    return workspace


def remember_for_diff(
    workspace: Workspace, args: argparse.Namespace, checked: CheckResult | None = None
) -> None:
    """In CI, leave the summary of a checkout that is exactly HEAD's for the diffs of pull
    requests based on it (core/git_diff.py); `checked`: the check of the full report, if made."""
    if args.no_cache or not workspace.settings.ci:
        return
    from llmcost_lsp.core.check import check_report
    from llmcost_lsp.core.git_diff import remember_checkout

    checked = checked or check_report(
        workspace.report(args.scenario), workspace.manifest, workspace.settings.today()
    )
    remember_checkout(workspace, args.scenario, checked)
