"""Presentation helpers shared by the shells (CLI tables, editor hints): money and token text.

Neutral ground so the server never imports the CLI; both format the same figures the same way.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from llmcost_lsp.core.numbers import plain_decimal
from llmcost_lsp.core.tokens.spec import TokenCount


def decimal_text(value: Decimal | None) -> str | None:
    """Exact decimal as text without exponent or trailing zeros ("0.0031", "12")."""
    if value is None:
        return None
    return plain_decimal(value)


def money(value: Decimal | None, *, per_call: bool = False) -> str:
    """Dollars for people: cents for monthly sums, 4 significant digits for small per-call costs."""
    if value is None:
        return "?"
    if per_call and abs(value) < 1:
        if value == 0:
            return "$0"
        digits = max(2, -value.adjusted() + 3)
        return f"${value.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)}"
    return f"${value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def tokens_text(count: TokenCount | Decimal | int | None) -> str:
    """`1,234`, with `≈` in front of an approximate count."""
    if count is None:
        return "?"
    if isinstance(count, TokenCount):
        return ("" if count.is_exact else "≈") + f"{count.tokens:,}"
    return f"{Decimal(count).quantize(Decimal(1), ROUND_HALF_UP):,}"
