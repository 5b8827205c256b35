"""The PostgreSQL ledger against a real server: the same idempotent writes, rollups and
reprice as SQLite; migrations once under concurrency; the server down at start and going away
mid-run (calls buffered, retried, counted, nothing blocked)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest

from llmcost_lsp.core.ledger.api import make_pricer, make_recorder
from llmcost_lsp.core.ledger.postgres import PostgresStore
from llmcost_lsp.core.ledger.rows import CallRow, Totals, make_row, micros
from llmcost_lsp.core.ledger.store import LedgerError, open_store
from llmcost_lsp.core.ledger.usage import Usage

OPENAI = {"prompt_tokens": 1200, "completion_tokens": 300,
          "prompt_tokens_details": {"cached_tokens": 1024}}  # fmt: skip


def rows(count: int) -> list[CallRow]:
    pricer = make_pricer()
    t0 = micros(datetime(2026, 11, 20, 12, tzinfo=UTC))
    made = []
    for index in range(count):
        usage = Usage(1000 + index % 7, 100, cache_read_tokens=512, model_responded="gpt-4o")
        price = pricer.price(usage, date(2026, 11, 20))
        made.append(
            make_row(
                usage,
                price,
                request_key=f"r{index}",
                ts=t0 + index * 60_000_000,
                price_db=pricer.version,
                prompt_id="search",
                user_id=f"u{index % 3}",
            )
        )
    return made


def _raw(store: PostgresStore) -> dict[tuple[str, str], Totals]:
    found: dict[tuple[str, str], Totals] = {}
    for row in store.iter_rows():
        found.setdefault((row.prompt_id, row.rollup_model), Totals()).add_row(row)
    return found


def test_writes_rollups_and_reprice(pg_url: str) -> None:
    with open_store(pg_url) as store:
        assert isinstance(store, PostgresStore)
        assert store.write(rows(50)).inserted == 50
        again = store.write(rows(60))
        assert (again.inserted, again.duplicates) == (10, 50)
        assert store.count() == 60
        assert dict(store.prompt_totals()) == _raw(store)
        [(_, totals)] = store.prompt_totals()
        assert totals.cost_pusd == sum(r.cost_pusd or 0 for r in store.iter_rows())
        assert store.reprice(make_pricer()) == (60, 0)


def test_concurrent_first_opens_migrate_once(pg_url: str) -> None:
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            PostgresStore(pg_url).close()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_down_at_start_then_up(pg_server: str) -> None:
    import psycopg

    name = "ledger_late"
    url = pg_server.rsplit("/", 1)[0] + f"/{name}"
    with pytest.raises(LedgerError, match="cannot reach"):
        PostgresStore(url)  # the database does not exist yet: like a server not up
    recorder = make_recorder(url, flush_interval_s=0.01, max_backoff_s=0.05)
    for index in range(30):
        assert recorder.record(OPENAI, model="gpt-4o", response_id=f"r{index}")
    assert not recorder.flush(0.3)
    stats = recorder.stats()
    assert stats.write_errors >= 1 and stats.pending == 30 and stats.written == 0
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    assert recorder.flush(15)
    recorder.close()
    assert recorder.stats().written == 30 and recorder.stats().dropped == 0
    with open_store(url) as store:
        assert store.count() == 30


def test_going_away_mid_run(pg_url: str, pg_server: str) -> None:
    import psycopg

    recorder = make_recorder(pg_url, flush_interval_s=0.01, max_backoff_s=0.05)
    recorder.record(OPENAI, model="gpt-4o", response_id="first")
    assert recorder.flush(15)
    database = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_server, autocommit=True) as admin:
        # the server drops our connections and refuses new ones for a while
        admin.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS false")
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [database],
        )
        for index in range(20):
            assert recorder.record(OPENAI, model="gpt-4o", response_id=f"r{index}")
        assert not recorder.flush(0.5)
        assert recorder.stats().write_errors >= 1
        admin.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")
    assert recorder.flush(15)
    recorder.close()
    with open_store(pg_url) as store:
        assert store.count() == 21
