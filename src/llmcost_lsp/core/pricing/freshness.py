"""Staleness policy for the price DB in use: fresh, warning or error; fail open in CI.

A pure function of the DB date and an injected `now` (the settings' clock), so no test depends
on the wall clock. Every message names remedies that work on the user's machine today: a newer
release bundles a newer DB; a signed DB the user has can be installed from a file or URL; one run
can go ahead with --allow-stale; the warning can be acknowledged until a date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

FRESH_FOR = timedelta(days=7)
CRITICAL_AFTER = timedelta(days=30)
# A DB dated this far ahead of the local clock means a wrong clock or a wrong DB: say so.
FUTURE_TOLERANCE = timedelta(days=1)

UPGRADE_COMMAND = "pip install -U llm-cost"
UPDATE_FROM_COMMAND = "llm-cost pricing update --from FILE|URL"
ACKNOWLEDGE_VARIABLE = "LLMCOST_STALE_OK_UNTIL"

Level = Literal["fresh", "warning", "error"]


@dataclass(frozen=True)
class Freshness:
    """What to do about the DB's age: say nothing (fresh), warn, or fail with exit 4 (error)."""

    level: Level
    age_days: int
    message: str
    critical: bool  # older than CRITICAL_AFTER, whatever the level (CI and --allow-stale soften it)


def remedies(*, for_one_run: bool) -> str:
    """The fixes, as one clause: a newer bundled DB, a signed DB the user has, or waiting."""
    fixes = [
        f"`{UPGRADE_COMMAND}` (a newer release bundles newer prices)",
        f"`{UPDATE_FROM_COMMAND}` with a signed price DB you have",
    ]
    if for_one_run:
        fixes.append("--allow-stale for this run")
    fixes.append(f"{ACKNOWLEDGE_VARIABLE}=YYYY-MM-DD to accept this DB until that date")
    return ", ".join(fixes[:-1]) + ", or " + fixes[-1]


def assess_freshness(
    updated_at: datetime,
    now: datetime,
    *,
    ci: bool = False,
    strict: bool = False,
    allow_stale: bool = False,
    acknowledged_until: date | None = None,
) -> Freshness:
    """Apply the policy: ≤ 7 days fresh; ≤ 30 days warning; older: error locally or with `strict`,
    a warning in CI (builds break on code, not on data). `allow_stale` silences it for one run;
    `acknowledged_until` (LLMCOST_STALE_OK_UNTIL) silences it through that date, unless `strict`."""
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
    today = now.astimezone(UTC).date()
    if acknowledged_until is not None and today <= acknowledged_until and not strict:
        note = f"{described}; accepted until {acknowledged_until} ({ACKNOWLEDGE_VARIABLE})"
        return Freshness("fresh", age_days, note, critical)
    if not critical:
        return Freshness(
            "warning",
            age_days,
            f"{described}; prices may be out of date: {remedies(for_one_run=False)}",
            critical,
        )
    fix = remedies(for_one_run=True)
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
