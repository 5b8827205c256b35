"""CSV cell text: exact decimals without exponents, FOCUS date-times, formula neutralisation.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, tab or carriage
return) as a formula. Text cells that would start so get a leading apostrophe, the OWASP
remedy: spreadsheets show the text as typed and hide the apostrophe. Numeric cells are never
touched: they are produced by `decimal_cell`, so they hold digits and one point only, and a
leading `-` there would be a negative number (data, not a formula). Readers of our own files
undo the apostrophe with `unneutralise`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from llmcost_lsp.core.numbers import plain_decimal

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_GUARD = "'"


def _triggers(text: str) -> bool:
    # apostrophes already in front count as part of the guard, so the guard can be undone
    return text.lstrip(_GUARD).startswith(FORMULA_TRIGGERS)


def neutralise(text: str) -> str:
    """Text safe to open in a spreadsheet: an apostrophe before a formula trigger (also before
    `'=…`, so that `unneutralise` always gives back exactly the input)."""
    return _GUARD + text if _triggers(text) else text


def unneutralise(text: str) -> str:
    """The text before `neutralise`."""
    return text[1:] if text.startswith(_GUARD) and _triggers(text) else text


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def decimal_cell(value: Decimal, min_places: int = 1) -> str:
    """An exact decimal as FOCUS-friendly text: always a point, never an exponent, not rounded.

    `Decimal("6.225E-7")` → "0.0000006225"; `Decimal(250000)` → "250000.0"; `min_places=2`
    pads money ("0.00", "1322.50") without dropping any digit.
    """
    if not value.is_finite():
        raise ValueError(f"not a finite decimal: {value}")
    text = plain_decimal(value)  # "0" for any zero: no "-0"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(min_places, '0')}"


def datetime_cell(moment: datetime) -> str:
    """UTC `YYYY-MM-DDTHH:mm:ssZ` (FOCUS Date/Time format); naive values are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
