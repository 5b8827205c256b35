"""Prices: the schema of the price DB (`model`), loading it and choosing the rates (`db`).

Names are re-exported lazily so `python -m llmcost_lsp.core.pricing.model` runs cleanly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmcost_lsp.core.pricing.db import (
        ModelEntry,
        ModelPrices,
        PriceDB,
        Rates,
        load_price_db,
        parse_price_db,
    )

__all__ = ["ModelEntry", "ModelPrices", "PriceDB", "Rates", "load_price_db", "parse_price_db"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from llmcost_lsp.core.pricing import db

        return getattr(db, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
