"""`llm-cost diff --base REF`: what a change does to the monthly bill, per prompt and in total.

Every format (text, JSON, the markdown of a PR comment, also what the editor's `llmcost.diff`
shows) is rendered by llmcost_lsp/present/diff.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from llmcost_lsp.cli.terminal import add_format_arg, add_output_arg
from llmcost_lsp.cli.workspace_args import add_workspace_args, workspace_root


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="cost difference between a git base and the working tree (or another commit)",
        description="Estimate PATH at the git commit BASE (read from git objects, no checkout) "
        "and in the working tree (or at --head), and show what changed per prompt and in total. "
        "Exit 1 when --fail-on-increase is exceeded.",
    )
    add_workspace_args(parser)
    parser.add_argument(
        "--base", required=True, metavar="REF", help="git ref or commit to compare against"
    )
    parser.add_argument(
        "--head", metavar="REF", help="git ref for the new side (default: the working tree)"
    )
    add_format_arg(parser, ("text", "json", "markdown"))
    add_output_arg(parser)
    parser.add_argument(
        "--fail-on-increase",
        metavar="PCT%|USD",
        help="exit 1 when the monthly total rises by more than this: 10%% of the base, "
        "or 50 (USD per month)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.cli.freshness import apply_freshness
    from llmcost_lsp.core.diff.git import diff_git
    from llmcost_lsp.core.diff.model import parse_threshold
    from llmcost_lsp.core.pricing.db import load_price_db
    from llmcost_lsp.present.diff import (
        diff_json,
        headline,
        render_markdown,
        render_table,
        unpriced_text,
    )

    threshold = parse_threshold(args.fail_on_increase) if args.fail_on_increase else None
    root = workspace_root(args.path)
    db = load_price_db()
    apply_freshness(args, db)
    diff = diff_git(
        root,
        args.base,
        args.head,
        args.scenario,
        db=db,
        use_persistent_cache=not args.no_cache,
        pricing_date=args.price_date,
    )
    exceeded = threshold is not None and threshold.exceeded_by(diff)
    if args.format == "json":
        print(diff_json(diff, db, threshold))
    elif args.format == "markdown":
        print(render_markdown(diff, db, threshold))
    else:
        print(render_table(diff, db))
    if _head_manifest_broken(root, args.head):
        return 2
    if exceeded and diff.unpriced:
        print(
            f"llm-cost: {unpriced_text(diff)}: the increase is unknown, not zero",
            file=sys.stderr,
        )
        return 1
    if exceeded:
        assert threshold is not None
        print(
            f"llm-cost: monthly cost rises by {headline(diff)}, over --fail-on-increase "
            f"{threshold}",
            file=sys.stderr,
        )
        return 1
    return 0


def _head_manifest_broken(root: Path, head: str | None) -> bool:
    """A head manifest with errors makes the diff exit 2 (after the diff is printed): its
    numbers ignored the manifest. Says which errors on stderr. `head`: a git ref, or None for
    the working tree."""
    import subprocess

    from llmcost_lsp.core.manifest import MANIFEST_FILENAME, analyze_manifest
    from llmcost_lsp.present import issue_line

    if head is None:
        path = root / MANIFEST_FILENAME
        raw = path.read_bytes() if path.is_file() else None
    else:  # `REF:./path` is relative to the folder git runs in
        shown = subprocess.run(
            ["git", "show", f"{head}:./{MANIFEST_FILENAME}"], cwd=root, capture_output=True
        )
        raw = shown.stdout if shown.returncode == 0 else None
    if raw is None:
        return False
    text = raw.decode("utf-8", "replace").removeprefix("\ufeff").replace("\r\n", "\n")
    errors = analyze_manifest(text, MANIFEST_FILENAME).errors
    for issue in errors:
        print(issue_line(issue), file=sys.stderr)
    if errors:
        side = "the working tree's" if head is None else f"{head}'s"
        print(f"llm-cost: error: {side} {MANIFEST_FILENAME} has errors: exit 2", file=sys.stderr)
    return bool(errors)
