"""The ledger store: rows + write-time rollups over a DB-API connection (SQLite or PostgreSQL).

Both dialects share the SQL (`?` placeholders become `%s` for psycopg); they differ in how a
transaction starts and in the column types of the migrations. A write is one transaction:
rows inserted idempotently by request key (`ON CONFLICT DO NOTHING RETURNING`), and only the
rows really inserted are added to the rollups, so a retry or a duplicate never counts twice and a
killed process leaves either the whole batch or none of it.
"""

from __future__ import annotations

import functools
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
    MonthKey,
    PromptDayKey,
    Rollups,
    Totals,
    UserDayKey,
    day_of,
    totals_from,
)

SCHEMA_VERSION = 5
HOUR_US = 3_600_000_000
DAY_US = 86_400_000_000
_BATCH_ROWS = 400  # 22 columns × 400 rows stays far below every driver's parameter limit


class LedgerError(LlmCostError):
    """The ledger cannot be opened, read or written (locked, corrupt, unreachable, newer)."""

    default_code = "ledger-error"


@dataclass(frozen=True)
class WriteResult:
    inserted: int
    duplicates: int


@dataclass(frozen=True)
class WriterStats:
    """A recorder's counters, kept in the ledger (`recorders`) so that a separate process
    (the metrics exporter) can report dropped calls and when each writer last wrote."""

    recorder_id: str
    project: str
    host: str
    pid: int
    started_ts: int
    seen_ts: int  # when it last wrote (µs)
    recorded: int
    written: int
    duplicates: int
    dropped: int
    rejected: int
    write_errors: int


@dataclass(frozen=True)
class ComponentGroup:
    """Sums of the calls of one prompt, model, UTC day, service tier and input-size bracket
    (`core.ledger.efficiency`)."""

    prompt_id: str
    model: str  # the price DB's id when known, else as reported
    day: str
    service_tier: str
    calls: int
    unpriced: int
    input_tokens: int
    cache_read_tokens: int
    cache_write_5m_tokens: int
    cache_write_1h_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_pusd: int  # the priced calls
    max_input_tokens: int  # the largest call: every call of the group is in its bracket


def bracket_sql(thresholds: Sequence[int]) -> str:
    """How many of `thresholds` (integers) a call's input passes: its input-size bracket."""
    if not thresholds:
        return "0"
    return " + ".join(
        f"(CASE WHEN input_tokens > {int(limit)} THEN 1 ELSE 0 END)" for limit in thresholds
    )


GROUP_SUMS = (
    "count(*), count(*) - count(cost_pusd), sum(input_tokens), sum(cache_read_tokens), "
    "sum(cache_write_5m_tokens), sum(cache_write_1h_tokens), sum(output_tokens), "
    "sum(reasoning_tokens), coalesce(sum(cost_pusd), 0), max(input_tokens)"
)


# the Totals of a group of raw calls, in ROLLUP_FIELDS order (list cost of the priced calls)
RAW_SUMS = (
    "count(*), count(*) - count(cost_pusd), sum(input_tokens), sum(cache_read_tokens), "
    "sum(cache_write_5m_tokens), sum(cache_write_1h_tokens), sum(output_tokens), "
    "sum(reasoning_tokens), coalesce(sum(cost_pusd), 0), "
    "coalesce(sum(CASE WHEN cost_pusd IS NULL THEN 0 ELSE coalesce(list_cost_pusd, 0) END), 0), "
    "min(ts), max(ts)"
)


def component_group(row: Sequence[Any], day: str) -> ComponentGroup:
    return ComponentGroup(
        str(row[0]), str(row[1]), day, str(row[3]), *(int(v or 0) for v in row[5:15])
    )


def stats_from(row: Sequence[Any]) -> WriterStats:
    """A `recorders` row as read back (drivers give numbers as int or Decimal)."""
    return WriterStats(str(row[0]), str(row[1]), str(row[2]), *(int(v) for v in row[3:]))


def repriced(row: CallRow, pricer: Pricer) -> CallRow:
    """`row` priced again with `pricer` (the same row when nothing changed)."""
    from dataclasses import replace

    from llmcost_lsp.core.ledger.rows import parse_day

    price = pricer.price(row.usage(), parse_day(row.day), row.service_tier or None)
    return replace(
        row,
        model_id=price.model_id,
        cost_pusd=price.cost_pusd,
        list_cost_pusd=price.list_cost_pusd,
        price_id=price.price_id,
        price_db=pricer.version if price.cost_pusd is not None else None,
    )


