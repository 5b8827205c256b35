"""131 model strings collected from public code (tests/fixtures/model_strings_from_code.json).

Each was found with the code search in a call such as `completion(model="…")`; its expected
resolution was checked by hand against the provider's or host's price. Three kinds:
- priced: resolves to `expected` at the expected input/output price (per million tokens);
- not a model (a router, a family, a typo): must stay unknown rather than borrow a price;
- a real model the DB cannot price yet (`why` says why): unknown today, never a wrong price.
`pricing/README.md` reports the rate; this test keeps every row true.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llmcost_lsp.core.errors import UnknownModelError
from llmcost_lsp.core.pricing.db import PriceDB

FIXTURE = Path(__file__).parents[2] / "fixtures" / "model_strings_from_code.json"
ROWS: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))
DAY = date(2026, 12, 2)


def test_the_collection_is_large_and_mostly_priced() -> None:
    real = [row for row in ROWS if row["real"]]
    priced = [row for row in real if row["expected"]]
    assert len(ROWS) >= 80 and len({row["name"] for row in ROWS}) == len(ROWS)
    assert len(priced) / len(real) >= 0.85  # 109 of 124 when collected


@pytest.mark.parametrize("row", ROWS, ids=[row["name"] for row in ROWS])
def test_each_string_resolves_as_checked(bundled: PriceDB, row: dict[str, Any]) -> None:
    if row["expected"] is None:
        with pytest.raises(UnknownModelError):
            bundled.resolve(row["name"])
        return
    entry = bundled.resolve(row["name"])
    assert entry.id == row["expected"]
    rates = entry.prices_at(DAY).rates_for(1000)
    assert (rates.input, rates.output) == (Decimal(row["input"]), Decimal(row["output"]))
