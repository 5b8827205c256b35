"""The PostgreSQL ledger (a team's shared ledger), through psycopg 3 (the `ledger-postgres`
extra). Same rows, rollups and SQL as SQLite; migrations under an advisory lock so that many
app processes starting at once migrate once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from llmcost_lsp.core.ledger.store import SCHEMA_VERSION, LedgerError, SqlStore, migrations

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

    def close(self) -> None:
        self.connection.close()