def keyset_start(since_ts: int | None) -> tuple[int, str, str]:
    """Where paging on (ts, project, request_key) starts: just before `since_ts`."""
    return ((since_ts - 1) if since_ts is not None else -(2**62), "\uffff", "\uffff")


STAT_FIELDS = (
    "recorder_id", "project", "host", "pid", "started_ts", "seen_ts", "recorded", "written",
    "duplicates", "dropped", "rejected", "write_errors",
)  # fmt: skip


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
        (
            3,
            [
                f"""CREATE TABLE rollup_month (
                    month {text} NOT NULL, project {text} NOT NULL, prompt_id {text} NOT NULL,
                    model {text} NOT NULL, {token_cols},
                    first_ts {integer}, last_ts {integer}, seq {integer} NOT NULL DEFAULT 0,
                    PRIMARY KEY (month, project, prompt_id, model))""",
                # the write that last changed a month row: an exporter reads only the rows
                # changed since its previous scrape (seq is taken under the write lock, so it
                # grows in commit order)
                "CREATE INDEX rollup_month_seq ON rollup_month (month, seq)",
                f"CREATE TABLE ledger_seq (n {integer} NOT NULL)",
                "INSERT INTO ledger_seq (n) VALUES (0)",
                "INSERT INTO rollup_month (month, project, prompt_id, model, "
                + ", ".join(ROLLUP_FIELDS)
                + ") SELECT substr(day, 1, 7), project, prompt_id, model, "
                + ", ".join(
                    f"sum({name})" for name in ROLLUP_FIELDS if name not in ("first_ts", "last_ts")
                )
                + ", min(first_ts), max(last_ts) FROM rollup_prompt "
                "GROUP BY substr(day, 1, 7), project, prompt_id, model",
                f"""CREATE TABLE recorders (
                    recorder_id {text} PRIMARY KEY, project {text} NOT NULL,
                    host {text} NOT NULL, pid {integer} NOT NULL, started_ts {integer} NOT NULL,
                    seen_ts {integer} NOT NULL, recorded {integer} NOT NULL,
                    written {integer} NOT NULL, duplicates {integer} NOT NULL,
                    dropped {integer} NOT NULL, rejected {integer} NOT NULL,
                    write_errors {integer} NOT NULL)""",
            ],
        ),
        (
            # alerts delivered (or being delivered) per destination: `actuals alerts` sends
            # each alert once per destination, however often it runs (core/ledger/alerts.py)
            4,
            [
                f"""CREATE TABLE alerts_sent (
                    alert_key {text} NOT NULL, destination {text} NOT NULL,
                    project {text} NOT NULL, kind {text} NOT NULL,
                    claimed_ts {integer} NOT NULL, sent_ts {integer},
                    PRIMARY KEY (alert_key, destination))""",
            ],
        ),
        (
            # budgets before the call (core/ledger/guard.py): each open reservation holds a
            # call's estimate until the call settles; each swap or refusal is kept with its
            # reason, and, once settled, the call's cost and what it would have cost on the
            # model it was moved from
            5,
            [
                f"""CREATE TABLE reservations (
                    reservation_id {text} PRIMARY KEY, project {text} NOT NULL,
                    prompt_id {text} NOT NULL, model {text} NOT NULL, month {text} NOT NULL,
                    amount_pusd {integer} NOT NULL, created_ts {integer} NOT NULL,
                    expires_ts {integer} NOT NULL)""",
                "CREATE INDEX reservations_month ON reservations (month, project)",
                "CREATE INDEX reservations_expiry ON reservations (expires_ts)",
                f"""CREATE TABLE budget_decisions (
                    decision_id {text} PRIMARY KEY, ts {integer} NOT NULL,
                    project {text} NOT NULL, prompt_id {text} NOT NULL, action {text} NOT NULL,
                    preferred_model {text} NOT NULL, chosen_model {text} NOT NULL,
                    scope {text} NOT NULL, reason {text} NOT NULL,
                    preferred_estimate_pusd {integer}, chosen_estimate_pusd {integer},
                    request_key {text}, cost_pusd {integer}, preferred_cost_pusd {integer})""",
                "CREATE INDEX budget_decisions_ts ON budget_decisions (ts)",
            ],
        ),
    ]


@functools.cache
def _marks(keys: Sequence[str], stamps: Sequence[str] = ()) -> str:
    return ", ".join("?" for _ in (*keys, *ROLLUP_FIELDS, *stamps))


