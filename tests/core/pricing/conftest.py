"""Fixtures for price DB tests: the bundled DB and a small hand-written DB document."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llmcost_lsp.core.pricing.db import PriceDB, load_price_db, parse_price_db

SMALL_PATH = Path(__file__).with_name("small_prices.json")
SMALL: dict[str, Any] = json.loads(SMALL_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def bundled() -> PriceDB:
    return load_price_db()


@pytest.fixture
def small_document() -> dict[str, Any]:
    return copy.deepcopy(SMALL)


@pytest.fixture
def parse_document() -> Callable[[dict[str, Any]], PriceDB]:
    def parse(document: dict[str, Any]) -> PriceDB:
        return parse_price_db(json.dumps(document, indent=2).encode(), "test.json")

    return parse
