"""The SQLite ledger: one file (WAL) that several writer processes append to.

WAL lets readers run beside the one writer; `BEGIN IMMEDIATE` with a busy timeout queues the
writers of other processes instead of failing them. Budget transactions (reserve, settle) also
queue on an OS lock beside the file first: SQLite's busy handler polls by sleeping 1, 2, 5, 10 …
ms, while a process blocked on `flock` is woken the moment the lock is free, which keeps a
reservation short when four processes race for it. A file that is not a ledger (corrupt, or
another program's database) is reported, never deleted: it holds money figures.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from llmcost_lsp.core.ledger.store import SCHEMA_VERSION, LedgerError, SqlStore, migrations

BUSY_TIMEOUT_MS = 10_000


class SqliteLedger(SqlStore):
    kind = "sqlite"

    def __init__(self, path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self._budget_lock: int | None = None  # the lock file's descriptor, opened when first used
        self._checkpointer: threading.Thread | None = None
        self._stop = threading.Event()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = sqlite3.connect(
                self.path, isolation_level=None, timeout=busy_timeout_ms / 1000,
                check_same_thread=False,
            )  # fmt: skip
        except (OSError, sqlite3.Error) as error:
            raise LedgerError(f"cannot open the ledger {self.path}: {error}") from None
        try:
            self.connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self.connection.execute("PRAGMA journal_mode = WAL")
            self.connection.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as error:
            self.connection.close()
            raise LedgerError(_explain(self.path, error)) from None

    def _cursor(self) -> Any:
        return self.connection.cursor()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as error:
            cursor.close()
            raise LedgerError(_explain(self.path, error)) from None
        try:
            yield cursor
            cursor.execute("COMMIT")
        except BaseException as error:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            if isinstance(error, sqlite3.DatabaseError):
                raise LedgerError(_explain(self.path, error)) from None
            raise
        finally:
            cursor.close()

    def _migrate(self) -> None:
        current = self.connection.execute("PRAGMA user_version").fetchone()[0]
        if current == SCHEMA_VERSION:
            return
        if current > SCHEMA_VERSION:
            raise LedgerError(
                f"the ledger {self.path} has schema version {current}; this llm-cost knows "
                f"up to {SCHEMA_VERSION}",
                hint="upgrade llm-cost to read this ledger",
            )
        with self._transaction() as cursor:
            # read again under the write lock: another process may have migrated meanwhile
            current = cursor.execute("PRAGMA user_version").fetchone()[0]
            if (
                current == 0
                and cursor.execute(
                    "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                ).fetchone()[0]
            ):
                raise LedgerError(
                    f"{self.path} is an SQLite database but not an llm-cost ledger",
                    hint="point LLMCOST_LEDGER at a new file",
                )
            for version, statements in migrations("INTEGER", "TEXT"):
                if version <= current:
                    continue
                for statement in statements:
                    cursor.execute(statement)
                cursor.execute(f"PRAGMA user_version = {version}")

    def budget_transaction(self, project: str) -> AbstractContextManager[Any]:
        return self._budget_transaction()

    @contextmanager
    def _budget_transaction(self) -> Iterator[Any]:
        try:
            import fcntl
        except ImportError:  # Windows: SQLite's own busy handler queues the writers
            with self._transaction() as cursor:
                yield cursor
            return
        if self._budget_lock is None:
            lock_path = self.path.with_name(self.path.name + "-budget.lock")
            try:
                self._budget_lock = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                raise LedgerError(f"cannot open the ledger's lock {lock_path}: {error}") from None
        fcntl.flock(self._budget_lock, fcntl.LOCK_EX)
        try:
            with self._transaction() as cursor:
                yield cursor
        finally:
            fcntl.flock(self._budget_lock, fcntl.LOCK_UN)

    def checkpoint_in_background(self, interval_s: float = 0.5) -> None:
        """Move WAL checkpoints off this connection's commits onto a thread of their own.

        A commit that crosses the WAL's auto-checkpoint size (1,000 pages, every ~50 guarded
        calls) copies the WAL into the file and fsyncs it (4-15 ms per fsync on the shared
        machine here) while holding the budget lock: guard + settle p99 was 4-11 ms in one
        process, 0.5-1.4 ms without it (benchmarks/bench_guard.py). The thread checkpoints
        PASSIVE (never waiting for, nor blocking, a writer) on its own connection."""
        if self._checkpointer is not None:
            return
        self.connection.execute("PRAGMA wal_autocheckpoint = 0")
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, args=(interval_s,), name="llm-cost-checkpoint",
            daemon=True,
        )  # fmt: skip
        self._checkpointer.start()

    def _checkpoint_loop(self, interval_s: float) -> None:
        try:
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=0)
        except sqlite3.Error:
            return
        try:
            while not self._stop.wait(interval_s):
                with contextlib.suppress(sqlite3.Error):  # busy: another checkpointer runs
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()

    def close(self) -> None:
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join(5)
            self._checkpointer = None
        if self._budget_lock is not None:
            os.close(self._budget_lock)
            self._budget_lock = None
        self.connection.close()

    def size_bytes(self) -> int:
        """The file and its WAL, after a checkpoint."""
        self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        wal = self.path.with_name(self.path.name + "-wal")
        return self.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def _explain(path: Path, error: sqlite3.DatabaseError) -> str:
    text = str(error)
    if "not a database" in text or "malformed" in text:
        return f"the ledger {path} is corrupt or not an SQLite file ({text})"
    if "locked" in text or "busy" in text:
        return f"the ledger {path} is locked by another process ({text})"
    if "full" in text:
        return f"the ledger {path} cannot grow: the disk is full ({text})"
    return f"the ledger {path}: {text}"
