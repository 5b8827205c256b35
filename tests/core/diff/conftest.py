"""Fixtures for diff tests: the small fixed-price DB of the estimate tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcost_lsp.core.pricing.db import PriceDB, parse_price_db

SMALL_DB = Path(__file__).resolve().parents[1] / "pricing" / "small_prices.json"


@pytest.fixture(scope="session")
def small_db() -> PriceDB:
    """Two models with fixed prices (gpt-4o, claude-sonnet-4-5 with a >200k tier)."""
    return parse_price_db(SMALL_DB.read_bytes(), str(SMALL_DB))
