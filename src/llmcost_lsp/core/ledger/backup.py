"""Backup and restore of an SQLite ledger, online, with SQLite's backup API.

A backup is one read transaction: in WAL mode it does not stop the writers, and it copies the
ledger as it was at one instant (rows and rollups agree). It is written beside the destination
and renamed into place only once it passed `PRAGMA quick_check`, so a failed backup never
leaves a half file under the name. A restore checks the backup first (an SQLite ledger, a
schema this llm-cost knows) and copies it into the ledger through the same API, which takes
the ledger's write lock: writers wait (busy timeout) and continue on the restored content.
PostgreSQL ledgers are backed up with pg_dump (docs/actuals.md).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from llmcost_lsp.core.ledger.sqlite import BUSY_TIMEOUT_MS
from llmcost_lsp.core.ledger.store import SCHEMA_VERSION, LedgerError


@dataclass(frozen=True)
class BackupResult:
    calls: int
    bytes: int
    schema: int


def _check(connection: sqlite3.Connection, path: Path) -> BackupResult:
    """What `path` holds, if it is an intact ledger this llm-cost can open."""
    try:
        problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise LedgerError(f"{path} is damaged: {'; '.join(problems[:3])}")
        schema = int(connection.execute("PRAGMA user_version").fetchone()[0])
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if schema == 0 or "calls" not in tables:
            raise LedgerError(f"{path} is an SQLite database but not an llm-cost ledger")
        if schema > SCHEMA_VERSION:
            raise LedgerError(
                f"{path} has ledger schema {schema}; this llm-cost knows up to {SCHEMA_VERSION}",
                hint="upgrade llm-cost to restore it",
            )
        calls = int(connection.execute("SELECT count(*) FROM calls").fetchone()[0])
    except sqlite3.DatabaseError as error:
        raise LedgerError(f"{path} is not a readable SQLite ledger ({error})") from None
    return BackupResult(calls, path.stat().st_size, schema)


def backup_sqlite(ledger: Path, destination: Path) -> BackupResult:
    """Copy the live ledger at `ledger` to `destination` (replaced atomically)."""
    if not ledger.is_file():
        raise LedgerError(f"there is no ledger at {ledger}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    try:
        source = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # all pages in one step: one consistent snapshot
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            result = _check(copy, partial)
        finally:
            copy.close()
            source.close()
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, destination)
    except sqlite3.DatabaseError as error:
        raise LedgerError(f"cannot back up {ledger}: {error}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupResult(result.calls, destination.stat().st_size, result.schema)


def restore_sqlite(backup: Path, ledger: Path) -> BackupResult:
    """Replace the content of the ledger at `ledger` with the backup at `backup`."""
    if not backup.is_file():
        raise LedgerError(f"there is no backup at {backup}")
    try:
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    except sqlite3.DatabaseError as error:
        raise LedgerError(f"cannot open the backup {backup}: {error}") from None
    try:
        result = _check(source, backup)
        ledger.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(ledger, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            target.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            source.backup(target)
            target.execute("PRAGMA journal_mode = WAL")
        finally:
            target.close()
    except sqlite3.DatabaseError as error:
        raise LedgerError(f"cannot restore {backup} into {ledger}: {error}") from None
    finally:
        source.close()
    return result
