"""The PostgreSQL ledger (a team's shared ledger), through psycopg 3 (the `ledger-postgres`
extra). Same rows, rollups and SQL as SQLite; migrations under an advisory lock so that many
app processes starting at once migrate once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from llmcost_lsp.core.ledger.rows import COLUMNS, ROLLUP_FIELDS, CallRow
from llmcost_lsp.core.ledger.store import (
    SCHEMA_VERSION,
    LedgerError,
    SqlStore,
    migrations,
    upsert_sql,
)

_MIGRATION_LOCK = 7_391_553_017  # any constant: the advisory lock id of our migrations


def _safe(url: str) -> str:
    from llmcost_lsp.core.ledger.api import display_location

    return display_location(url)


class PostgresStore(SqlStore):
    kind = "postgresql"

    def __init__(self, url: str, *, connect_timeout_s: int = 5) -> None:
        try:
            import psycopg  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise LedgerError(
                "a postgresql:// ledger needs psycopg 3",
                hint="pip install 'llm-cost[ledger-postgres]'",
            ) from None
        self.url = url
        self._errors: tuple[type[Exception], ...] = (psycopg.Error,)
        try:
            self.connection: Any = psycopg.connect(
                url, autocommit=True, connect_timeout=connect_timeout_s
            )
        except psycopg.Error as error:
            raise LedgerError(f"cannot reach the ledger {_safe(url)}: {error}") from None
        try:
            self._migrate()
        except psycopg.Error as error:
            self.connection.close()
            raise LedgerError(f"the ledger {_safe(url)}: {error}") from None

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def _cursor(self) -> Any:
        return self.connection.cursor()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        try:
            with self.connection.transaction(), self.connection.cursor() as cursor:
                yield cursor
        except self._errors as error:
            raise LedgerError(f"the ledger {_safe(self.url)}: {error}") from None

    def _migrate(self) -> None:
        with self._transaction() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS llmcost_meta (key TEXT PRIMARY KEY, value TEXT)"
            )
            cursor.execute("SELECT value FROM llmcost_meta WHERE key = 'schema_version'")
            found = cursor.fetchone()
            current = int(found[0]) if found else 0
            if current > SCHEMA_VERSION:
                raise LedgerError(
                    f"the ledger {_safe(self.url)} has schema version {current}; this llm-cost "
                    f"knows up to {SCHEMA_VERSION}",
                    hint="upgrade llm-cost to read this ledger",
                )
            for version, statements in migrations("BIGINT", "TEXT"):
                if version <= current:
                    continue
                for statement in statements:
                    cursor.execute(statement)
                cursor.execute(
                    "INSERT INTO llmcost_meta VALUES ('schema_version', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [str(version)],
                )

    def _insert_calls(self, cursor: Any, rows: Sequence[CallRow]) -> list[str]:
        """COPY into a session's staging table, then one INSERT … ON CONFLICT DO NOTHING:
        COPY is PostgreSQL's fast path, the INSERT keeps the ledger idempotent."""
        columns = ", ".join(COLUMNS)
        # every time, not once: a rolled-back first batch would take the table with it
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS calls_in (LIKE calls) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY calls_in ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row.values())
        cursor.execute(
            f"INSERT INTO calls ({columns}) SELECT {columns} FROM calls_in "
            "ON CONFLICT (request_key) DO NOTHING RETURNING request_key"
        )
        return [key for (key,) in cursor.fetchall()]

    def _upsert_groups(
        self, cursor: Any, table: str, keys: Sequence[str], params: list[tuple[Any, ...]]
    ) -> None:
        """COPY the batch's groups to a staging table, then one upsert of them all."""
        names = ", ".join((*keys, *ROLLUP_FIELDS))
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {table}_in (LIKE {table}) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY {table}_in ({names}) FROM STDIN") as copy:
            for group in params:
                copy.write_row(group)
        cursor.execute(upsert_sql(table, keys, f"SELECT {names} FROM {table}_in"))

    def close(self) -> None:
        self.connection.close()
