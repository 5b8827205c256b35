"""The ClickHouse ledger, for volumes where a row store's rollups are not enough (hundreds of
millions of calls): `clickhouse://user:password@host:8123/database` through clickhouse-connect
(the `ledger-clickhouse` extra), or `chdb:///path/to/folder`, ClickHouse's engine in process
(the `ledger-chdb` extra; one process at a time, like DuckDB).

One wide `calls` table, no rollups: ClickHouse sums millions of rows per second, and a
materialized rollup would count the duplicates that a ReplacingMergeTree only removes later.

- **Ordered for the summaries.** `ORDER BY (project, prompt_id, day, model, request_key)`,
  partitioned by month: a month-by-prompt or one-prompt query reads only its parts and ranges.
- **Idempotent.** A batch first asks which of its (project, response id) are already stored
  (within the batch's projects, prompts and days, so the lookup uses the order) and inserts only
  the new ones; two writers racing with the same call are collapsed by the ReplacingMergeTree
  (same sort key), and every read uses `FINAL`, so it is never counted twice. A duplicate
  recorded on another UTC day than the original has another sort key and is not collapsed — the
  same call recorded twice across midnight (the recorder stamps calls when recorded).
- **Reprice** inserts the changed rows again with a higher `version`; `FINAL` keeps the latest.
- Money is Int64 pico-dollars, NULL when unpriced, as in the other stores.

The SQL is the same for both clients; the tests run it on chdb's engine (ClickHouse 26.9).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, replace
from datetime import date
from typing import Any, Protocol

from llmcost_lsp.core.ledger.price import Pricer
from llmcost_lsp.core.ledger.rows import (
    COLUMNS,
    ROLLUP_FIELDS,
    CallRow,
    MonthKey,
    PromptDayKey,
    Totals,
    UserDayKey,
    day_of,
    totals_from,
)
from llmcost_lsp.core.ledger.store import (
    DAY_US,
    GROUP_SUMS,
    HOUR_US,
    STAT_FIELDS,
    ComponentGroup,
    LedgerError,
    SqlStore,
    WriteResult,
    WriterStats,
    bracket_sql,
    component_group,
    keyset_start,
    repriced,
    stats_from,
)

# ClickHouse has no transaction to claim an alert in: alerts need a row store beside it
_NO_ALERTS = LedgerError(
    "alerts remember what they sent in an SQLite or PostgreSQL ledger; a ClickHouse ledger "
    "cannot claim one atomically",
    hint="run `llm-cost actuals alerts --dry-run` to see them, or keep an SQLite ledger for alerts",
)
_DAY = "toDate(toDateTime(intDiv(ts, 1000000), 'UTC'))"
DDL = [
    f"""CREATE TABLE IF NOT EXISTS calls (
        request_key String, ts Int64, project LowCardinality(String),
        prompt_id LowCardinality(String), model LowCardinality(String),
        model_id Nullable(String), provider LowCardinality(String),
        service_tier LowCardinality(String), input_tokens UInt64, cache_read_tokens UInt64,
        cache_write_5m_tokens UInt64, cache_write_1h_tokens UInt64, output_tokens UInt64,
        reasoning_tokens UInt64, cost_pusd Nullable(Int64), list_cost_pusd Nullable(Int64),
        price_id Nullable(String), price_db Nullable(String), user_id String,
        session_id String, tags String CODEC(ZSTD), source LowCardinality(String),
        version UInt64 DEFAULT 0,
        day Date MATERIALIZED {_DAY})
    ENGINE = ReplacingMergeTree(version)
    PARTITION BY toYYYYMM(day)
    ORDER BY (project, prompt_id, day, model, request_key)""",
    """CREATE TABLE IF NOT EXISTS recorders (
        recorder_id String, project LowCardinality(String), host String, pid Int64,
        started_ts Int64, seen_ts Int64, recorded Int64, written Int64, duplicates Int64,
        dropped Int64, rejected Int64, write_errors Int64)
    ENGINE = ReplacingMergeTree(seen_ts) ORDER BY recorder_id""",
]
_MODEL = "coalesce(model_id, model)"  # the rollup model: the price DB's id, else as reported
_SUMS = (
    "count(), countIf(cost_pusd IS NULL), sum(input_tokens), sum(cache_read_tokens), "
    "sum(cache_write_5m_tokens), sum(cache_write_1h_tokens), sum(output_tokens), "
    "sum(reasoning_tokens), sum(ifNull(cost_pusd, 0)), "
    "sum(if(cost_pusd IS NULL, 0, ifNull(list_cost_pusd, 0))), min(ts), max(ts)"
)
assert len(_SUMS.split("), ")) == len(ROLLUP_FIELDS)


class Client(Protocol):
    """What the store needs of a ClickHouse client."""

    def command(self, sql: str) -> None: ...
    def rows(self, sql: str) -> list[list[Any]]: ...
    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None: ...
    def close(self) -> None: ...


def literal(value: Any) -> str:
    """A ClickHouse literal (strings escaped: the store builds its SQL from values)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


