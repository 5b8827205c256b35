"""A month-end forecast of spend with its uncertainty, from the days of the month so far.

Method (stated wherever a forecast is shown): the complete days of the month (UTC) are a
sample of daily spend; the rest of the month, today included, is that many more days like
them. The forecast is what was spent before today, plus today's spend so far or the mean day
if more, plus the mean day for every day after today. The 95% interval is the prediction
interval of a sum of R future days from d observed ones: R·mean ± t(0.975, d−1) · sd ·
√(R + R²/d) — the days' own spread plus the uncertainty of their mean — never below what was
already spent. No interval before two complete days (no spread to measure); no forecast on the
1st (no complete day). Money in exact pico-dollars until the end, Decimal after.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

LEVEL = "95%"
# Student's t, two-sided 95% (the 0.975 quantile), by degrees of freedom 1..30
_T975 = (
    "12.706", "4.303", "3.182", "2.776", "2.571", "2.447", "2.365", "2.306", "2.262", "2.228",
    "2.201", "2.179", "2.160", "2.145", "2.131", "2.120", "2.110", "2.101", "2.093", "2.086",
    "2.080", "2.074", "2.069", "2.064", "2.060", "2.056", "2.052", "2.048", "2.045", "2.042",
)  # fmt: skip
METHOD = (
    "mean of the month's complete days for each day left (today at least its spend so far); "
    "95% prediction interval R·mean ± t·sd·√(R + R²/d) from d complete days"
)
PICO = Decimal(10) ** 12


def t_quantile(dof: int) -> Decimal:
    """t(0.975, dof); the normal 1.96 past 30."""
    return Decimal(_T975[dof - 1]) if 1 <= dof <= len(_T975) else Decimal("1.96")


@dataclass(frozen=True)
class Forecast:
    month_to_date_usd: Decimal
    forecast_usd: Decimal
    low_usd: Decimal | None  # None: fewer than two complete days
    high_usd: Decimal | None
    days_observed: int  # complete days the mean and spread come from
    days_left: int  # today and the days after it
    mean_day_usd: Decimal
    sd_day_usd: Decimal | None

    method = METHOD


def month_forecast(daily_pusd: Sequence[int], today: date) -> Forecast | None:
    """`daily_pusd[i]`: the priced spend of day i+1 of today's month, up to today (shorter
    sequences are padded with days of $0). None on the 1st: no complete day yet."""
    days = calendar.monthrange(today.year, today.month)[1]
    observed = today.day - 1
    if observed < 1:
        return None
    spend = [
        Decimal(v) for v in list(daily_pusd[: today.day]) + [0] * (today.day - len(daily_pusd))
    ]
    before, so_far = spend[:observed], spend[observed]
    mean = sum(before, Decimal(0)) / observed
    left = days - observed
    point = sum(before, Decimal(0)) + max(so_far, mean) + mean * (left - 1)
    spent = sum(spend, Decimal(0))
    low = high = sd = None
    if observed >= 2:
        variance = sum(((v - mean) ** 2 for v in before), Decimal(0)) / (observed - 1)
        sd = variance.sqrt()
        half = t_quantile(observed - 1) * sd * (left + Decimal(left * left) / observed).sqrt()
        low, high = max(point - half, spent) / PICO, (point + half) / PICO
    return Forecast(
        spent / PICO, point / PICO, low, high, observed, left, mean / PICO,
        None if sd is None else sd / PICO,
    )  # fmt: skip
