"""Unit tests of the language server's pure helpers: no server process, no session.

A change to a label, a range or an edit is checked here in well under a second; only what
crosses the wire needs the pytest-lsp sessions of tests/lsp. Client capabilities are the ones
pytest-lsp recorded from real editors."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcost_lsp.core.pricing.db import PriceDB, parse_price_db

SMALL_DB = Path(__file__).resolve().parents[1] / "core" / "pricing" / "small_prices.json"
CLIENTS = ["visual-studio-code", "neovim"]


@pytest.fixture(scope="session")
def small_db() -> PriceDB:
    """Two models with fixed prices (gpt-4o: $2.50 in, $10 out per Mtok)."""
    return parse_price_db(SMALL_DB.read_bytes(), str(SMALL_DB))
