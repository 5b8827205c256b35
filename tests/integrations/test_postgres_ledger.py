"""The PostgreSQL ledger against a real server: the same idempotent writes, rollups and
reprice as SQLite; migrations once under concurrency; the server down at start and going away
mid-run (calls buffered, retried, counted, nothing blocked)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from llmcost_lsp.core.ledger.api import make_pricer, make_recorder
from llmcost_lsp.core.ledger.postgres import PostgresStore
from llmcost_lsp.core.ledger.rows import CallRow, Totals, make_row, micros
from llmcost_lsp.core.ledger.store import LedgerError, open_store
from llmcost_lsp.core.ledger.usage import Usage

OPENAI = {"prompt_tokens": 1200, "completion_tokens": 300,
          "prompt_tokens_details": {"cached_tokens": 1024}}  # fmt: skip


def rows(count: int) -> list[CallRow]:
    pricer = make_pricer()
    t0 = micros(datetime(2026, 11, 20, 12, tzinfo=UTC))
    made = []
    for index in range(count):
        usage = Usage(1000 + index % 7, 100, cache_read_tokens=512, model_responded="gpt-4o")
        price = pricer.price(usage, date(2026, 11, 20))
        made.append(
            make_row(
                usage,
                price,
                request_key=f"r{index}",
                ts=t0 + index * 60_000_000,
                price_db=pricer.version,
                prompt_id="search",
                user_id=f"u{index % 3}",
            )
        )
    return made


def _raw(store: PostgresStore) -> dict[tuple[str, str], Totals]:
    found: dict[tuple[str, str], Totals] = {}
    for row in store.iter_rows():
        found.setdefault((row.prompt_id, row.rollup_model), Totals()).add_row(row)
    return found


def test_writes_rollups_and_reprice(pg_url: str) -> None:
    with open_store(pg_url) as store:
        assert isinstance(store, PostgresStore)
        assert store.write(rows(50)).inserted == 50
        again = store.write(rows(60))
        assert (again.inserted, again.duplicates) == (10, 50)
        assert store.count() == 60
        assert dict(store.prompt_totals()) == _raw(store)
        [(_, totals)] = store.prompt_totals()
        assert totals.cost_pusd == sum(r.cost_pusd or 0 for r in store.iter_rows())
        assert store.reprice(make_pricer()) == (60, 0)


def test_concurrent_first_opens_migrate_once(pg_url: str) -> None:
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            PostgresStore(pg_url).close()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_down_at_start_then_up(pg_server: str) -> None:
    import psycopg

    name = "ledger_late"
    url = pg_server.rsplit("/", 1)[0] + f"/{name}"
    with pytest.raises(LedgerError, match="cannot reach"):
        PostgresStore(url)  # the database does not exist yet: like a server not up
    recorder = make_recorder(url, capacity=30, flush_interval_s=0.01, max_backoff_s=0.05)
    # past the bounded buffer a call is dropped at once and counted: the app never waits
    accepted = [recorder.record(OPENAI, model="gpt-4o", response_id=f"r{i}") for i in range(40)]
    assert accepted == [True] * 30 + [False] * 10
    assert not recorder.flush(0.3)
    stats = recorder.stats()
    assert stats.write_errors >= 1 and stats.pending == 30 and stats.written == 0
    assert stats.dropped == 10 and "cannot reach" in (stats.last_error or "")
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    assert recorder.flush(15)
    recorder.close()
    assert recorder.stats().written == 30 and recorder.stats().dropped == 10
    with open_store(url) as store:
        assert store.count() == 30
        [saved] = store.writer_stats()  # what was lost is in the ledger for the exporter
        assert (saved.recorded, saved.written, saved.dropped) == (40, 30, 10)


def test_going_away_mid_run(pg_url: str, pg_server: str) -> None:
    import psycopg

    recorder = make_recorder(pg_url, flush_interval_s=0.01, max_backoff_s=0.05)
    recorder.record(OPENAI, model="gpt-4o", response_id="first")
    assert recorder.flush(15)
    database = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_server, autocommit=True) as admin:
        # the server drops our connections and refuses new ones for a while
        admin.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS false")
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [database],
        )
        # pg_terminate_backend only signals: wait until the backends are gone, or the recorder's
        # next batch can still commit on a dying connection (seen under load: flush() was True)
        deadline = time.monotonic() + 10
        while admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the ledger's backends outlived termination"
            time.sleep(0.02)
        for index in range(20):
            assert recorder.record(OPENAI, model="gpt-4o", response_id=f"r{index}")
        assert not recorder.flush(0.5)
        assert recorder.stats().write_errors >= 1
        admin.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")
    assert recorder.flush(15)
    recorder.close()
    with open_store(pg_url) as store:
        assert store.count() == 21


WRITER = """
import sys
from datetime import date
from llmcost_lsp.core.ledger.api import make_pricer
from llmcost_lsp.core.ledger.rows import make_row
from llmcost_lsp.core.ledger.store import open_store
from llmcost_lsp.core.ledger.usage import Usage
url, size = sys.argv[1], int(sys.argv[2])
pricer = make_pricer()
store = open_store(url)
usage = Usage(1000, 100, model_responded="gpt-4o")
price = pricer.price(usage, date(2026, 11, 20))
for batch in range(100_000):
    store.write([make_row(usage, price, request_key=f"k{batch}-{i}", price_db=pricer.version,
                          ts=1_795_000_000_000_000 + batch * 1000 + i, prompt_id="p",
                          user_id=f"u{i % 7}") for i in range(size)])
    print(batch, flush=True)