@functools.cache  # the same few statements on every write
def upsert_sql(table: str, keys: Sequence[str], source: str, stamps: Sequence[str] = ()) -> str:
    """Add `source`'s groups (a VALUES row or a SELECT) to the rollup `table`; the columns
    `stamps` (after the sums in `source`) are replaced, not added."""
    names = (*keys, *ROLLUP_FIELDS, *stamps)
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
    replaced = "".join(f", {name} = excluded.{name}" for name in stamps)
    return (
        f"INSERT INTO {table} ({', '.join(names)}) {source} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sums}, {bounds}{replaced}"
    )


_PROMPT_KEYS = ("day", "project", "prompt_id", "model")
_USER_KEYS = ("day", "project", "user_id")
_MONTH_KEYS = ("month", "project", "prompt_id", "model")


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

    def write(self, rows: Sequence[CallRow], stats: WriterStats | None = None) -> WriteResult:
        """Insert `rows` and their rollups in one transaction; duplicates are skipped.
        `stats` (the writer's counters before this batch) is stored with it, counting it."""
        if not rows and stats is None:
            return WriteResult(0, 0)
        self._before_write(rows)
        with self._transaction() as cursor:
            return self.write_in(cursor, rows, stats)

    def write_in(
        self, cursor: Any, rows: Sequence[CallRow], stats: WriterStats | None = None
    ) -> WriteResult:
        """`write` inside a transaction the caller holds (after `_before_write(rows)`): a
        settled call is written in the same transaction that releases its reservation."""
        by_key = {(row.project, row.request_key): row for row in rows}
        keys = self._insert_calls(cursor, list(by_key.values())) if by_key else []
        inserted = [by_key[key] for key in keys]
        self._add_rollups(cursor, inserted)
        result = WriteResult(len(inserted), len(rows) - len(inserted))
        if stats is not None:
            self._save_stats(cursor, stats, result)
        return result

    def budget_transaction(self, project: str) -> AbstractContextManager[Any]:
        """A write transaction that no other budget transaction of `project` runs beside
        (core/ledger/guard.py): SQLite's write lock serialises every writer already;
        PostgreSQL takes an advisory lock (`PostgresStore`)."""
        return self._transaction()

    def _save_stats(self, cursor: Any, stats: WriterStats, result: WriteResult) -> None:
        from dataclasses import astuple, replace

        row = replace(
            stats,
            written=stats.written + result.inserted,
            duplicates=stats.duplicates + result.duplicates,
        )
        counters = ", ".join(f"{name} = excluded.{name}" for name in STAT_FIELDS[1:])
        cursor.execute(
            self._sql(
                f"INSERT INTO recorders ({', '.join(STAT_FIELDS)}) VALUES "
                f"({', '.join('?' for _ in STAT_FIELDS)}) "
                f"ON CONFLICT (recorder_id) DO UPDATE SET {counters}"
            ),
            list(astuple(row)),
        )

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
        if not rollups.by_prompt:
            return
        cursor.execute("UPDATE ledger_seq SET n = n + 1 RETURNING n")
        seq = int(cursor.fetchone()[0])  # holds the write lock on ledger_seq until commit
        for table, keys, items, stamp in (
            ("rollup_prompt", _PROMPT_KEYS, rollups.by_prompt.items(), ()),
            ("rollup_user", _USER_KEYS, rollups.by_user.items(), ()),
            ("rollup_month", _MONTH_KEYS, rollups.by_month.items(), (seq,)),
        ):
            params = [
                (*_key_values(key), *(getattr(totals, name) for name in ROLLUP_FIELDS), *stamp)
                for key, totals in items
            ]
            if params:
                stamps = ("seq",) if stamp else ()
                self._upsert_groups(cursor, table, keys, params, stamps)

    def _upsert_groups(
        self,
        cursor: Any,
        table: str,
        keys: Sequence[str],
        params: list[tuple[Any, ...]],
        stamps: Sequence[str] = (),
    ) -> None:
        sql = upsert_sql(table, keys, f"VALUES ({_marks(keys, stamps)})", stamps)
        cursor.executemany(self._sql(sql), params)

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

    def user_totals(
        self, since_day: str | None = None, until_day: str | None = None, project: str | None = None
    ) -> list[tuple[str, Totals]]:
        """Totals per user summed in the database from the day × user rollup."""
        where, params = _day_filter(since_day, until_day, project)
        sums = ", ".join(
            f"sum({name})" for name in ROLLUP_FIELDS if name not in ("first_ts", "last_ts")
        )
        rows = self._query(
            f"SELECT user_id, {sums}, min(first_ts), max(last_ts) FROM rollup_user{where} "
            "GROUP BY user_id",
            params,
        )
        return [(str(row[0]), _totals(row[1:])) for row in rows]

    def session_totals(
        self, since_ts: int | None = None, until_ts: int | None = None, project: str | None = None
    ) -> list[tuple[str, Totals]]:
        """Totals per session of the calls in [since_ts, until_ts), summed in the database
        from the raw rows (no rollup has sessions: one would be as large as the calls)."""
        where, params = _ts_filter(since_ts, until_ts, project)
        rows = self._query(
            f"SELECT session_id, {RAW_SUMS} FROM calls WHERE {where} GROUP BY session_id", params
        )
        return [(str(row[0]), _totals(row[1:])) for row in rows]

    def daily_cost(
        self, since_day: str | None = None, until_day: str | None = None, project: str | None = None
    ) -> list[tuple[str, str, int]]:
        """(day, prompt, cost of the priced calls) from the day rollups, summed over models in
        the database: the forecast's daily series without a row per model."""
        where, params = _day_filter(since_day, until_day, project)
        rows = self._query(
            f"SELECT day, prompt_id, sum(cost_pusd) FROM rollup_prompt{where} "
            "GROUP BY day, prompt_id",
            params,
        )
        return [(str(day), str(prompt), int(cost or 0)) for day, prompt, cost in rows]

    def user_rollups(
        self, since_day: str | None = None, until_day: str | None = None, project: str | None = None
    ) -> list[tuple[UserDayKey, Totals]]:
        where, params = _day_filter(since_day, until_day, project)
        fields = ", ".join(ROLLUP_FIELDS)
        rows = self._query(
            f"SELECT day, project, user_id, {fields} FROM rollup_user{where}", params
        )
        return [(UserDayKey(*row[:3]), _totals(row[3:])) for row in rows]

    def month_rollups(
        self, month: str, project: str | None = None
    ) -> list[tuple[MonthKey, Totals]]:
        """The (project, prompt, model) totals of `month` (YYYY-MM): one row per series."""
        return [(key, totals) for key, totals, _ in self.month_changes(month, -1, project)]

    def month_changes(
        self, month: str, after_seq: int, project: str | None = None
    ) -> list[tuple[MonthKey, Totals, int]]:
        """The month rows written after the write numbered `after_seq`, with their number."""
        where, params = " WHERE month = ? AND seq > ?", [month, after_seq]
        if project is not None:
            where += " AND project = ?"
            params.append(project)
        fields = ", ".join(ROLLUP_FIELDS)
        rows = self._query(
            f"SELECT month, project, prompt_id, model, {fields}, seq FROM rollup_month{where}",
            params,
        )
        return [(MonthKey(*row[:4]), _totals(row[4:-1]), int(row[-1])) for row in rows]

    def writer_stats(self, project: str | None = None) -> list[WriterStats]:
        """Every recorder's last saved counters."""
        where, params = ("", []) if project is None else (" WHERE project = ?", [project])
        rows = self._query(f"SELECT {', '.join(STAT_FIELDS)} FROM recorders{where}", params)
        return [stats_from(row) for row in rows]

    def iter_rows(
        self, since_ts: int | None = None, until_ts: int | None = None, batch: int = 5000
    ) -> Iterator[CallRow]:
        """Raw rows in time order, read in batches (memory does not grow with the ledger)."""
        last = keyset_start(since_ts)
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

    def hourly_cost(
        self, since_ts: int, until_ts: int, project: str | None = None
    ) -> list[tuple[str, int, int, int, int]]:
        """(prompt, hours ago, calls, unpriced calls, cost of the priced ones) of the calls in
        [since_ts, until_ts), in 60-minute windows counted back from `until_ts` (0: the last
        60 minutes). From the raw rows through the `ts` index: the rollups are by day."""
        where, params = _ts_filter(since_ts, until_ts, project)
        rows = self._query(
            f"SELECT prompt_id, (? - ts) / {HOUR_US}, count(*), count(*) - count(cost_pusd), "
            f"coalesce(sum(cost_pusd), 0) FROM calls WHERE {where} GROUP BY 1, 2",
            [until_ts - 1, *params],
        )
        return [(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]

    def component_groups(
        self,
        since_ts: int | None,
        until_ts: int | None,
        project: str | None,
        thresholds: Sequence[int] = (),
    ) -> list[ComponentGroup]:
        """The calls of [since_ts, until_ts) summed per prompt, model, UTC day, service tier
        and input-size bracket (`thresholds`: input-token counts; a bracket is how many of
        them a call's input passes), from the raw rows."""
        where, params = _ts_filter(since_ts, until_ts, project)
        rows = self._query(
            f"SELECT prompt_id, coalesce(model_id, model), ts / {DAY_US}, service_tier, "
            f"{bracket_sql(thresholds)}, {GROUP_SUMS} FROM calls WHERE {where} "
            "GROUP BY 1, 2, 3, 4, 5",
            params,
        )
        return [component_group(row, day_of(int(row[2]) * DAY_US)) for row in rows]

    # -- alerts sent -----------------------------------------------------------------------

    def sent_alerts(self) -> set[tuple[str, str]]:
        """(alert key, destination) of every alert delivered."""
        rows = self._query(
            "SELECT alert_key, destination FROM alerts_sent WHERE sent_ts IS NOT NULL"
        )
        return {(str(key), str(destination)) for key, destination in rows}

    def claim_alert(
        self, key: str, destination: str, project: str, kind: str, now_ts: int, stale_ts: int
    ) -> bool:
        """Take the right to deliver `key` to `destination`: False when it was delivered, or
        another run claimed it after `stale_ts` (a run that died mid-delivery frees its claim
        by going stale)."""
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    "INSERT INTO alerts_sent (alert_key, destination, project, kind, claimed_ts) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (alert_key, destination) DO UPDATE "
                    "SET claimed_ts = excluded.claimed_ts WHERE alerts_sent.sent_ts IS NULL "
                    "AND alerts_sent.claimed_ts < ? RETURNING alert_key"
                ),
                [key, destination, project, kind, now_ts, stale_ts],
            )
            return bool(cursor.fetchall())

    def settle_alert(self, key: str, destination: str, sent_ts: int | None) -> None:
        """After a claimed delivery: `sent_ts` when delivered, None to free the claim (the
        next run tries again)."""
        with self._transaction() as cursor:
            if sent_ts is None:
                sql = (
                    "UPDATE alerts_sent SET claimed_ts = 0 "
                    "WHERE alert_key = ? AND destination = ? AND sent_ts IS NULL"
                )
                params: list[Any] = [key, destination]
            else:
                sql = "UPDATE alerts_sent SET sent_ts = ? WHERE alert_key = ? AND destination = ?"
                params = [sent_ts, key, destination]
            cursor.execute(self._sql(sql), params)

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
        start = since_ts
        if start is not None:
            # whole months: the month rollup is rebuilt from every call of its month
            start = _day_start(day_of(start)[:7] + "-01")
        read = changed = 0
        with self._transaction() as cursor:
            rollups = Rollups()
            updates = []
            for row in list(self.iter_rows(start)):
                read += 1
                new = repriced(row, pricer)
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
                cursor.execute("DELETE FROM rollup_month")
            else:
                day = day_of(start)
                cursor.execute(self._sql("DELETE FROM rollup_prompt WHERE day >= ?"), [day])
                cursor.execute(self._sql("DELETE FROM rollup_user WHERE day >= ?"), [day])
                cursor.execute(self._sql("DELETE FROM rollup_month WHERE month >= ?"), [day[:7]])
            self._upsert(cursor, rollups)
        return read, changed