class ChdbClient:
    """ClickHouse's engine in this process (chdb); a folder holds the data."""

    def __init__(self, path: str | None) -> None:
        try:
            # typed as Any: chdb ships no annotations, and with it installed (CI) mypy --strict
            # rejects every call into it; without it the import is simply missing
            session: Any = importlib.import_module("chdb.session")
        except ImportError:
            raise LedgerError(
                "a chdb:// ledger needs chdb", hint="pip install 'llm-cost[ledger-chdb]'"
            ) from None
        self._session = session.Session(path) if path else session.Session()
        self._session.query("SET output_format_json_quote_64bit_integers = 0")

    def command(self, sql: str) -> None:
        self._run(sql, "CSV")

    def rows(self, sql: str) -> list[list[Any]]:
        text = self._run(sql, "JSONCompact")
        return list(json.loads(text)["data"]) if text.strip() else []

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        lines = "\n".join(json.dumps(dict(zip(columns, row, strict=True))) for row in rows)
        self._run(f"INSERT INTO {table} ({', '.join(columns)}) FORMAT JSONEachRow\n{lines}", "CSV")

    def _run(self, sql: str, fmt: str) -> str:
        try:
            return str(self._session.query(sql, fmt))
        except Exception as error:  # chdb raises its own error types
            raise LedgerError(f"the ClickHouse ledger: {error}") from None

    def close(self) -> None:
        self._session.close()


