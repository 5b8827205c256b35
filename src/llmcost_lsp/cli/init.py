"""`llm-cost init [PATH] [--dry-run]`: write llm-cost.toml with an id for every prompt found."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "init",
        help="create or extend llm-cost.toml with the prompts found",
        description=(
            "Find prompt files, give each an id and write llm-cost.toml. An existing manifest "
            "keeps every comment; only missing prompts are added."
        ),
    )
    parser.add_argument("path", nargs="?", default=".", help="workspace root (default: .)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the change as a unified diff; write nothing"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.cli.workspace_args import workspace_root
    from llmcost_lsp.core.init import apply_init, plan_init
    from llmcost_lsp.core.manifest import MANIFEST_DOCS_URL

    plan = plan_init(workspace_root(args.path))
    for mapping in plan.mappings:
        if mapping.status == "added":
            print(f"mapped {mapping.path!r} -> id: {mapping.id!r}")
        else:
            print(f"kept   {mapping.path!r} -> id: {mapping.id!r} (already in the manifest)")
    for skipped in plan.discovery.skipped:
        print(f"skipped {skipped.path!r}: {skipped.reason}")
    for issue in plan.discovery.issues:
        print(f"llm-cost: {issue}", file=sys.stderr)
    name = plan.manifest_path.name
    if not plan.discovery.prompts:
        print(
            "no prompt files found: name yours with [discovery] include in llm-cost.toml "
            f"(default globs and guesses: {MANIFEST_DOCS_URL}#discovery)"
        )
    if args.dry_run:
        diff = plan.diff()
        print(diff if diff else f"{name} is up to date", end="" if diff else "\n")
        print("dry run: nothing written")
        return 0
    if apply_init(plan):
        verb = "updated" if plan.old_text is not None else "wrote"
        print(f"{verb} {plan.manifest_path} ({len(plan.added)} prompt(s) added)")
        if plan.added:
            print(
                "next: in each new [prompts.<id>] table, uncomment and fill in model, "
                "calls_per_month, output_tokens and the variable sizes, then run "
                "`llm-cost estimate`"
            )
    else:
        print(f"{name} is up to date")
    print(f"reference: {MANIFEST_DOCS_URL} · llm-cost estimate --help")
    return 0
