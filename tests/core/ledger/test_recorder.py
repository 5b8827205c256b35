"""record(): returns at once, never raises; a down store keeps calls buffered and retried, a
full buffer drops and counts, malformed usage is rejected and counted, close() flushes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from llmcost_lsp.core.ledger.api import make_pricer, make_recorder
from llmcost_lsp.core.ledger.recorder import Recorder
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.ledger.store import LedgerError, SqlStore

OPENAI = {"prompt_tokens": 1200, "completion_tokens": 300,
          "prompt_tokens_details": {"cached_tokens": 1024}}  # fmt: skip


def test_records_priced_rows_and_dedupes_by_response_id(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    recorder = make_recorder(str(path))
    for _ in range(3):  # the same response recorded three times (e.g. SDK span + our helper)
        recorder.record(OPENAI, response_id="chatcmpl-1", model="gpt-4o", prompt_id="search")
    recorder.record(OPENAI, model="gpt-4o", prompt_id="search", user="ann", tags={"env": "prod"})
    recorder.record({"nonsense": True}, prompt_id="search")
    recorder.record({"prompt_tokens": -1, "completion_tokens": 0}, prompt_id="search")
    recorder.close()
    stats = recorder.stats()
    assert (stats.recorded, stats.written, stats.duplicates, stats.rejected) == (6, 2, 2, 2)
    assert stats.last_error is not None and "negative" in stats.last_error
    with SqliteLedger(path) as ledger:
        rows = list(ledger.iter_rows())
        assert {r.request_key for r in rows} >= {"chatcmpl-1"}
        assert all(r.cost_pusd == 4_720_000_000 for r in rows)
        assert {r.user_id for r in rows} == {"", "ann"}


class _Flaky(SqlStore):
    """A store that is down until `up` is set (like PostgreSQL restarting)."""

    def __init__(self, target: Path, up: threading.Event, attempts: list[int]) -> None:
        attempts.append(1)
        if not up.is_set():
            raise LedgerError("connection refused")
        self._inner = SqliteLedger(target)

    def write(self, rows, stats=None):  # type: ignore[no-untyped-def]
        return self._inner.write(rows, stats)

    def close(self) -> None:
        self._inner.close()


def test_store_down_at_start_buffers_retries_then_writes(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    up = threading.Event()
    attempts: list[int] = []
    recorder = Recorder(
        lambda: _Flaky(path, up, attempts), make_pricer, capacity=50,
        flush_interval_s=0.01, max_backoff_s=0.05,
    )  # fmt: skip
    accepted = [recorder.record(OPENAI, model="gpt-4o", prompt_id="p") for _ in range(80)]
    assert accepted.count(True) == 50 and accepted.count(False) == 30  # never blocked
    assert not recorder.flush(0.3)  # still down
    # the writer thread retries on its own schedule: wait (bounded) for two failed attempts,
    # read between attempts (during one, its batch is neither queued nor retried)
    import time

    deadline = time.monotonic() + 10
    stats = recorder.stats()
    while not (stats.write_errors >= 2 and stats.pending == 50) and time.monotonic() < deadline:
        time.sleep(0.01)
        stats = recorder.stats()
    assert stats.dropped == 30 and stats.write_errors >= 2 and stats.pending == 50
    assert stats.last_error is not None and "connection refused" in stats.last_error
    up.set()
    assert recorder.flush(10)
    recorder.close()
    assert recorder.stats().written == 50
    with SqliteLedger(path) as ledger:
        assert ledger.count() == 50
        # the counters are in the ledger for other processes (the metrics exporter)
        [saved] = ledger.writer_stats()
        assert (saved.recorded, saved.written, saved.dropped) == (80, 50, 30)


def test_store_going_away_mid_run_keeps_the_batch(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    up = threading.Event()
    up.set()
    attempts: list[int] = []
    recorder = Recorder(lambda: _Flaky(path, up, attempts), make_pricer,
                        flush_interval_s=0.01, max_backoff_s=0.05)  # fmt: skip
    recorder.record(OPENAI, model="gpt-4o")
    assert recorder.flush(10)
    up.clear()
    recorder._drop_store()  # the connection breaks; reopening fails while down
    for _ in range(10):
        recorder.record(OPENAI, model="gpt-4o")
    assert not recorder.flush(0.3)
    up.set()
    assert recorder.flush(10)
    recorder.close()
    with SqliteLedger(path) as ledger:
        assert ledger.count() == 11


def test_record_after_close_is_dropped_not_raised(tmp_path: Path) -> None:
    recorder = make_recorder(str(tmp_path / "l.sqlite3"))
    recorder.close()
    assert recorder.record(OPENAI, model="gpt-4o") is False
    assert recorder.stats().dropped == 1


def test_close_while_the_store_is_down_counts_the_loss(tmp_path: Path) -> None:
    up = threading.Event()
    attempts: list[int] = []
    recorder = Recorder(lambda: _Flaky(tmp_path / "l.sqlite3", up, attempts), make_pricer,
                        flush_interval_s=0.01, max_backoff_s=0.05)  # fmt: skip
    for _ in range(7):
        recorder.record(OPENAI, model="gpt-4o")
    recorder.close(timeout_s=0.3)
    recorder._thread.join(10)
    stats = recorder.stats()
    assert (stats.written, stats.dropped, stats.pending) == (0, 7, 0)


def test_close_with_a_backlog_never_touches_the_writers_connection(tmp_path: Path) -> None:
    """close() returns after its timeout while the writer still works through a backlog; the
    writer alone closes its connection when done (closing it from here crashed SQLite)."""
    recorder = make_recorder(str(tmp_path / "l.sqlite3"), flush_interval_s=3600)
    for index in range(30_000):
        recorder.record(OPENAI, model="gpt-4o", response_id=f"r{index}")
    recorder.close(timeout_s=0.01)
    recorder._thread.join(120)
    assert not recorder._thread.is_alive()
    assert recorder.stats().written == 30_000
    with SqliteLedger(tmp_path / "l.sqlite3") as ledger:
        assert ledger.count() == 30_000


APP_THAT_JUST_EXITS = """
from llmcost_lsp.core.ledger.api import record
for index in range(500):
    record({"prompt_tokens": 1200, "completion_tokens": 300}, model="gpt-4o",
           prompt_id="search", response_id=f"r{index}")
