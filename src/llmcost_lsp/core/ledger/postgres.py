"""The PostgreSQL ledger (a team's shared ledger), through psycopg 3 (the `ledger-postgres`
extra). Same rows, rollups and SQL as SQLite; migrations under an advisory lock so that many
app processes starting at once migrate once.

From schema 2 the calls table is partitioned by month of `ts` (`calls_2026_11`, ...), so an
old month is dropped or archived whole instead of DELETEd row by row (the bloat LiteLLM's
spend logs suffer). A unique constraint of a partitioned table must hold the partition key,
which would make a retry at another time a new call: idempotency lives in `call_keys`
(project, request_key) instead, filled in the same statement as the calls. Partitions are made
by `llmcost_month_partition(ts)`, a SECURITY DEFINER function, so a writer role that owns no
table can still write the first call of a month."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from llmcost_lsp.core.ledger.rows import COLUMNS, ROLLUP_FIELDS, CallRow, day_of
from llmcost_lsp.core.ledger.store import (
    SCHEMA_VERSION,
    LedgerError,
    SqlStore,
    migrations,
    upsert_sql,
)

_MIGRATION_LOCK = 7_391_553_017  # any constant: the advisory lock id of our migrations
_BUDGET_LOCK = 739_155  # with hashtext(project): the advisory lock of a project's budgets


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
        self._months: set[str] = set()
        self._staged: set[str] = set()  # staging tables this session has
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
        except BaseException as error:
            self._staged.clear()  # a rolled-back transaction takes the tables it made along
            if isinstance(error, self._errors):
                raise LedgerError(f"the ledger {_safe(self.url)}: {error}") from None
            raise

    def _stage(self, cursor: Any, table: str) -> str:
        """`<table>_in`, a temporary copy of `table` emptied at every commit, made once."""
        staged = f"{table}_in"
        if staged not in self._staged:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {staged} (LIKE {table}) ON COMMIT DELETE ROWS"
            )
            self._staged.add(staged)
        return staged

    @contextmanager
    def budget_transaction(self, project: str) -> Iterator[Any]:
        """A transaction holding the project's budget lock until it ends: reservations and
        settlements of one project are serialised, whatever row they touch."""
        with self._transaction() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_BUDGET_LOCK, project]
            )
            yield cursor

    def _migrate(self) -> None:
        with self._transaction() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
            # checked before creating: a writer role may not create tables (even "IF NOT
            # EXISTS" asks for the right first)
            cursor.execute("SELECT to_regclass('llmcost_meta') IS NOT NULL")
            if not cursor.fetchone()[0]:
                cursor.execute("CREATE TABLE llmcost_meta (key TEXT PRIMARY KEY, value TEXT)")
            cursor.execute("SELECT value FROM llmcost_meta WHERE key = 'schema_version'")
            found = cursor.fetchone()
            current = int(found[0]) if found else 0
            if current > SCHEMA_VERSION:
                raise LedgerError(
                    f"the ledger {_safe(self.url)} has schema version {current}; this llm-cost "
                    f"knows up to {SCHEMA_VERSION}",
                    hint="upgrade llm-cost to read this ledger",
                )
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
            steps = dict(migrations("BIGINT", "TEXT"))
            steps[2] = _partition_steps(schema)
            for version, statements in sorted(steps.items()):
                if version <= current:
                    continue
                for statement in statements:
                    cursor.execute(statement)
                cursor.execute(
                    "INSERT INTO llmcost_meta VALUES ('schema_version', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [str(version)],
                )

    def _before_write(self, rows: Sequence[CallRow]) -> None:
        """Make the month partitions of `rows` that this connection has not seen yet, each in
        its own short transaction: made inside the write transaction, two writers holding
        row locks on `calls` would deadlock on the partition's lock."""
        months: dict[str, int] = {}
        for row in rows:
            months.setdefault(day_of(row.ts)[:7], row.ts)
        for month, ts in months.items():
            if month not in self._months:
                with self._transaction() as cursor:
                    cursor.execute("SELECT llmcost_month_partition(%s)", [ts])
                self._months.add(month)

    def _insert_calls(self, cursor: Any, rows: Sequence[CallRow]) -> list[tuple[str, str]]:
        """COPY into a session's staging table, then one statement that claims the new keys
        in `call_keys` and inserts just those calls: COPY is PostgreSQL's fast path, the key
        table keeps the ledger idempotent across partitions."""
        columns = ", ".join(COLUMNS)
        self._stage(cursor, "calls")
        with cursor.copy(f"COPY calls_in ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row.values())
        picked = ", ".join(f"c.{name}" for name in COLUMNS)
        cursor.execute(
            "WITH new AS (INSERT INTO call_keys (project, request_key, ts) "
            "SELECT project, request_key, ts FROM calls_in "
            "ON CONFLICT (project, request_key) DO NOTHING RETURNING project, request_key), "
            f"added AS (INSERT INTO calls ({columns}) SELECT {picked} FROM calls_in c "
            "JOIN new USING (project, request_key)) "
            "SELECT project, request_key FROM new"
        )
        return [(project, key) for project, key in cursor.fetchall()]

    def _upsert_groups(
        self,
        cursor: Any,
        table: str,
        keys: Sequence[str],
        params: list[tuple[Any, ...]],
        stamps: Sequence[str] = (),
    ) -> None:
        """COPY the batch's groups to a staging table, then one upsert of them all."""
        names = ", ".join((*keys, *ROLLUP_FIELDS, *stamps))
        staged = self._stage(cursor, table)
        with cursor.copy(f"COPY {staged} ({names}) FROM STDIN") as copy:
            for group in params:
                copy.write_row(group)
        cursor.execute(upsert_sql(table, keys, f"SELECT {names} FROM {staged}", stamps))

    def close(self) -> None:
        self.connection.close()


def _partition_steps(schema: str) -> list[str]:
    """Schema 2 on PostgreSQL: `calls` partitioned by month (rows of an existing ledger moved
    over), keys in `call_keys`, and the function that makes a month's partition."""
    from llmcost_lsp.core.ledger.store import _calls_table

    q = '"' + schema.replace('"', '""') + '"'
    columns = ", ".join(COLUMNS)
    return [
        """CREATE TABLE call_keys (project TEXT NOT NULL, request_key TEXT NOT NULL,
            ts BIGINT NOT NULL, PRIMARY KEY (project, request_key))""",
        "INSERT INTO call_keys (project, request_key, ts) "
        "SELECT project, request_key, ts FROM calls",
        "CREATE INDEX call_keys_ts ON call_keys (ts)",
        "ALTER TABLE calls RENAME TO calls_v1",
        "ALTER INDEX calls_ts RENAME TO calls_v1_ts",
        _calls_table("calls", "BIGINT", "TEXT", "") + " PARTITION BY RANGE (ts)",
        "CREATE INDEX calls_ts ON calls (ts)",
        "CREATE INDEX calls_key ON calls (project, request_key)",
        # rows far outside 1970-2999 (a broken clock) land here instead of failing the batch
        "CREATE TABLE calls_other PARTITION OF calls DEFAULT",
        f"""CREATE FUNCTION llmcost_month_partition(at_ts BIGINT) RETURNS TEXT
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
            DECLARE
              month TIMESTAMP := date_trunc('month', to_timestamp(at_ts / 1000000.0)
                                                     AT TIME ZONE 'UTC');
              name TEXT := 'calls_' || to_char(month, 'YYYY_MM');
            BEGIN
              IF extract(year FROM month) NOT BETWEEN 1970 AND 2999 THEN
                RETURN 'calls_other';
              END IF;
              IF to_regclass(format('%I.%I', {_literal(schema)}, name)) IS NOT NULL THEN
                RETURN name;
              END IF;
              -- the lock queues racing writers; the catalog a statement sees can predate
              -- the winner's commit, so "already exists" is caught rather than checked
              PERFORM pg_advisory_xact_lock(hashtext({_literal(schema)} || '.' || name));
              BEGIN
                EXECUTE format('CREATE TABLE {q}.%I PARTITION OF {q}.calls '
                               'FOR VALUES FROM (%s) TO (%s)', name,
                               (extract(epoch FROM month) * 1000000)::BIGINT,
                               (extract(epoch FROM month + interval '1 month') * 1000000)::BIGINT);
              EXCEPTION WHEN duplicate_table THEN
                NULL;
              END;
              RETURN name;
            END $$""",
        "SELECT llmcost_month_partition(ts) FROM "
        "(SELECT min(ts) AS ts FROM calls_v1 GROUP BY ts / 86400000000) AS days",
        f"INSERT INTO calls ({columns}) SELECT {columns} FROM calls_v1",
        "DROP TABLE calls_v1",
    ]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
