"""A key → value table in an SQLite file under the cache dir, that never fails its caller.

The policy shared by the token-count cache and diff's caches: a damaged file is deleted and
rebuilt (once; a second failure turns the store off for this process), a file locked by another
process is skipped for this call, and past a size limit the least recently used half of the rows
is dropped. SQLite transactions make writes atomic and let processes share the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

from llmcost_lsp.core.settings import Settings

_BATCH = 500  # bound the number of SQL parameters per query
_LAYOUT_VERSION = 2  # of the table itself: 2 added `used`; a file of another layout is rebuilt
_TOUCH_AFTER_S = 3600  # a read marks a row used again at most once an hour: reads rarely write


class SqliteStore:
    """Rows `(key TEXT PRIMARY KEY, <value_column>, used)` of one table, `used` being when the
    row was last written or read (Unix seconds); subclasses name the table and give the rows
    meaning."""

    table: ClassVar[str]
    value_column: ClassVar[str]  # its name and SQL type: "value TEXT NOT NULL"
    schema_version: ClassVar[int]  # of the values: a file of another version is rebuilt
    file: ClassVar[str]  # under the cache dir, without the version: "tokens/counts"

    def __init__(self, settings: Settings | None = None, *, path: Path | None = None) -> None:
        """`settings`: where the file is (`path` puts it elsewhere) and whose clock marks rows
        used (the one clock; LLMCOST_NOW pins it)."""
        settings = settings or Settings.from_env()
        clock = settings.now
        self.path = path or self.path_for(settings)
        self._connection: sqlite3.Connection | None = None
        self._disabled = False
        self.clock: Callable[[], float] = lambda: clock().timestamp()  # Unix s; tests turn it

    @classmethod
    def path_for(cls, settings: Settings) -> Path:
        """The store's file under the settings' cache dir."""
        return settings.cache_dir / f"{cls.file}-v{cls.schema_version}.sqlite3"

    @property
    def max_bytes(self) -> int:
        """Past this file size the least recently used half of the rows is dropped."""
        return 64 * 1024 * 1024

    def get_rows(self, keys: Sequence[str]) -> list[tuple[Any, ...]]:
        """(key, value) of the keys present; marks them used."""
        rows: list[tuple[Any, ...]] = []
        table, value = self.table, self.value_column.split()[0]
        now = int(self.clock())
        stale: list[str] = []
        for begin in range(0, len(keys), _BATCH):
            batch = keys[begin : begin + _BATCH]
            marks = ",".join("?" * len(batch))
            sql = f"SELECT key, {value}, used FROM {table} WHERE key IN ({marks})"
            for key, found, used in self._run(sql, batch):
                rows.append((key, found))
                if used < now - _TOUCH_AFTER_S:
                    stale.append(key)
        if stale:
            self._run(f"UPDATE {table} SET used = ? WHERE key = ?", [(now, k) for k in stale],
                      many=True)  # fmt: skip
        return rows

    def put_rows(self, rows: Sequence[tuple[str, Any]]) -> None:
        if rows:
            value = self.value_column.split()[0]
            sql = f"INSERT OR REPLACE INTO {self.table} (key, {value}, used) VALUES (?, ?, ?)"
            now = int(self.clock())
            self._run(sql, [(key, found, now) for key, found in rows], many=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _run(
        self, sql: str, params: Sequence[object], *, many: bool = False
    ) -> list[tuple[Any, ...]]:
        # One retry after rebuilding: a damaged file is thrown away, a second failure disables.
        for attempt in range(2):
            connection = self._connect()
            if connection is None:
                return []
            try:
                with connection:
                    if many:
                        connection.executemany(sql, params)  # type: ignore[arg-type]
                        return []
                    return connection.execute(sql, params).fetchall()
            except sqlite3.OperationalError as error:
                if "locked" in str(error) or "busy" in str(error):
                    return []  # another process holds the file: skip the cache this time
                self._discard(rebuild=attempt == 0)
            except sqlite3.DatabaseError:
                self._discard(rebuild=attempt == 0)
        return []

    def _connect(self, *, retry: bool = True) -> sqlite3.Connection | None:
        if self._disabled:
            return None
        if self._connection is not None:
            return self._connection
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=5.0)
        except (OSError, sqlite3.Error):
            self._disabled = True
            return None
        try:
            with connection:
                # Reading user_version reads the header: a file that is not a database fails here.
                (version,) = connection.execute("PRAGMA user_version").fetchone()
                expected = self.schema_version * 1000 + _LAYOUT_VERSION
                if version not in (0, expected):
                    raise sqlite3.DatabaseError(f"unknown cache schema {version}")
                connection.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table} (key TEXT PRIMARY KEY,"
                    f" {self.value_column}, used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID"
                )
                connection.execute(f"PRAGMA user_version = {expected}")
                (pages,) = connection.execute("PRAGMA page_count").fetchone()
                (page_size,) = connection.execute("PRAGMA page_size").fetchone()
                too_big = pages * page_size > self.max_bytes
                if too_big:  # keep the more recently used half: today's work stays warm
                    connection.execute(
                        f"DELETE FROM {self.table} WHERE key IN (SELECT key FROM {self.table}"
                        f" ORDER BY used LIMIT (SELECT (COUNT(*) + 1) / 2 FROM {self.table}))"
                    )
            if too_big:
                connection.execute("VACUUM")  # outside the transaction, as SQLite requires
        except sqlite3.Error:
            connection.close()
            self._discard(rebuild=retry)
            return self._connect(retry=False) if retry else None
        self._connection = connection
        return connection

    def _discard(self, *, rebuild: bool) -> None:
        """Drop a damaged cache file; without `rebuild`, stop using the cache in this process."""
        self.close()
        if not rebuild:
            self._disabled = True
            return
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            except OSError:
                self._disabled = True
