"""Staleness bands and the CI/local/strict/allow-stale matrix, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from llmcost_lsp.core.pricing.freshness import assess_freshness

UPDATED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return UPDATED + timedelta(days=days)


@pytest.mark.parametrize(
    ("days", "ci", "strict", "level"),
    [
        # band: fresh (≤ 7 days), whatever the context
        (0, False, False, "fresh"),
        (7, False, True, "fresh"),
        (7, True, True, "fresh"),
        # band: warning (7–30 days), even with --strict
        (7.01, False, False, "warning"),
        (30, False, True, "warning"),
        (30, True, False, "warning"),
        # band: critical (> 30 days): error locally, fail open in CI, --strict fails everywhere
        (30.01, False, False, "error"),
        (31, True, False, "warning"),
        (31, True, True, "error"),
        (400, False, True, "error"),
    ],
)
def test_policy_matrix(days: float, ci: bool, strict: bool, level: str) -> None:
    assert assess_freshness(UPDATED, at(days), ci=ci, strict=strict).level == level


def test_ci_timebomb_31_days_old_in_ci_passes_with_a_warning_that_says_how_to_fix() -> None:
    result = assess_freshness(UPDATED, at(31), ci=True)
    assert result.level == "warning" and result.critical
    assert "31 days old" in result.message
    assert "llm-cost pricing update --from FILE|URL" in result.message
    assert "--strict" in result.message


def test_local_error_names_the_age_and_both_fixes() -> None:
    result = assess_freshness(UPDATED, at(45.5), ci=False)
    assert result.level == "error" and result.age_days == 45
    assert "45 days old (updated 2026-11-23)" in result.message
    assert "`pip install -U llm-cost`" in result.message and "--allow-stale" in result.message
    assert "`llm-cost pricing update --from FILE|URL`" in result.message


def test_allow_stale_silences_for_one_run_but_keeps_the_truth() -> None:
    result = assess_freshness(UPDATED, at(90), ci=False, strict=True, allow_stale=True)
    assert result.level == "fresh" and result.critical and result.age_days == 90


def test_warning_band_message() -> None:
    result = assess_freshness(UPDATED, at(10))
    assert result.message.startswith("price DB is 10 days old")
    assert "pip install -U llm-cost" in result.message
    assert "--allow-stale" not in result.message  # a warning does not need it


def test_future_date_beyond_tolerance_is_a_clock_warning() -> None:
    assert assess_freshness(UPDATED, at(-0.5)).level == "fresh"
    result = assess_freshness(UPDATED, at(-3))
    assert result.level == "warning" and "future" in result.message


def test_time_zones_are_respected() -> None:
    from datetime import timezone

    paris = timezone(timedelta(hours=1))
    now = datetime(2026, 11, 30, 10, 30, tzinfo=paris)  # 09:30 UTC: 7 days 30 minutes later
    assert assess_freshness(UPDATED, now).level == "warning"


@pytest.mark.parametrize(
    ("days", "ci", "strict", "level"),
    [
        (7, False, False, "fresh"),  # the last fresh moment
        (7.01, False, False, "fresh"),  # warning band: acknowledged
        (30.01, False, False, "fresh"),  # critical locally: acknowledged
        (30.01, True, False, "fresh"),  # critical in CI: acknowledged
        (30.01, True, True, "error"),  # --strict is never acknowledged away
        (7.01, False, True, "warning"),  # --strict does not fail the warning band
    ],
)
def test_acknowledgement_through_a_date(days: float, ci: bool, strict: bool, level: str) -> None:
    ok_until = at(40).date()
    result = assess_freshness(UPDATED, at(days), ci=ci, strict=strict, acknowledged_until=ok_until)
    assert result.level == level


def test_acknowledgement_ends_after_its_day() -> None:
    ok_until = at(20).date()
    assert assess_freshness(UPDATED, at(20), acknowledged_until=ok_until).level == "fresh"
    late = assess_freshness(UPDATED, at(21), acknowledged_until=ok_until)
    assert late.level == "warning" and "LLMCOST_STALE_OK_UNTIL" in late.message
