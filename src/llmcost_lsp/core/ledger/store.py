"""The ledger store: rows + write-time rollups over a DB-API connection (SQLite or PostgreSQL).

Both dialects share the SQL (`?` placeholders become `%s` for psycopg); they differ in how a
transaction starts and in the column types of the migrations. A write is one transaction:
rows inserted idempotently by request key (`ON CONFLICT DO NOTHING RETURNING`), and only the
rows really inserted are added to the rollups, so a retry or a duplicate never counts twice and a
killed process leaves either the whole batch or none of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.ledger.price import Pricer
from llmcost_lsp.core.ledger.rows import (
    COLUMNS,
    ROLLUP_FIELDS,
    CallRow,
    PromptDayKey,
    Rollups,
    Totals,
    UserDayKey,
    day_of,
    totals_from,
)

SCHEMA_VERSION = 2
_BATCH_ROWS = 400  # 22 columns × 400 rows stays far below every driver's parameter limit


class LedgerError(LlmCostError):
    """The ledger cannot be opened, read or written (locked, corrupt, unreachable, newer)."""

    default_code = "ledger-error"


@dataclass(frozen=True)
class WriteResult:
    inserted: int
    duplicates: int


def _calls_table(name: str, integer: str, text: str, unique: str) -> str:
    return f"""CREATE TABLE {name} (
        request_key {text} NOT NULL, ts {integer} NOT NULL,
        project {text} NOT NULL, prompt_id {text} NOT NULL, model {text} NOT NULL,
        model_id {text}, provider {text} NOT NULL, service_tier {text} NOT NULL,
        input_tokens {integer} NOT NULL, cache_read_tokens {integer} NOT NULL,
        cache_write_5m_tokens {integer} NOT NULL,
        cache_write_1h_tokens {integer} NOT NULL, output_tokens {integer} NOT NULL,
        reasoning_tokens {integer} NOT NULL, cost_pusd {integer},
        list_cost_pusd {integer}, price_id {text}, price_db {text},
        user_id {text} NOT NULL, session_id {text} NOT NULL, tags {text} NOT NULL,
        source {text} NOT NULL{unique})"""


def migrations(integer: str, text: str) -> list[tuple[int, list[str]]]:
    """Versioned schema steps shared by both dialects; `integer`/`text` are the dialect's
    column types. A store replaces the steps it does differently (`PostgresStore`)."""
    token_cols = ", ".join(
        f"{name} {integer} NOT NULL DEFAULT 0"
        for name in ROLLUP_FIELDS
        if name not in ("first_ts", "last_ts")
    )
    return [
        (
            1,
            [
                _calls_table("calls", integer, text, ", UNIQUE (request_key)"),
                "CREATE INDEX calls_ts ON calls (ts)",
                f"""CREATE TABLE rollup_prompt (
                    day {text} NOT NULL, project {text} NOT NULL, prompt_id {text} NOT NULL,
                    model {text} NOT NULL, {token_cols},
                    first_ts {integer}, last_ts {integer},
                    PRIMARY KEY (day, project, prompt_id, model))""",
                f"""CREATE TABLE rollup_user (
                    day {text} NOT NULL, project {text} NOT NULL, user_id {text} NOT NULL,
                    {token_cols}, first_ts {integer}, last_ts {integer},
                    PRIMARY KEY (day, project, user_id))""",
            ],
        ),
        (
            # A call is unique per project, not across the ledger: with row-level security a
            # team cannot see another's rows, so a global key would let one team's writer
            # claim another's response ids first and make that team's real calls vanish as
            # "duplicates". (SQLite rebuilds the table: it cannot change a constraint.)
            2,
            [
                _calls_table("calls_v2", integer, text, ", UNIQUE (project, request_key)"),
                f"INSERT INTO calls_v2 ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} "
                "FROM calls",
                "DROP TABLE calls",
                "ALTER TABLE calls_v2 RENAME TO calls",
                "CREATE INDEX calls_ts ON calls (ts)",
            ],
        ),
    ]


def _marks(keys: Sequence[str]) -> str:
    return ", ".join("?" for _ in (*keys, *ROLLUP_FIELDS))


def upsert_sql(table: str, keys: Sequence[str], source: str) -> str:
    """Add `source`'s groups (a VALUES row or a SELECT) to the rollup `table`."""
    names = (*keys, *ROLLUP_FIELDS)
    sums = ", ".join(
        f"{name} = {table}.{name} + excluded.{name}"
        for name in ROLLUP_FIELDS
        if name not in ("first_ts", "last_ts")
    )
    bounds = (
        f"first_ts = CASE WHEN {table}.first_ts IS NULL OR excluded.first_ts < {table}.first_ts "
        f"THEN excluded.first_ts ELSE {table}.first_ts END, "
        f"last_ts = CASE WHEN {table}.last_ts IS NULL OR excluded.last_ts > {table}.last_ts "
        f"THEN excluded.last_ts ELSE {table}.last_ts END"
    )
    return (
        f"INSERT INTO {table} ({', '.join(names)}) {source} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sums}, {bounds}"
    )


