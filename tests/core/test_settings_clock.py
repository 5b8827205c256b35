"""The one clock: LLMCOST_NOW pins Settings.now(); everything else reads it from there."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.settings import Settings


def settings(**env: str) -> Settings:
    return Settings.from_env({"LLMCOST_CACHE_DIR": "c", "LLMCOST_CONFIG_DIR": "d", **env})


def test_a_date_pins_midnight_utc() -> None:
    pinned = settings(LLMCOST_NOW="2027-06-30")
    assert pinned.now() == datetime(2027, 6, 30, tzinfo=UTC)
    assert pinned.today() == date(2027, 6, 30)


def test_an_offset_is_converted_to_utc_and_a_naive_time_is_utc() -> None:
    east = settings(LLMCOST_NOW="2027-01-01T01:30:00+02:00")
    assert east.now() == datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert east.today() == date(2026, 12, 31)  # the price calendar is UTC
    naive = settings(LLMCOST_NOW="2027-01-01T08:00:00")
    assert naive.now().tzinfo is not None and naive.now().utcoffset() == timedelta(0)


def test_without_a_pin_now_is_the_system_clock_in_utc() -> None:
    free = settings()
    before = datetime.now(UTC)
    assert before - timedelta(seconds=5) <= free.now() <= before + timedelta(seconds=5)
    assert free.pinned_now is None


@pytest.mark.parametrize("name", ["LLMCOST_NOW", "LLMCOST_STALE_OK_UNTIL"])
def test_a_bad_value_is_an_input_error_naming_the_variable(name: str) -> None:
    with pytest.raises(InputError, match=name) as info:
        settings(**{name: "soon"})
    assert info.value.exit_code == 2


def test_the_workspace_prices_and_checks_as_of_the_settings_day(tmp_path: Path) -> None:
    """A model whose price changes on a date is priced by the pinned day, not the calendar."""
    from llmcost_lsp.core.pricing.db import load_price_db
    from llmcost_lsp.core.workspace import Workspace

    db = load_price_db()
    changing = next(m for m in db.models() if len(m.history) > 1)
    change = changing.history[1].effective_from
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "a.prompty").write_text(
        f"---\nmodel:\n  id: {changing.id}\n---\nHello there.\n", encoding="utf-8"
    )

    def rate(day: date) -> object:
        pinned = Settings(Path(tmp_path / "c"), Path(tmp_path / "d"), pinned_now=datetime(
            day.year, day.month, day.day, tzinfo=UTC))  # fmt: skip
        ws = Workspace(tmp_path, settings=pinned, db=db, use_persistent_cache=False)
        ws.load()
        assert ws.price_day == day
        result = ws.report().results[0]
        assert result.estimate is not None, result.issues
        return result.estimate.rates

    assert rate(change - timedelta(days=1)) != rate(change)
