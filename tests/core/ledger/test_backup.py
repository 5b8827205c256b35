"""SQLite ledger backup and restore (the online backup API): a backup taken while another
process keeps writing is one consistent instant; a restore brings exactly that back; a damaged
or foreign backup is refused and the ledger left as it was. Also through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from llmcost_lsp.core.ledger.backup import backup_sqlite, restore_sqlite
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.ledger.store import LedgerError

from .test_sqlite_ledger import WRITER, assert_rollups_match, rows


def test_backup_while_a_process_writes_then_restore(tmp_path: Path) -> None:
    path, saved = tmp_path / "l.sqlite3", tmp_path / "backups" / "b.sqlite3"
    SqliteLedger(path).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "1", "100000", "200"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert writer.stdout is not None
    try:
        for _ in range(5):
            writer.stdout.readline()  # some batches are in
        result = backup_sqlite(path, saved)
        for _ in range(5):
            writer.stdout.readline()  # and more after the backup
    finally:
        writer.kill()
        writer.wait(30)
    assert result.calls >= 1000 and result.calls % 200 == 0  # whole batches: one instant
    assert not list(saved.parent.glob(".*partial"))
    with SqliteLedger(saved) as copy:
        assert copy.count() == result.calls
        assert_rollups_match(copy)
    with SqliteLedger(path) as live:
        assert live.count() > result.calls
    assert restore_sqlite(saved, path).calls == result.calls
    with SqliteLedger(path) as restored:
        assert restored.count() == result.calls
        assert_rollups_match(restored)
        assert restored.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert restored.write(rows(3)).inserted == 3  # and it takes writes again


def test_a_bad_backup_is_refused_and_the_ledger_kept(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    with SqliteLedger(path) as ledger:
        ledger.write(rows(10))
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 5000)
    foreign = tmp_path / "foreign.sqlite3"
    import sqlite3

    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE notes (x)")
    for bad, message in ((damaged, "not a readable|damaged"), (foreign, "not an llm-cost"),
                         (tmp_path / "missing", "no backup")):  # fmt: skip
        with pytest.raises(LedgerError, match=message):
            restore_sqlite(bad, path)
    with SqliteLedger(path) as ledger:
        assert ledger.count() == 10
    with pytest.raises(LedgerError, match="no ledger"):
        backup_sqlite(tmp_path / "nothing.sqlite3", tmp_path / "x.sqlite3")


def test_backup_and_restore_commands(tmp_path: Path) -> None:
    path, saved = tmp_path / "l.sqlite3", tmp_path / "b.sqlite3"
    with SqliteLedger(path) as ledger:
        ledger.write(rows(7))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "llmcost_lsp.cli.main", "actuals", *args,
             "--ledger", str(path), "--root", str(tmp_path)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    done = cli("backup", str(saved))
    assert done.returncode == 0, done.stderr
    assert "7 calls" in done.stderr
    with SqliteLedger(path) as ledger:
        ledger.write(rows(5, start=100))
    done = cli("restore", str(saved))
    assert done.returncode == 0, done.stderr
    with SqliteLedger(path) as ledger:
        assert ledger.count() == 7
    refused = cli("restore", str(tmp_path / "missing.sqlite3"))
    assert refused.returncode == 2 and "no backup" in refused.stderr
