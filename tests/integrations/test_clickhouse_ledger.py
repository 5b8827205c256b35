"""The ClickHouse ledger's DDL and queries on ClickHouse's own engine (chdb): the same calls
give the same totals, rollups, month series and rows as the SQLite ledger; writes are
idempotent, and rows that a race let in twice count once (ReplacingMergeTree + FINAL);
reprice replaces rows by version; the summaries read the sort order (EXPLAIN); summaries,
metrics and the recorder work on it unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from llmcost_lsp.core.ledger.api import make_pricer, make_recorder
from llmcost_lsp.core.ledger.metrics import Exporter
from llmcost_lsp.core.ledger.rows import CallRow
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.ledger.store import SqlStore, WriterStats, open_store
from llmcost_lsp.core.ledger.summary import Period, summarise
from llmcost_lsp.core.manifest import parse_manifest

from .conftest import require
from .test_metrics_exporter import NOW, calls, samples


@pytest.fixture()
def clickhouse(tmp_path: Path) -> SqlStore:
    require("chdb")
    from llmcost_lsp.core.ledger.clickhouse import ClickHouseStore

    store = open_store(f"chdb://{tmp_path / 'ch'}")
    assert isinstance(store, ClickHouseStore)
    return store


def mixed() -> list[CallRow]:
    rows = calls(20) + calls(7, model="claude-sonnet-4-6", key="c", project="b")
    rows += calls(4, model="my-finetune", key="u")  # unpriced
    rows += calls(5, prompt="it's \\ odd", key="o", at=NOW - timedelta(days=20))  # October
    return rows


def test_same_figures_as_the_sqlite_ledger(clickhouse: SqlStore, tmp_path: Path) -> None:
    with SqliteLedger(tmp_path / "l.sqlite3") as sqlite:
        for store in (sqlite, clickhouse):
            first = store.write(mixed())
            again = store.write(mixed()[:10] + calls(2, key="new"))
            assert (first.inserted, again.inserted, again.duplicates) == (36, 2, 10)
        assert clickhouse.count() == sqlite.count() == 38
        assert sorted(clickhouse.prompt_totals(), key=str) == sorted(
            sqlite.prompt_totals(), key=str
        )
        for args in ((None, None, None), ("2026-11-01", "2026-12-01", "a")):
            assert sorted(clickhouse.prompt_rollups(*args), key=str) == sorted(
                sqlite.prompt_rollups(*args), key=str
            )
            assert sorted(clickhouse.user_rollups(*args), key=str) == sorted(
                sqlite.user_rollups(*args), key=str
            )
        assert sorted(clickhouse.month_rollups("2026-11"), key=str) == sorted(
            sqlite.month_rollups("2026-11"), key=str
        )
        assert list(clickhouse.iter_rows(batch=7)) == list(sqlite.iter_rows())
        since = int(NOW.timestamp() * 1e6) - 5
        assert list(clickhouse.iter_rows(since)) == list(sqlite.iter_rows(since))
        by_user = summarise(clickhouse, "user", Period(None, None))
        assert by_user == summarise(sqlite, "user", Period(None, None))


def test_a_race_that_inserts_twice_still_counts_once(clickhouse: SqlStore) -> None:
    from llmcost_lsp.core.ledger.clickhouse import ClickHouseStore
    from llmcost_lsp.core.ledger.rows import COLUMNS

    assert isinstance(clickhouse, ClickHouseStore)
    rows = calls(10)
    clickhouse.write(rows)
    # a second writer that checked before the first inserted: the rows go in again
    clickhouse.client.insert("calls", COLUMNS, [row.values() for row in rows])
    assert clickhouse.client.rows("SELECT count() FROM calls")[0][0] == 20  # stored twice
    assert clickhouse.count() == 10
    [(_, totals)] = clickhouse.prompt_totals()
    assert totals.calls == 10


def test_reprice_replaces_rows_by_version(clickhouse: SqlStore) -> None:
    clickhouse.write(calls(12) + calls(3, model="my-finetune", key="u"))
    [before] = [t for (p, m), t in clickhouse.prompt_totals() if m == "gpt-4o"]
    cheaper = make_pricer(parse_manifest('[pricing.overrides."gpt-4o"]\ninput = "0.5"\n'))
    assert clickhouse.reprice(cheaper) == (15, 12)
    [after] = [t for (p, m), t in clickhouse.prompt_totals() if m == "gpt-4o"]
    assert after.calls == 12 and after.cost_pusd < before.cost_pusd
    assert after.list_cost_pusd == before.list_cost_pusd
    assert clickhouse.reprice(cheaper) == (15, 0)
    assert clickhouse.count() == 15


def test_summaries_use_the_sort_order(clickhouse: SqlStore) -> None:
    from llmcost_lsp.core.ledger.clickhouse import ClickHouseStore

    assert isinstance(clickhouse, ClickHouseStore)
    clickhouse.write(calls(5))
    plan = "\n".join(
        str(row[0])
        for row in clickhouse.client.rows(
            "EXPLAIN indexes = 1 SELECT sum(cost_pusd) FROM calls WHERE project = 'a' "
            "AND prompt_id = 'search/answer' AND day >= toDate('2026-11-01')"
        )
    )
    assert "PrimaryKey" in plan and "prompt_id" in plan and "Partition" in plan


def test_metrics_and_the_recorder_on_clickhouse(clickhouse: SqlStore, tmp_path: Path) -> None:
    stats = WriterStats("w", "a", "h", 1, 0, int(NOW.timestamp() * 1e6), 20, 0, 0, 1, 0, 0)
    clickhouse.write(calls(20), stats)
    found = samples(Exporter(clickhouse).render(NOW))
    assert found[("llmcost_requests_total", frozenset(
        {("project", "a"), ("prompt_id", "search/answer"), ("model", "gpt-4o")}
    ))] == 20  # fmt: skip
    assert found[("llmcost_recorder_dropped_total", frozenset({("project", "a")}))] == 1
    clickhouse.close()
    recorder = make_recorder(f"chdb://{tmp_path / 'rec'}", flush_interval_s=0.01)
    usage = {"prompt_tokens": 100, "completion_tokens": 10}
    for index in range(30):
        recorder.record(usage, model="gpt-4o", response_id=f"r{index % 20}", prompt_id="p",
                        at=datetime(2026, 11, 3, tzinfo=UTC))  # fmt: skip
    recorder.close()
    assert recorder.stats().written == 20 and recorder.stats().duplicates == 10
    with open_store(f"chdb://{tmp_path / 'rec'}") as store:
        assert store.count() == 20
        [saved] = store.writer_stats()
        assert saved.written == 20


def test_an_unreachable_server_is_a_clear_error() -> None:
    """clickhouse-connect (the real client) against a port where nothing listens."""
    require("clickhouse_connect")
    from llmcost_lsp.core.ledger.store import LedgerError

    from .prometheus_tools import free_port

    with pytest.raises(LedgerError, match="cannot reach the ClickHouse ledger") as caught:
        open_store(f"clickhouse://default:secret@127.0.0.1:{free_port()}/llm")
    assert "secret" not in str(caught.value)