"""


def test_a_process_killed_mid_batch_leaves_no_half_batch(pg_url: str) -> None:
    import os
    import signal
    import subprocess
    import sys

    from .processes import spawn, stop

    worker = spawn([sys.executable, "-c", WRITER, pg_url, "500"], stdout=subprocess.PIPE,
                   text=True)  # fmt: skip
    try:
        assert worker.stdout is not None
        for _ in range(3):
            worker.stdout.readline()  # at least three batches committed
        os.kill(worker.pid, signal.SIGKILL)  # most likely inside the next batch's COPY
        worker.wait(30)
    finally:
        if worker.poll() is None:
            stop(worker, signal.SIGKILL)
    with open_store(pg_url) as store:
        count = store.count()
        assert count >= 1500 and count % 500 == 0  # whole batches only
        assert dict(store.prompt_totals()) == _raw(store)  # rollups agree with the rows
        users = Totals()
        for _, totals in store.user_rollups():
            users.add(totals)
        assert users.calls == count


def test_the_manifest_or_llmcost_ledger_names_a_postgresql_ledger(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from llmcost_lsp.cli.main import main
    from llmcost_lsp.core.ledger.api import ledger_location
    from llmcost_lsp.core.manifest import load_manifest

    monkeypatch.delenv("LLMCOST_LEDGER", raising=False)
    manifest_path = tmp_path / "llm-cost.toml"
    manifest_path.write_text(f'[actuals]\nledger = "{pg_url}"\n')
    manifest = load_manifest(manifest_path)
    assert ledger_location(manifest, root=tmp_path) == pg_url
    recorder = make_recorder(manifest=manifest)  # no location: the manifest's
    recorder.record(OPENAI, model="gpt-4o", prompt_id="search", response_id="from-manifest")
    recorder.close()
    monkeypatch.setenv("LLMCOST_LEDGER", pg_url)  # the environment names it (and wins)
    assert ledger_location(load_manifest(manifest_path), root=tmp_path) == pg_url
    recorder = make_recorder(manifest=None)
    recorder.record(OPENAI, model="gpt-4o", prompt_id="search", response_id="from-env")
    recorder.close()
    monkeypatch.delenv("LLMCOST_LEDGER")
    # the CLI finds it through the manifest too, with no --ledger
    assert (
        main(["actuals", "summary", "--root", str(tmp_path), "--since", "all", "-f", "json"]) == 0
    )
    [group] = json.loads(capsys.readouterr().out)["groups"]
    assert (group["key"], group["calls"]) == ("search", 2)