def _day_start(day: str) -> int:
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000


def _key_values(key: PromptDayKey | UserDayKey | MonthKey) -> tuple[str, ...]:
    if isinstance(key, PromptDayKey):
        return (key.day, key.project, key.prompt_id, key.model)
    if isinstance(key, MonthKey):
        return (key.month, key.project, key.prompt_id, key.model)
    return (key.day, key.project, key.user_id)


def _totals(values: Sequence[Any]) -> Totals:
    # PostgreSQL's sum(bigint) is numeric (a Decimal): back to exact ints
    return totals_from(None if v is None else int(v) for v in values)


def _ts_filter(
    since_ts: int | None, until_ts: int | None, project: str | None
) -> tuple[str, list[Any]]:
    """Calls with since_ts <= ts < until_ts (None: unbounded), of `project` when given."""
    where = "ts >= ? AND ts < ?"
    params: list[Any] = [-(2**62) if since_ts is None else since_ts,
                         2**62 if until_ts is None else until_ts]  # fmt: skip
    if project is not None:
        where += " AND project = ?"
        params.append(project)
    return where, params


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
    """The store at `location`: a `postgresql://` URL, a `clickhouse://` URL or a `chdb://`
    folder, else an SQLite file path."""
    if location.startswith(("clickhouse://", "clickhouses://", "chdb://")):
        from llmcost_lsp.core.ledger.clickhouse import ClickHouseStore

        return ClickHouseStore(location)
    if location.startswith(("postgresql://", "postgres://")):
        from llmcost_lsp.core.ledger.postgres import PostgresStore

        return PostgresStore(location)
    from pathlib import Path

    from llmcost_lsp.core.ledger.sqlite import SqliteLedger

    return SqliteLedger(Path(location.removeprefix("sqlite:///").removeprefix("sqlite://")))
