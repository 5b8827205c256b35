"""A PostgreSQL ledger backed up with pg_dump -Fc and restored with pg_restore into a new
database of the real server, as docs/actuals.md says: the same calls and rollups, the month
partitions, the team policies and the partition function all come back, and the restored
ledger takes new writes (a new month too) and stays idempotent."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

from llmcost_lsp.core.ledger import access
from llmcost_lsp.core.ledger.postgres import PostgresStore
from llmcost_lsp.core.ledger.rows import micros

from .conftest import _binary, _missing
from .test_postgres_access import rows


def _tool(name: str) -> str:
    found = _binary(name)
    if found is None:
        _missing(f"PostgreSQL's {name} is not installed")
    assert found
    return found


def test_pg_dump_and_pg_restore(pg_url: str, pg_server: str, tmp_path: Path) -> None:
    import psycopg

    with PostgresStore(pg_url) as store:
        access.install(store)
        store.write(rows(40, "A") + rows(10, "B"))
        store.write(rows(5, "A", key="dec", at=micros(datetime(2026, 12, 3, tzinfo=UTC))))
        before = (store.count(), sorted(store.prompt_totals(), key=str))
    dump = tmp_path / "ledger.dump"
    host, port = pg_url.split("@")[1].split("/")[0].split(":")
    connection = ["-h", host, "-p", port, "-U", "postgres"]
    subprocess.run([_tool("pg_dump"), *connection, "-Fc", "-f", str(dump),
                    pg_url.rsplit("/", 1)[1]], check=True, timeout=120)  # fmt: skip
    restored_name = f"restored_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {restored_name}")
    subprocess.run([_tool("pg_restore"), *connection, "--exit-on-error", "-d", restored_name,
                    str(dump)], check=True, timeout=120)  # fmt: skip
    restored = pg_server.rsplit("/", 1)[0] + f"/{restored_name}"
    with PostgresStore(restored) as store:
        assert (store.count(), sorted(store.prompt_totals(), key=str)) == before
        names = {n for (n,) in store._query("SELECT tablename FROM pg_tables")}
        assert {"calls_2026_11", "calls_2026_12", "call_keys"} <= names
        policies = store._query("SELECT count(*) FROM pg_policies WHERE tablename = 'calls'")
        assert policies == [(4,)]
        assert store.write(rows(40, "A")).inserted == 0  # keys came back: still idempotent
        later = micros(datetime(2027, 1, 5, tzinfo=UTC))
        assert store.write(rows(3, "A", key="jan", at=later)).inserted == 3
        assert store.count() == before[0] + 3
