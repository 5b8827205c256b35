"""`llm-cost pricing list|show`: what the price DB knows, printed exactly as written in it
(rendered by present/pricing.py)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost_lsp.cli.terminal import add_format_arg, add_output_arg

if TYPE_CHECKING:  # the core loads lazily, inside `run`
    from llmcost_lsp.core.pricing.db import PriceDB


def register(actions: Any) -> None:
    listing = actions.add_parser("list", help="list the models the price DB knows")
    listing.add_argument("--provider", help="only this provider's models (e.g. openai)")
    _common(listing)
    listing.set_defaults(run=run_list)

    show = actions.add_parser("show", help="every price of one model, with sources and dates")
    show.add_argument("model", metavar="MODEL", help="model id or alias, e.g. gpt-4o")
    show.add_argument(
        "--on",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="show the prices in effect on this date (default: today)",
    )
    _common(show)
    show.set_defaults(run=run_show)


def _common(parser: argparse.ArgumentParser) -> None:
    from llmcost_lsp.cli.freshness import add_freshness_flags

    add_format_arg(parser, ("text", "json"))
    add_output_arg(parser)
    parser.add_argument(
        "--db", type=Path, metavar="FILE", help="read this price file instead of the installed DB"
    )
    add_freshness_flags(parser)


def _load(args: argparse.Namespace) -> PriceDB:
    """The DB asked for; the one in use is judged by the staleness policy (an explicit file,
    being looked at rather than used for estimates, is not)."""
    from llmcost_lsp.cli.freshness import apply_freshness
    from llmcost_lsp.core.pricing.db import load_price_db

    db_path: Path | None = args.db
    db = load_price_db(db_path)
    if db_path is None:
        apply_freshness(args, db)
    return db


def _today() -> date:
    """Today by the settings' clock (LLMCOST_NOW pins it)."""
    from llmcost_lsp.core.settings import Settings

    return Settings.from_env().today()


# ---- list ----------------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.errors import InputError

    db = _load(args)
    entries = db.models(args.provider)
    if args.provider and not entries:
        raise InputError(
            f"no models of provider {args.provider!r}",
            hint=f"known providers: {', '.join(db.providers())}",
        )
    from llmcost_lsp.present.pricing import list_json, list_text

    render = list_json if args.format == "json" else list_text
    print(render(db, entries, _today()))
    return 0


# ---- show ----------------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    from llmcost_lsp.present.pricing import show_json, show_text

    db = _load(args)
    entry = db.resolve(args.model)
    on: date = args.on or _today()
    print((show_json if args.format == "json" else show_text)(db, entry, on))
    return 0
