"""Numbers as text: exact decimals (no exponent, no trailing zeros, never rounded) and the one
money formatter every shell and message uses."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal


def plain_decimal(value: Decimal) -> str:
    """`Decimal("6.2250E-7")` → "0.0000006225", `Decimal("12.50")` → "12.5".

    `normalize()` rounds to the context's precision (28 digits by default), so it gets a context
    with room for every digit the value has."""
    if value == 0:
        return "0"
    digits = len(value.as_tuple().digits)
    return format(value.normalize(Context(prec=max(digits, 28))), "f")


def usd(value: Decimal | None, *, per_call: bool = False) -> str:
    """Dollars for people, the one money formatter of every shell and message (rounding half
    up, `?` for unknown, never `$0.00` for an amount that is not zero):

    - a monthly cost or any sum: cents with thousands separators, `$1,322.50`; a non-zero
      amount under half a cent keeps two significant digits, `$0.0031`;
    - `per_call`: under $1, four significant digits without trailing zeros (at least the
      cents), `$0.005294`, `$0.00529`, `$0.00001`, `$0.50`.
    """
    if value is None:
        return "?"
    if value < 0:
        return "-" + usd(-value, per_call=per_call)
    if value == 0:
        return "$0.00"
    if per_call and value < 1:
        return "$" + _significant(value, 4)
    if value < Decimal("0.005"):
        return "$" + _significant(value, 2)
    return f"${value.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def _significant(value: Decimal, digits: int) -> str:
    """A positive amount under $1 rounded to `digits` significant digits, without trailing
    zeros but with at least two decimals."""
    places = max(2, digits - 1 - value.adjusted())
    rounded = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    text = plain_decimal(rounded)
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"
