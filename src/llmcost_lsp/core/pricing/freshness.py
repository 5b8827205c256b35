"""Staleness policy for the price DB in use: fresh, warning or error; fail open in CI.

A pure function of the DB date and an injected `now`, so no test depends on the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

FRESH_FOR = timedelta(days=7)
CRITICAL_AFTER = timedelta(days=30)
# A DB dated this far ahead of the local clock means a wrong clock or a wrong DB: say so.
FUTURE_TOLERANCE = timedelta(days=1)

UPDATE_COMMAND = "llm-cost pricing update"

Level = Literal["fresh", "warning", "error"]


@dataclass(frozen=True)
class Freshness:
    """What to do about the DB's age: say nothing (fresh), warn, or fail with exit 4 (error)."""

    level: Level
    age_days: int
    message: str
    critical: bool  # older than CRITICAL_AFTER, whatever the level (CI and --allow-stale soften it)


def assess_freshness(
    updated_at: datetime,
    now: datetime,
    *,
    ci: bool = False,
    strict: bool = False,
    allow_stale: bool = False,
) -> Freshness:
    """Apply the policy: ≤ 7 days fresh; ≤ 30 days warning; older: error locally or with `strict`,
    a warning in CI (builds break on code, not on data). `allow_stale` silences it for one run."""
    age = now.astimezone(UTC) - updated_at.astimezone(UTC)
    age_days = max(age.days, 0)
    dated = updated_at.astimezone(UTC).strftime("%Y-%m-%d")
    if age < -FUTURE_TOLERANCE:
        return Freshness(
            "warning",
            0,
            f"price DB is dated {dated}, in the future: check the system clock",
            critical=False,
        )
    described = f"price DB is {age_days} day{'s' if age_days != 1 else ''} old (updated {dated})"
    if age <= FRESH_FOR:
        return Freshness("fresh", age_days, described, critical=False)
    critical = age > CRITICAL_AFTER
    if allow_stale:
        return Freshness("fresh", age_days, f"{described}; --allow-stale given", critical)
    if not critical:
        return Freshness(
            "warning",
            age_days,
            f"{described}; prices may be out of date: run `{UPDATE_COMMAND}`",
            critical,
        )
    fix = f"run `{UPDATE_COMMAND}`, or pass --allow-stale to use it for this run"
    if ci and not strict:
        return Freshness(
            "warning",
            age_days,
            f"{described}, older than {CRITICAL_AFTER.days} days; not failing in CI "
            f"(use --strict to fail): {fix}",
            critical,
        )
    return Freshness(
        "error", age_days, f"{described}, older than {CRITICAL_AFTER.days} days: {fix}", critical
    )
