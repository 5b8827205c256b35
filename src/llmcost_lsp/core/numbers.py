"""Exact decimal text: no exponent, no trailing zeros, never rounded."""

from __future__ import annotations

from decimal import Context, Decimal


def plain_decimal(value: Decimal) -> str:
    """`Decimal("6.2250E-7")` → "0.0000006225", `Decimal("12.50")` → "12.5".

    `normalize()` rounds to the context's precision (28 digits by default), so it gets a context
    with room for every digit the value has."""
    if value == 0:
        return "0"
    digits = len(value.as_tuple().digits)
    return format(value.normalize(Context(prec=max(digits, 28))), "f")