"""  # no close(), no flush(): the app returns and the interpreter exits


def test_calls_still_buffered_at_exit_are_written(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    env = {**os.environ, "LLMCOST_LEDGER": str(path)}
    done = subprocess.run([sys.executable, "-c", APP_THAT_JUST_EXITS], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with SqliteLedger(path) as ledger:
        assert ledger.count() == 500


def test_the_ledger_is_under_the_user_data_dir_unless_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import platformdirs

    from llmcost_lsp.core.ledger.api import ledger_location
    from llmcost_lsp.core.manifest import parse_manifest

    default = Path(platformdirs.user_data_dir("llm-cost")) / "ledger.sqlite3"
    assert ledger_location(None, env={}) == str(default)
    assert ledger_location(None, env={"LLMCOST_DATA_DIR": str(tmp_path)}) == str(
        tmp_path / "ledger.sqlite3"
    )
    manifest = parse_manifest('[actuals]\nledger = "var/l.sqlite3"\n')
    # relative to the manifest's folder; LLMCOST_LEDGER wins over it
    assert ledger_location(manifest, env={}, root=tmp_path) == str(tmp_path / "var/l.sqlite3")
    assert ledger_location(manifest, env={"LLMCOST_LEDGER": "/x.db"}, root=tmp_path) == "/x.db"
    # record() with nothing named writes there (the data dir moved to tmp_path)
    monkeypatch.delenv("LLMCOST_LEDGER", raising=False)
    monkeypatch.setenv("LLMCOST_DATA_DIR", str(tmp_path / "data"))
    recorder = make_recorder()
    recorder.record(OPENAI, model="gpt-4o", response_id="r1")
    recorder.close()
    with SqliteLedger(tmp_path / "data" / "ledger.sqlite3") as ledger:
        assert ledger.count() == 1
