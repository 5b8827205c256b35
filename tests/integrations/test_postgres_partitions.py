"""Schema 2 on a real PostgreSQL: calls partitioned by month, a schema-1 ledger migrated with
its rows, idempotency across partitions (a retry recorded at another time is still one call),
per-project keys, a broken clock's rows kept, and writers racing to open a new month."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

from llmcost_lsp.core.ledger.api import make_pricer
from llmcost_lsp.core.ledger.postgres import PostgresStore
from llmcost_lsp.core.ledger.rows import COLUMNS, CallRow, make_row, micros
from llmcost_lsp.core.ledger.store import SCHEMA_VERSION, migrations
from llmcost_lsp.core.ledger.usage import Usage


def rows(count: int, *, at: datetime, project: str = "search-api", key: str = "r") -> list[CallRow]:
    pricer = make_pricer()
    usage = Usage(1000, 100, model_responded="gpt-4o")
    price = pricer.price(usage, date(2026, 11, 20))
    return [
        make_row(usage, price, request_key=f"{key}{index}", ts=micros(at) + index,
                 price_db=pricer.version, prompt_id="search", project=project)
        for index in range(count)
    ]  # fmt: skip


NOV = datetime(2026, 11, 20, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)


def partitions(store: PostgresStore) -> set[str]:
    found = store._query(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'calls'::regclass"
    )
    return {name for (name,) in found}


def test_a_v1_ledger_moves_into_month_partitions(pg_url: str) -> None:
    import psycopg

    old = rows(20, at=NOV) + rows(5, at=DEC, key="d")
    with psycopg.connect(pg_url, autocommit=True) as connection:
        for version, statements in migrations("BIGINT", "TEXT"):
            if version == 1:
                for statement in statements:
                    connection.execute(statement)
        connection.execute("CREATE TABLE llmcost_meta (key TEXT PRIMARY KEY, value TEXT)")
        connection.execute("INSERT INTO llmcost_meta VALUES ('schema_version', '1')")
        marks = ", ".join("%s" for _ in COLUMNS)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO calls ({', '.join(COLUMNS)}) VALUES ({marks})",
                [row.values() for row in old],
            )
    with PostgresStore(pg_url) as store:
        version = store._query("SELECT value FROM llmcost_meta WHERE key = 'schema_version'")
        assert version == [(str(SCHEMA_VERSION),)]
        assert partitions(store) == {"calls_2026_11", "calls_2026_12", "calls_other"}
        assert store._query("SELECT count(*) FROM calls_2026_11") == [(20,)]
        assert store.count() == 25
        # schema 1's rows keep their keys: writing them again adds nothing
        assert store.write(old).inserted == 0


def test_idempotent_across_partitions_and_per_project(pg_url: str) -> None:
    with PostgresStore(pg_url) as store:
        assert store.write(rows(10, at=NOV)).inserted == 10
        # the same responses recorded again a month later (a replayed import): no new call
        again = store.write(rows(10, at=DEC))
        assert (again.inserted, again.duplicates) == (0, 10)
        # the same ids under another project are that project's calls
        assert store.write(rows(10, at=DEC, project="billing")).inserted == 10
        assert store.count() == 20
        assert partitions(store) == {"calls_2026_11", "calls_2026_12", "calls_other"}
        # a broken clock (year 1900) is kept, in the default partition, not lost
        assert store.write(rows(1, at=datetime(1900, 1, 1, tzinfo=UTC), key="x")).inserted == 1
        assert store._query("SELECT count(*) FROM calls_other") == [(1,)]
        # reprice finds rows in every partition
        assert store.reprice(make_pricer())[0] == 21


def test_writers_racing_into_a_new_month(pg_url: str) -> None:
    PostgresStore(pg_url).close()
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            with PostgresStore(pg_url) as store:
                for month in (1, 2, 3):
                    at = datetime(2027, month, 2, tzinfo=UTC)
                    store.write(rows(50, at=at, key=f"w{worker}-{month}-"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with PostgresStore(pg_url) as store:
        assert store.count() == 4 * 3 * 50
        assert {"calls_2027_01", "calls_2027_02", "calls_2027_03"} <= partitions(store)
