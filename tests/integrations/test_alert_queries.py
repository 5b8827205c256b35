"""The queries of alerts and analytics (`hourly_cost`: spikes; `component_groups`: model
efficiency; `daily_cost`: the forecast's series; `session_totals`, `user_totals`: cost per
session and user) give the same figures on SQLite, a real PostgreSQL and ClickHouse's engine
(chdb): each has its own integer division and GROUP BY."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from llmcost_lsp.core.ledger.rows import CallRow, Totals, micros
from llmcost_lsp.core.ledger.store import HOUR_US, open_store
from llmcost_lsp.core.ledger.summary import Period, summarise

from .conftest import require
from .test_metrics_exporter import NOW, calls


def rows() -> list[CallRow]:
    found = calls(30) + calls(6, model="claude-sonnet-4-6", key="c", project="b")
    found += calls(4, model="my-finetune", key="u")  # unpriced
    found += calls(5, prompt="old", key="o", at=NOW - timedelta(hours=3, minutes=1))
    found += calls(3, prompt="old", key="p", at=NOW - timedelta(days=2))
    return found


@pytest.fixture(params=["sqlite", "postgresql", "chdb"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "l.sqlite3")
    if request.param == "chdb":
        require("chdb")
        return f"chdb://{tmp_path / 'ch'}"
    return str(request.getfixturevalue("pg_url"))


def test_the_same_hours_and_groups_on_every_store(location: str, tmp_path: Path) -> None:
    with open_store(str(tmp_path / "reference.sqlite3")) as reference:
        reference.write(rows())
        until = micros(NOW) + 1
        expected_hours = sorted(reference.hourly_cost(until - 25 * HOUR_US, until))
        expected_days = sorted(reference.daily_cost("2026-11-01", "2026-12-01"))
        expected_groups = sorted(
            reference.component_groups(None, None, None, (500, 1000)), key=repr
        )
    with open_store(location) as store:
        store.write(rows())
        hours = sorted(store.hourly_cost(until - 25 * HOUR_US, until))
        assert hours == expected_hours
        assert ("old", 3, 5, 0, 5 * rows()[0].cost_pusd) in hours  # type: ignore[operator]
        recent = [r for r in rows() if r.prompt_id == "search/answer"]
        cost = sum(r.cost_pusd or 0 for r in recent)
        assert ("search/answer", 0, 40, 4, cost) in hours  # 4 unpriced, not in the cost
        assert sorted(store.hourly_cost(until - HOUR_US, until, project="b")) == [
            ("search/answer", 0, 6, 0, sum(r.cost_pusd or 0 for r in rows() if r.project == "b"))
        ]
        assert sorted(store.daily_cost("2026-11-01", "2026-12-01")) == expected_days
        assert ("2026-11-13", "old", 3 * rows()[0].cost_pusd) in expected_days  # type: ignore[operator]
        groups = sorted(store.component_groups(None, None, None, (500, 1000)), key=repr)
        assert groups == expected_groups
        assert {g.model for g in groups} == {"gpt-4o", "claude-sonnet-4-6", "my-finetune"}
        assert sum(g.calls for g in groups) == len(rows())
        assert all(g.max_input_tokens == 1000 for g in groups)
        assert {g.day for g in groups} == {"2026-11-13", "2026-11-15"}
        # sessions and users summed in the database: the totals of their calls one by one
        for by, of in (("session", "session_id"), ("user", "user_id")):
            one_by_one: dict[str, Totals] = {}
            for row in rows():
                if row.project == "a":
                    one_by_one.setdefault(getattr(row, of), Totals()).add_row(row)
            found = summarise(store, by, Period(None, None), project="a")  # type: ignore[arg-type]
            assert {line.key: line.totals for line in found} == one_by_one
