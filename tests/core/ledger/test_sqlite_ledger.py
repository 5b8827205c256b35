"""The SQLite ledger: idempotent writes, rollups equal to the raw rows, several writer
processes, a process killed mid-batch, reprice, and the files it refuses (corrupt, foreign,
newer, locked, full)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from llmcost_lsp.core.ledger.api import make_pricer
from llmcost_lsp.core.ledger.rows import CallRow, Totals, make_row, micros
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.ledger.store import LedgerError
from llmcost_lsp.core.ledger.usage import Usage
from llmcost_lsp.core.manifest import parse_manifest

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def rows(
    count: int, *, start: int = 0, model: str = "gpt-4o", prompt: str = "search"
) -> list[CallRow]:
    pricer = make_pricer()
    made = []
    for index in range(start, start + count):
        usage = Usage(1000 + index % 7, 100, cache_read_tokens=512, model_responded=model)
        ts = micros(T0) + index * 60_000_000
        price = pricer.price(usage, date(2026, 11, 20))
        made.append(
            make_row(usage, price, request_key=f"r{index}", ts=ts, price_db=pricer.version,
                     prompt_id=prompt, user_id=f"u{index % 3}", session_id=f"s{index % 5}",
                     tags={"team": "a" if index % 2 else "b"})
        )  # fmt: skip
    return made


def raw_totals(ledger: SqliteLedger) -> dict[tuple[str, str], Totals]:
    found: dict[tuple[str, str], Totals] = {}
    for row in ledger.iter_rows():
        found.setdefault((row.prompt_id, row.rollup_model), Totals()).add_row(row)
    return found


def assert_rollups_match(ledger: SqliteLedger) -> None:
    assert dict(ledger.prompt_totals()) == raw_totals(ledger)
    users = Totals()
    for _, totals in ledger.user_rollups():
        users.add(totals)
    assert users.calls == ledger.count()
    months: dict[tuple[str, str, str, str], Totals] = {}
    for row in ledger.iter_rows():
        key = (row.day[:7], row.project, row.prompt_id, row.rollup_model)
        months.setdefault(key, Totals()).add_row(row)
    found = {
        (key.month, key.project, key.prompt_id, key.model): totals
        for month in {key[0] for key in months}
        for key, totals in ledger.month_rollups(month)
    }
    assert found == months


def test_write_is_idempotent_and_rollups_follow(tmp_path: Path) -> None:
    with SqliteLedger(tmp_path / "l.sqlite3") as ledger:
        first = ledger.write(rows(50))
        again = ledger.write(rows(60))  # 50 seen, 10 new
        assert (first.inserted, first.duplicates) == (50, 0)
        assert (again.inserted, again.duplicates) == (10, 50)
        assert ledger.count() == 60
        assert_rollups_match(ledger)
        [(key, totals)] = ledger.prompt_totals()
        assert key == ("search", "gpt-4o") and totals.calls == 60 and totals.unpriced == 0
        assert ledger.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_unpriced_calls_are_counted_apart(tmp_path: Path) -> None:
    with SqliteLedger(tmp_path / "l.sqlite3") as ledger:
        ledger.write(rows(3, model="my-finetune") + rows(2, start=10))
        totals = dict(ledger.prompt_totals())
        unknown = totals[("search", "my-finetune")]
        assert (unknown.calls, unknown.unpriced, unknown.cost_pusd) == (3, 3, 0)
        stored = next(ledger.iter_rows())
        assert stored.model == "my-finetune" and stored.cost_pusd is None


def test_reprice_after_an_override_and_is_idempotent(tmp_path: Path) -> None:
    with SqliteLedger(tmp_path / "l.sqlite3") as ledger:
        ledger.write(rows(20) + rows(2, start=100, model="my-finetune"))
        before = dict(ledger.prompt_totals())[("search", "gpt-4o")].cost_pusd
        cheaper = make_pricer(parse_manifest('[pricing.overrides."gpt-4o"]\ninput = "2"\n'))
        read, changed = ledger.reprice(cheaper)
        assert (read, changed) == (22, 20)
        after = dict(ledger.prompt_totals())[("search", "gpt-4o")]
        assert after.cost_pusd < before and after.list_cost_pusd == before
        assert ledger.reprice(cheaper) == (22, 0)
        assert_rollups_match(ledger)
        # since a day: the calls of that day's month are read again (the month rollup is
        # rebuilt whole), later months' too, earlier months' not
        later = micros(datetime(2026, 11, 21, tzinfo=UTC))
        assert ledger.reprice(make_pricer(), later)[0] == 22
        assert ledger.reprice(make_pricer(), micros(datetime(2026, 12, 1, tzinfo=UTC)))[0] == 0
        assert_rollups_match(ledger)


WRITER = textwrap.dedent(
    """
    import sys
    from datetime import date
    from llmcost_lsp.core.ledger.api import make_pricer
    from llmcost_lsp.core.ledger.rows import make_row
    from llmcost_lsp.core.ledger.sqlite import SqliteLedger
    from llmcost_lsp.core.ledger.usage import Usage
    path, worker, batches, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    pricer = make_pricer()
    ledger = SqliteLedger(path)
    price = pricer.price(Usage(1000, 100, model_responded="gpt-4o"), date(2026, 11, 20))
    for batch in range(batches):
        ledger.write([
            make_row(Usage(1000, 100, model_responded="gpt-4o"), price,
                     request_key=f"w{worker}-{batch}-{i}", ts=1_795_000_000_000_000 + i,
                     price_db=pricer.version, prompt_id=f"p{worker}")
            for i in range(size)
        ])
        print(batch, flush=True)
    """
)


def test_four_writer_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    SqliteLedger(path).close()
    workers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(w), "10", "200"],
                         stdout=subprocess.DEVNULL)
        for w in range(4)
    ]  # fmt: skip
    assert [w.wait(120) for w in workers] == [0, 0, 0, 0]
    with SqliteLedger(path) as ledger:
        assert ledger.count() == 8000
        assert_rollups_match(ledger)


def test_a_process_killed_mid_batch_leaves_no_half_batch(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    SqliteLedger(path).close()
    worker = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "9", "100000", "500"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert worker.stdout is not None
    for _ in range(3):
        worker.stdout.readline()  # at least three batches committed
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(30)
    with SqliteLedger(path) as ledger:
        assert ledger.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = ledger.count()
        assert count >= 1500 and count % 500 == 0  # whole batches only
        assert_rollups_match(ledger)


def test_corrupt_foreign_and_newer_files_are_refused_not_deleted(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(LedgerError, match="corrupt or not an SQLite file"):
        SqliteLedger(corrupt)
    assert corrupt.read_bytes().startswith(b"this is not")
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE notes (x)")
    with pytest.raises(LedgerError, match="not an llm-cost ledger"):
        SqliteLedger(foreign)
    newer = tmp_path / "newer.sqlite3"
    SqliteLedger(newer).close()
    with sqlite3.connect(newer) as connection:
        connection.execute("PRAGMA user_version = 99")
    with pytest.raises(LedgerError, match="schema version 99"):
        SqliteLedger(newer)


def test_locked_and_full_ledgers_fail_loudly_and_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    with SqliteLedger(path, busy_timeout_ms=50) as ledger:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        started = time.monotonic()
        with pytest.raises(LedgerError, match="locked"):
            ledger.write(rows(5))
        assert time.monotonic() - started < 5
        holder.execute("ROLLBACK")
        holder.close()
        assert ledger.write(rows(5)).inserted == 5
        # a full disk, simulated with SQLite's page limit
        pages = ledger.connection.execute("PRAGMA page_count").fetchone()[0]
        ledger.connection.execute(f"PRAGMA max_page_count = {pages + 1}")
        with pytest.raises(LedgerError, match="full"):
            ledger.write(rows(3000, start=1000))
        assert ledger.count() == 5
        assert_rollups_match(ledger)
