"""`llm-cost pricing …`: the price DB (list, show) and its trust (verify, update, …)."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

# sub-command groups, each a module with `register(subparsers)`
_GROUPS = ("pricing_db", "pricing_trust")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "pricing", help="inspect, verify and update the price DB"
    )

    def show_help(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(run=show_help)
    actions = parser.add_subparsers(dest="pricing_command", metavar="ACTION")
    for name in _GROUPS:
        importlib.import_module(f"llmcost_lsp.cli.{name}").register(actions)
