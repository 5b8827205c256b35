"""The three ledger stores side by side on the same synthetic month: SQLite (the baseline, the
embedded default), PostgreSQL (with --postgres URL) and ClickHouse (chdb, ClickHouse 26.9 in
process). Each store is filled with SQL generating the same calls (and, for the row stores,
the rollups their writes keep), then every summary is asked through the store's own API:

- month by prompt x model        (store.prompt_totals over the month)
- cost by day                    (summary --by day)
- top 20 users                   (summary --by user)
- one project's month by prompt  (store.prompt_totals with a project)
- metrics, first scrape          (Exporter.render: the month read whole)
- write 20,000 new calls         (store.write: idempotent insert, rollups), rows/s

Prints milliseconds and the ratio to SQLite measured in the same run. Calls: 1,000 prompts
(5 projects), 20 models, 10,000 users, over 30 days.

Run: python benchmarks/bench_stores.py [--rows 10000000] [--sqlite-rows 1000000]
     [--postgres postgresql://…] [--postgres-rows N] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from llmcost_lsp.core.ledger.metrics import Exporter
from llmcost_lsp.core.ledger.rows import ROLLUP_FIELDS, CallRow, make_row, micros
from llmcost_lsp.core.ledger.store import SqlStore, open_store
from llmcost_lsp.core.ledger.summary import Period, summarise
from llmcost_lsp.core.ledger.usage import Usage

T0 = micros(datetime(2026, 11, 1, tzinfo=UTC))
NOW = datetime(2026, 11, 30, 23, tzinfo=UTC)
DAY_US = 86_400_000_000
# one expression per column, written once for the three dialects: `i` is the call's number
# and `m` its model number; costs are synthetic integers (pico-USD) per model
COLUMN_SQL = {
    "request_key": "'bench-' || CAST(i AS TEXT)",
    "ts": f"{T0} + (i % 30) * {DAY_US} + i",
    "project": "'proj' || CAST((i % 1000) % 5 AS TEXT)",
    "prompt_id": "'team' || CAST((i % 1000) % 20 AS TEXT) || '/p' || CAST(i % 1000 AS TEXT)",
    "model": "'model-' || CAST(m AS TEXT)",
    "model_id": "'model-' || CAST(m AS TEXT)",
    "provider": "'openai'",
    "service_tier": "''",
    "input_tokens": "1000 + i % 7",
    "cache_read_tokens": "512",
    "cache_write_5m_tokens": "0",
    "cache_write_1h_tokens": "0",
    "output_tokens": "100 + i % 13",
    "reasoning_tokens": "0",
    "cost_pusd": "2000000000 + m * 1000000",
    "list_cost_pusd": "2500000000 + m * 1000000",
    "price_id": "'bench'",
    "price_db": "'bench'",
    "user_id": "'user' || CAST(i % 10000 AS TEXT)",
    "session_id": "'s' || CAST(i % 50000 AS TEXT)",
    "tags": "''",
    "source": "'bench'",
}
SUMS = ", ".join(
    ["count(*)", "sum(CASE WHEN cost_pusd IS NULL THEN 1 ELSE 0 END)"]
    + [f"sum({n})" for n in ROLLUP_FIELDS[2:-4]]
    + ["sum(coalesce(cost_pusd, 0))", "sum(coalesce(list_cost_pusd, 0))", "min(ts)", "max(ts)"]
)


def select_calls(source: str) -> str:
    return f"SELECT {', '.join(COLUMN_SQL.values())} FROM {source}"


def fill_rollups(run: Callable[[str], Any], day: str, month: str) -> None:
    """The rollups a row store keeps at write time, built in one pass each."""
    fields = ", ".join(ROLLUP_FIELDS)
    run(f"INSERT INTO rollup_prompt (day, project, prompt_id, model, {fields}) "
        f"SELECT {day}, project, prompt_id, model, {SUMS} FROM calls "
        f"GROUP BY {day}, project, prompt_id, model")  # fmt: skip
    run(f"INSERT INTO rollup_user (day, project, user_id, {fields}) "
        f"SELECT {day}, project, user_id, {SUMS} FROM calls "
        f"GROUP BY {day}, project, user_id")  # fmt: skip
    run(f"INSERT INTO rollup_month (month, project, prompt_id, model, {fields}) "
        f"SELECT {month}, project, prompt_id, model, {SUMS} FROM calls "
        f"GROUP BY {month}, project, prompt_id, model")  # fmt: skip


def fill_sqlite(store: SqlStore, rows: int) -> None:
    connection = store.connection  # type: ignore[attr-defined]
    connection.execute("BEGIN")
    connection.execute(
        f"INSERT INTO calls ({', '.join(COLUMN_SQL)}) "
        f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {rows - 1}) "
        + select_calls("(SELECT i, i % 20 AS m FROM n)")
    )
    day = "date(ts / 1000000, 'unixepoch')"
    fill_rollups(connection.execute, day, f"substr({day}, 1, 7)")
    connection.execute("COMMIT")


def fill_postgres(store: SqlStore, rows: int) -> None:
    with store._transaction() as cursor:
        for day in range(0, 31, 28):
            cursor.execute("SELECT llmcost_month_partition(%s)", [T0 + day * DAY_US])
    with store._transaction() as cursor:
        source = f"(SELECT i, i % 20 AS m FROM generate_series(0, {rows - 1}) AS i) AS n"
        cursor.execute(f"INSERT INTO calls ({', '.join(COLUMN_SQL)}) " + select_calls(source))
        cursor.execute("INSERT INTO call_keys SELECT project, request_key, ts FROM calls")
        day = "to_char(to_timestamp(ts / 1000000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        fill_rollups(cursor.execute, day, f"substr({day}, 1, 7)")
        cursor.execute("ANALYZE")


def fill_clickhouse(store: SqlStore, rows: int) -> None:
    sql = {name: expr.replace("CAST(", "toString(").replace(" AS TEXT)", ")")
           for name, expr in COLUMN_SQL.items()}  # fmt: skip
    select = f"SELECT {', '.join(sql.values())} FROM (SELECT number AS i, number % 20 AS m " \
             f"FROM numbers({rows}))"  # fmt: skip
    store.client.command(  # type: ignore[attr-defined]
        f"INSERT INTO calls ({', '.join(sql)}) {select}"
    )
    store.client.command("OPTIMIZE TABLE calls FINAL")  # type: ignore[attr-defined]


def new_calls(count: int) -> list[CallRow]:
    usage = Usage(1000, 100, cache_read_tokens=512, model_responded="model-1")
    from llmcost_lsp.core.ledger.price import CallPrice

    price = CallPrice(cost_pusd=2_000_000_000, list_cost_pusd=2_500_000_000,
                      price_id="bench", model_id="model-1")  # fmt: skip
    return [
        make_row(usage, price, request_key=f"new-{i}", ts=micros(NOW) - i, price_db="bench",
                 prompt_id=f"team{i % 20}/p{(i % 50) * 20 + i % 20}", project=f"proj{i % 5}",
                 user_id=f"user{i % 10000}")
        for i in range(count)
    ]  # fmt: skip


def timed(action: Callable[[], Any], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def measure(store: SqlStore) -> dict[str, float]:
    month = Period(date(2026, 11, 1), date(2026, 12, 1))
    out = {
        "month by prompt x model": timed(lambda: store.prompt_totals("2026-11-01", "2026-12-01")),
        "cost by day": timed(lambda: summarise(store, "day", month)),
        "top 20 users": timed(lambda: summarise(store, "user", month)[:20]),
        "one project's month by prompt": timed(
            lambda: store.prompt_totals("2026-11-01", "2026-12-01", "proj3")
        ),
        "metrics, first scrape": timed(lambda: Exporter(store).render(NOW), runs=1),
    }
    batch = new_calls(20_000)
    started = time.perf_counter()
    store.write(batch)
    out["write 20,000 calls (rows/s)"] = 20_000 / (time.perf_counter() - started)
    return out


def scratch_database(url: str) -> str:
    """A new, empty database on the server of `url` (dropped by the next run)."""
    import psycopg

    name = "llmcost_bench_stores"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="ClickHouse and PostgreSQL")
    parser.add_argument("--sqlite-rows", type=int, default=1_000_000)
    parser.add_argument("--postgres-rows", type=int, help="default: --rows")
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        plans: list[tuple[str, str, int, Callable[[SqlStore, int], None]]] = []
        if not args.skip_sqlite:
            plans.append(("SQLite", str(Path(folder) / "l.sqlite3"), args.sqlite_rows, fill_sqlite))
        if args.postgres:
            rows = args.postgres_rows or args.rows
            plans.append(("PostgreSQL", scratch_database(args.postgres), rows, fill_postgres))
        plans.append(("ClickHouse (chdb)", f"chdb://{Path(folder) / 'ch'}", args.rows,
                      fill_clickhouse))  # fmt: skip
        for name, location, rows, fill in plans:
            with open_store(location) as store:
                started = time.perf_counter()
                fill(store, rows)
                filled = time.perf_counter() - started
                print(f"{name}: {store.count():,} calls generated in {filled:.1f} s", flush=True)
                results[f"{name} ({rows / 1e6:g}M)"] = measure(store)
    names = list(results)
    base = names[0]
    print(f"\n{'':<34}" + "".join(f"{n:>26}" for n in names))
    for query in results[base]:
        cells = []
        for name in names:
            value = results[name][query]
            ratio = value / results[base][query] if name != base else 1.0
            unit = "" if "rows/s" in query else " ms"
            cells.append(f"{value:>12,.1f}{unit} (x{ratio:.2f})")
        print(f"{query:<34}" + "".join(f"{c:>26}" for c in cells))
    print(
        f"\nratios are to {base}, measured in this run; note the row counts differ when "
        "--sqlite-rows is smaller than --rows"
    )


if __name__ == "__main__":
    main()