class ConnectClient:
    """A ClickHouse server through clickhouse-connect (HTTP, native columnar inserts)."""

    def __init__(self, url: str) -> None:
        try:
            import clickhouse_connect  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise LedgerError(
                "a clickhouse:// ledger needs clickhouse-connect",
                hint="pip install 'llm-cost[ledger-clickhouse]'",
            ) from None
        from urllib.parse import unquote, urlsplit

        parts = urlsplit(url)
        try:
            self._client = clickhouse_connect.get_client(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 8123,
                username=unquote(parts.username or "default"),
                password=unquote(parts.password or ""),
                database=parts.path.lstrip("/") or "default",
                secure=parts.scheme == "clickhouses",
            )
        except Exception as error:
            raise LedgerError(f"cannot reach the ClickHouse ledger: {error}") from None

    def command(self, sql: str) -> None:
        self._call(lambda: self._client.command(sql))

    def rows(self, sql: str) -> list[list[Any]]:
        return [list(row) for row in self._call(lambda: self._client.query(sql).result_rows)]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self._call(lambda: self._client.insert(table, list(rows), column_names=list(columns)))

    def _call(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except Exception as error:
            raise LedgerError(f"the ClickHouse ledger: {error}") from None

    def close(self) -> None:
        self._client.close()


def _ts_range(since_ts: int | None, until_ts: int | None, project: str | None) -> str:
    """Calls with since_ts <= ts < until_ts (None: unbounded), of `project` when given."""
    where = f"ts >= {int(-(2**62) if since_ts is None else since_ts)} AND ts < " + str(
        int(2**62 if until_ts is None else until_ts)
    )
    return where + (f" AND project = {literal(project)}" if project is not None else "")


def _days(since_day: str | None, until_day: str | None, project: str | None) -> str:
    clauses = ["1"]
    if since_day is not None:
        clauses.append(f"day >= toDate({literal(since_day)})")
    if until_day is not None:
        clauses.append(f"day < toDate({literal(until_day)})")
    if project is not None:
        clauses.append(f"project = {literal(project)}")
    return " AND ".join(clauses)


def _totals(values: Sequence[Any]) -> Totals:
    return totals_from(None if v is None else int(v) for v in values)


class ClickHouseStore(SqlStore):
    kind = "clickhouse"

    def __init__(self, url: str, client: Client | None = None) -> None:
        self.url = url
        if client is None:
            if url.startswith("chdb://"):
                client = ChdbClient(url.removeprefix("chdb://") or None)
            else:
                client = ConnectClient(url)
        self.client = client
        for statement in DDL:
            self.client.command(statement)

    def close(self) -> None:
        self.client.close()

    # -- writing -------------------------------------------------------------------------------

    def write(self, rows: Sequence[CallRow], stats: WriterStats | None = None) -> WriteResult:
        by_key = {(row.project, row.request_key): row for row in rows}
        stored = self._stored(by_key)
        new = [row for key, row in by_key.items() if key not in stored]
        if new:
            self.client.insert("calls", COLUMNS, [row.values() for row in new])
        result = WriteResult(len(new), len(rows) - len(new))
        if stats is not None:
            row = replace(
                stats,
                written=stats.written + result.inserted,
                duplicates=stats.duplicates + result.duplicates,
            )
            self.client.insert("recorders", STAT_FIELDS, [astuple(row)])
        return result

    def _stored(self, by_key: dict[tuple[str, str], CallRow]) -> set[tuple[str, str]]:
        """Which keys of a batch are already in the ledger, looked up along the sort order."""
        if not by_key:
            return set()
        rows = list(by_key.values())

        def one_of(values: set[str]) -> str:
            return ", ".join(literal(v) for v in sorted(values))

        days = {row.day for row in rows}
        found = self.client.rows(
            f"SELECT project, request_key FROM calls WHERE project IN "
            f"({one_of({r.project for r in rows})}) AND prompt_id IN "
            f"({one_of({r.prompt_id for r in rows})}) AND day IN "
            f"({', '.join(f'toDate({literal(d)})' for d in sorted(days))}) AND request_key IN "
            f"({one_of({r.request_key for r in rows})})"
        )
        return {(project, key) for project, key in found}

    # -- reading -------------------------------------------------------------------------------

    def count(self) -> int:
        return int(self.client.rows("SELECT count() FROM calls FINAL")[0][0])

    def prompt_rollups(
        self, since_day: str | None = None, until_day: str | None = None, project: str | None = None
    ) -> list[tuple[PromptDayKey, Totals]]:
        rows = self.client.rows(
            f"SELECT toString(day), project, prompt_id, {_MODEL} AS m, {_SUMS} FROM calls FINAL "
            f"WHERE {_days(since_day, until_day, project)} GROUP BY day, project, prompt_id, m"
        )
        return [(PromptDayKey(*row[:4]), _totals(row[4:])) for row in rows]

    def prompt_totals(
        self, since_day: str | None = None, until_day: str | None = None, project: str | None = None
    ) -> list[tuple[tuple[str, str], Totals]]:
        rows = self.client.rows(
            f"SELECT prompt_id, {_MODEL} AS m, {_SUMS} FROM calls FINAL "
            f"WHERE {_days(since_day, until_day, project)} GROUP BY prompt_id, m"
        )
        return [((row[0], row[1]), _totals(row[2:])) for row in rows]

    def user_totals(
        self, since_day: str | None = None, until_day: str | None = None, project: str | None = None
    ) -> list[tuple[str, Totals]]:
        rows = self.client.rows(
            f"SELECT user_id, {_SUMS} FROM calls FINAL "
            f"WHERE {_days(since_day, until_day, project)} GROUP BY user_id"
        )
        return [(str(row[0]), _totals(row[1:])) for row in rows]

    def session_totals(
        self, since_ts: int | None = None, until_ts: int | None = None, project: str | None = None
    ) -> list[tuple[str, Totals]]:
        where = _ts_range(since_ts, until_ts, project)
        rows = self.client.rows(
            f"SELECT session_id, {_SUMS} FROM calls FINAL WHERE {where} GROUP BY session_id"
        )
        return [(str(row[0]), _totals(row[1:])) for row in rows]

    def daily_cost(
        self, since_day: str | None = None, until_day: str | None = None, project: str | None = None
    ) -> list[tuple[str, str, int]]:
        rows = self.client.rows(
            f"SELECT toString(day), prompt_id, sum(coalesce(cost_pusd, 0)) FROM calls FINAL "
            f"WHERE {_days(since_day, until_day, project)} GROUP BY day, prompt_id"
        )
        return [(str(day), str(prompt), int(cost or 0)) for day, prompt, cost in rows]

    def user_rollups(
        self, since_day: str | None = None, until_day: str | None = None, project: str | None = None
    ) -> list[tuple[UserDayKey, Totals]]:
        rows = self.client.rows(
            f"SELECT toString(day), project, user_id, {_SUMS} FROM calls FINAL "
            f"WHERE {_days(since_day, until_day, project)} GROUP BY day, project, user_id"
        )
        return [(UserDayKey(*row[:3]), _totals(row[3:])) for row in rows]

    def month_changes(
        self, month: str, after_seq: int, project: str | None = None
    ) -> list[tuple[MonthKey, Totals, int]]:
        """Every series of the month (ClickHouse keeps no write numbers: an exporter reads
        the month whole on each scrape, which ClickHouse does in milliseconds)."""
        first = date.fromisoformat(f"{month}-01")
        until = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        rows = self.client.rows(
            f"SELECT project, prompt_id, {_MODEL} AS m, {_SUMS} FROM calls FINAL "
            f"WHERE {_days(first.isoformat(), until.isoformat(), project)} "
            "GROUP BY project, prompt_id, m"
        )
        return [(MonthKey(month, *row[:3]), _totals(row[3:]), 0) for row in rows]

    def writer_stats(self, project: str | None = None) -> list[WriterStats]:
        where = "" if project is None else f" WHERE project = {literal(project)}"
        rows = self.client.rows(f"SELECT {', '.join(STAT_FIELDS)} FROM recorders FINAL{where}")
        return [stats_from(row) for row in rows]

    def iter_rows(
        self, since_ts: int | None = None, until_ts: int | None = None, batch: int = 5000
    ) -> Iterator[CallRow]:
        last = keyset_start(since_ts)
        end = until_ts if until_ts is not None else 2**62
        while True:
            rows = self.client.rows(
                f"SELECT {', '.join(COLUMNS)} FROM calls FINAL "
                f"WHERE (ts, project, request_key) > ({last[0]}, {literal(last[1])}, "
                f"{literal(last[2])}) AND ts < {end} "
                f"ORDER BY ts, project, request_key LIMIT {int(batch)}"
            )
            if not rows:
                return
            for values in rows:
                yield CallRow(*values)
            last = (int(rows[-1][1]), rows[-1][2], rows[-1][0])

    def hourly_cost(
        self, since_ts: int, until_ts: int, project: str | None = None
    ) -> list[tuple[str, int, int, int, int]]:
        where = _ts_range(since_ts, until_ts, project)
        rows = self.client.rows(
            f"SELECT prompt_id, intDiv({int(until_ts) - 1} - ts, {HOUR_US}) AS hour, count(), "
            "countIf(isNull(cost_pusd)), sum(coalesce(cost_pusd, 0)) FROM calls FINAL "
            f"WHERE {where} GROUP BY prompt_id, hour"
        )
        return [(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]

    def component_groups(
        self,
        since_ts: int | None,
        until_ts: int | None,
        project: str | None,
        thresholds: Sequence[int] = (),
    ) -> list[ComponentGroup]:
        where = _ts_range(since_ts, until_ts, project)
        rows = self.client.rows(
            f"SELECT prompt_id, coalesce(model_id, model), intDiv(ts, {DAY_US}), service_tier, "
            f"{bracket_sql(thresholds)}, {GROUP_SUMS} FROM calls FINAL WHERE {where} "
            "GROUP BY 1, 2, 3, 4, 5"
        )
        return [component_group(row, day_of(int(row[2]) * DAY_US)) for row in rows]

    def sent_alerts(self) -> set[tuple[str, str]]:
        raise _NO_ALERTS

    def claim_alert(
        self, key: str, destination: str, project: str, kind: str, now_ts: int, stale_ts: int
    ) -> bool:
        raise _NO_ALERTS

    def settle_alert(self, key: str, destination: str, sent_ts: int | None) -> None:
        raise _NO_ALERTS

    def reprice(
        self,
        pricer: Pricer,
        since_ts: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[int, int]:
        """Price the calls since `since_ts` again; changed rows are inserted again with a
        higher version, which `FINAL` (and later merges) keep."""
        version = self._next_version()
        read, changed = 0, []
        for row in self.iter_rows(since_ts):
            read += 1
            new = repriced(row, pricer)
            if new != row:
                changed.append((*new.values(), version))
            if progress and read % 10_000 == 0:
                progress(read)
        for start in range(0, len(changed), 10_000):
            self.client.insert("calls", (*COLUMNS, "version"), changed[start : start + 10_000])
        return read, len(changed)

    def _next_version(self) -> int:
        return int(self.client.rows("SELECT max(version) FROM calls")[0][0] or 0) + 1
