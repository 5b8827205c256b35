"""Staleness flags and checks shared by every command that prices anything (tokens, estimate, …).

Usage: `add_freshness_flags(parser)` in `register`, then `apply_freshness(args, db)` in `run`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from llmcost_lsp.core.pricing.db import PriceDB
    from llmcost_lsp.core.pricing.freshness import Freshness
    from llmcost_lsp.core.settings import Settings

_shown: set[tuple[int, str]] = set()  # (stream, warning) pairs already printed by this process


def add_freshness_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("price DB freshness")
    group.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 4) on a price DB older than 30 days, even in CI",
    )
    group.add_argument(
        "--allow-stale",
        action="store_true",
        help="use a stale price DB for this run without warning or failing",
    )


def _warn(message: str, stream: TextIO) -> None:
    if (id(stream), message) not in _shown:
        _shown.add((id(stream), message))
        print(f"llm-cost: warning: {message}", file=stream)


def apply_freshness(
    args: argparse.Namespace,
    db: PriceDB,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    stream: TextIO | None = None,
) -> Freshness:
    """Print a broken-cache or staleness warning to stderr, or raise StalePricingError (exit 4)."""
    from llmcost_lsp.core.errors import StalePricingError
    from llmcost_lsp.core.pricing.freshness import assess_freshness
    from llmcost_lsp.core.pricing.store import selection_for
    from llmcost_lsp.core.settings import Settings

    out = stream or sys.stderr
    settings = settings or Settings.from_env()
    selection = selection_for(db)
    for warning in selection.warnings if selection else ():
        _warn(warning, out)
    result = assess_freshness(
        db.updated_at,
        now or settings.now(),
        ci=settings.ci,
        strict=bool(getattr(args, "strict", False)),
        allow_stale=bool(getattr(args, "allow_stale", False)),
        acknowledged_until=settings.stale_ok_until,
    )
    if result.level == "warning":
        _warn(result.message, out)
    elif result.level == "error":
        raise StalePricingError(
            result.message,
            hint="in CI (CI=true) an old DB is only a warning, unless --strict; "
            "`llm-cost pricing status` shows which DB is in use and where it came from",
        )
    return result