_PROMPT_KEYS = ("day", "project", "prompt_id", "model")
_USER_KEYS = ("day", "project", "user_id")


class SqlStore:
    """The shared SQL of both stores. Subclasses give `connection`, `_transaction` and `_sql`."""

    url: str
    kind: str

    def _sql(self, text: str) -> str:
        return text

    def _transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _cursor(self) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def write(self, rows: Sequence[CallRow]) -> WriteResult:
        """Insert `rows` and their rollups in one transaction; duplicates are skipped."""
        if not rows:
            return WriteResult(0, 0)
        by_key = {(row.project, row.request_key): row for row in rows}
        self._before_write(list(by_key.values()))
        with self._transaction() as cursor:
            keys = self._insert_calls(cursor, list(by_key.values()))
            inserted = [by_key[key] for key in keys]
            self._add_rollups(cursor, inserted)
        return WriteResult(len(inserted), len(rows) - len(inserted))

    def _before_write(self, rows: Sequence[CallRow]) -> None:
        """What must exist before the write transaction starts (PostgreSQL's partitions)."""

    def _insert_calls(self, cursor: Any, rows: Sequence[CallRow]) -> list[tuple[str, str]]:
        """Insert rows whose (project, key) is new; returns the (project, key) really
        inserted."""
        keys: list[tuple[str, str]] = []
        one = "(" + ", ".join("?" for _ in COLUMNS) + ")"
        for start in range(0, len(rows), _BATCH_ROWS):
            chunk = rows[start : start + _BATCH_ROWS]
            sql = (
                f"INSERT INTO calls ({', '.join(COLUMNS)}) VALUES "
                + ", ".join(one for _ in chunk)
                + " ON CONFLICT (project, request_key) DO NOTHING RETURNING project, request_key"
            )
            cursor.execute(self._sql(sql), [v for row in chunk for v in row.values()])
            keys.extend((project, key) for project, key in cursor.fetchall())
        return keys

    def _add_rollups(self, cursor: Any, rows: Sequence[CallRow]) -> None:
        rollups = Rollups()
        for row in rows:
            rollups.add(row)
        self._upsert(cursor, rollups)

    def _upsert(self, cursor: Any, rollups: Rollups) -> None:
        for table, keys, items in (
            ("rollup_prompt", _PROMPT_KEYS, rollups.by_prompt.items()),
            ("rollup_user", _USER_KEYS, rollups.by_user.items()),
        ):
            params = [
                (*_key_values(key), *(getattr(totals, name) for name in ROLLUP_FIELDS))
                for key, totals in items
            ]
            if params:
                self._upsert_groups(cursor, table, keys, params)

    def _upsert_groups(
        self, cursor: Any, table: str, keys: Sequence[str], params: list[tuple[Any, ...]]
    ) -> None:
        cursor.executemany(self._sql(upsert_sql(table, keys, f"VALUES ({_marks(keys)})")), params)

    # -- reading ---------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._cursor()
        try:
            cursor.execute(self._sql(sql), list(params))
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def count(self) -> int:
        return int(self._query("SELECT count(*) FROM calls")[0][0])

    def prompt_rollups(
        self, since_day: str | None = None, until_day: str | None = None, project: str | None = None
    ) -> list[tuple[PromptDayKey, Totals]]:
        """Rollup rows (day, project, prompt, model) with `since_day <= day < until_day`."""
        where, params = _day_filter(since_day, until_day, project)
        fields = ", ".join(ROLLUP_FIELDS)
        rows = self._query(
            f"SELECT day, project, prompt_id, model, {fields} FROM rollup_prompt{where}", params
        )
        return [(PromptDayKey(*row[:4]), _totals(row[4:])) for row in rows]

    def prompt_totals(
        self, since_day: str | None = None, until_day: str | None = None, project: str | None = None
    ) -> list[tuple[tuple[str, str], Totals]]:
        """Totals per (prompt, model) summed in the database: the month-by-prompt query."""
        where, params = _day_filter(since_day, until_day, project)
        sums = ", ".join(
            f"sum({name})" for name in ROLLUP_FIELDS if name not in ("first_ts", "last_ts")
        )
        rows = self._query(
            f"SELECT prompt_id, model, {sums}, min(first_ts), max(last_ts) FROM rollup_prompt"
            f"{where} GROUP BY prompt_id, model",
            params,
        )
        return [((row[0], row[1]), _totals(row[2:])) for row in rows]

    def user_rollups(
        self, since_day: str | None = None, until_day: str | None = None, project: str | None = None
    ) -> list[tuple[UserDayKey, Totals]]:
        where, params = _day_filter(since_day, until_day, project)
        fields = ", ".join(ROLLUP_FIELDS)
        rows = self._query(
            f"SELECT day, project, user_id, {fields} FROM rollup_user{where}", params
        )
        return [(UserDayKey(*row[:3]), _totals(row[3:])) for row in rows]

    def iter_rows(
        self, since_ts: int | None = None, until_ts: int | None = None, batch: int = 5000
    ) -> Iterator[CallRow]:
        """Raw rows in time order, read in batches (memory does not grow with the ledger)."""
        last: tuple[int, str, str] = (
            (since_ts - 1) if since_ts is not None else -(2**62),
            "\uffff",
            "\uffff",
        )
        end = until_ts if until_ts is not None else 2**62
        columns = ", ".join(COLUMNS)
        while True:
            # keyset paging on (ts, project, key): a key is unique per project only
            rows = self._query(
                f"SELECT {columns} FROM calls WHERE (ts > ? OR (ts = ? AND (project > ? OR "
                "(project = ? AND request_key > ?)))) AND ts < ? "
                f"ORDER BY ts, project, request_key LIMIT {int(batch)}",
                (last[0], last[0], last[1], last[1], last[2], end),
            )
            if not rows:
                return
            for values in rows:
                yield CallRow(*values)
            last = (rows[-1][1], rows[-1][2], rows[-1][0])

    # -- repricing -------------------------------------------------------------------------

    def reprice(
        self,
        pricer: Pricer,
        since_ts: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[int, int]:
        """Price every call since `since_ts` again (after a price DB update or an override
        change) and rebuild the rollups of those days. Returns (calls read, calls changed).
        Idempotent: a second run changes nothing."""
        from dataclasses import replace

        from llmcost_lsp.core.ledger.rows import parse_day

        start = since_ts
        if start is not None:  # rollups are per day: reprice whole days
            start = _day_start(day_of(start))
        read = changed = 0
        with self._transaction() as cursor:
            rollups = Rollups()
            updates = []
            for row in list(self.iter_rows(start)):
                read += 1
                price = pricer.price(row.usage(), parse_day(row.day), row.service_tier or None)
                new = replace(
                    row,
                    model_id=price.model_id,
                    cost_pusd=price.cost_pusd,
                    list_cost_pusd=price.list_cost_pusd,
                    price_id=price.price_id,
                    price_db=pricer.version if price.cost_pusd is not None else None,
                )
                if new != row:
                    changed += 1
                    updates.append(
                        (new.model_id, new.cost_pusd, new.list_cost_pusd, new.price_id,
                         new.price_db, new.project, new.request_key, new.ts)
                    )  # fmt: skip
                rollups.add(new)
                if progress and read % 10_000 == 0:
                    progress(read)
            if updates:
                cursor.executemany(
                    self._sql(
                        "UPDATE calls SET model_id = ?, cost_pusd = ?, list_cost_pusd = ?, "
                        "price_id = ?, price_db = ? "
                        "WHERE project = ? AND request_key = ? AND ts = ?"
                    ),
                    updates,
                )
            if start is None:
                cursor.execute("DELETE FROM rollup_prompt")
                cursor.execute("DELETE FROM rollup_user")
            else:
                day = day_of(start)
                cursor.execute(self._sql("DELETE FROM rollup_prompt WHERE day >= ?"), [day])
                cursor.execute(self._sql("DELETE FROM rollup_user WHERE day >= ?"), [day])
            self._upsert(cursor, rollups)
        return read, changed


def _day_start(day: str) -> int:
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000


def _key_values(key: PromptDayKey | UserDayKey) -> tuple[str, ...]:
    if isinstance(key, PromptDayKey):
        return (key.day, key.project, key.prompt_id, key.model)
    return (key.day, key.project, key.user_id)


def _totals(values: Sequence[Any]) -> Totals:
    # PostgreSQL's sum(bigint) is numeric (a Decimal): back to exact ints
    return totals_from(None if v is None else int(v) for v in values)


def _day_filter(
    since_day: str | None, until_day: str | None, project: str | None
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if since_day is not None:
        clauses.append("day >= ?")
        params.append(since_day)
    if until_day is not None:
        clauses.append("day < ?")
        params.append(until_day)
    if project is not None:
        clauses.append("project = ?")
        params.append(project)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def open_store(location: str) -> SqlStore:
    """The store at `location`: a `postgresql://` URL, else an SQLite file path."""
    if location.startswith(("postgresql://", "postgres://")):
        from llmcost_lsp.core.ledger.postgres import PostgresStore

        return PostgresStore(location)
    from pathlib import Path

    from llmcost_lsp.core.ledger.sqlite import SqliteLedger

    return SqliteLedger(Path(location.removeprefix("sqlite:///").removeprefix("sqlite://")))
