"""Cell text: decimals are exact and plain, formula neutralisation round-trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from llmcost_lsp.core.focus.conformance import HOUSE_DECIMAL
from llmcost_lsp.core.focus.csvsafe import (
    datetime_cell,
    decimal_cell,
    is_formula_like,
    neutralise,
    unneutralise,
)


@given(st.decimals(allow_nan=False, allow_infinity=False), st.integers(0, 3))
def test_decimal_cells_are_exact_and_plain(value: Decimal, places: int) -> None:
    text = decimal_cell(value, max(places, 1))
    assert HOUSE_DECIMAL.match(text), text
    assert Decimal(text) == value
    assert not text.startswith("-0.") or value < 0


def test_decimal_cell_examples() -> None:
    assert decimal_cell(Decimal("6.225E-7")) == "0.0000006225"
    assert decimal_cell(Decimal("2.5E+5")) == "250000.0"
    assert decimal_cell(Decimal("-0"), 2) == "0.00"
    assert decimal_cell(Decimal("1322.5"), 2) == "1322.50"
    assert decimal_cell(Decimal("0.123456789"), 2) == "0.123456789"  # never rounded


@given(st.text())
def test_neutralise_round_trips_and_never_leaves_a_formula(text: str) -> None:
    safe = neutralise(text)
    assert not is_formula_like(safe)
    assert unneutralise(safe) == text


def test_neutralise_examples() -> None:
    assert neutralise("=SUM(A1)") == "'=SUM(A1)"
    assert neutralise("-dash") == "'-dash"
    assert neutralise("'=already quoted") == "''=already quoted"
    assert unneutralise("''=already quoted") == "'=already quoted"
    assert neutralise("plain") == "plain" and neutralise("'plain") == "'plain"


def test_datetime_cells_are_utc_with_z() -> None:
    moment = datetime(2026, 11, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert datetime_cell(moment) == "2026-10-31T23:30:00Z"
    assert datetime_cell(datetime(2026, 11, 1)) == "2026-11-01T00:00:00Z"
    assert datetime_cell(datetime(2026, 11, 1, tzinfo=UTC)) == "2026-11-01T00:00:00Z"
