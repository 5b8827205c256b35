"""The SQLite store under every cache: rows remember when they were last used, a read marks them
at most once an hour (reads rarely write), past the size limit the least recently used half goes,
and a file of the previous layout is rebuilt."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from llmcost_lsp.core.sqlite_store import SqliteStore

HOUR = 3600.0


class Store(SqliteStore):
    table, value_column, schema_version = "rows", "value TEXT NOT NULL", 3

    def __init__(self, path: Path, limit: int = 64 * 1024 * 1024) -> None:
        super().__init__(path=path)
        self.limit = limit

    @property
    def max_bytes(self) -> int:
        return self.limit


def used(path: Path, key: str) -> int:
    with sqlite3.connect(path) as connection:
        (value,) = connection.execute("SELECT used FROM rows WHERE key = ?", (key,)).fetchone()
    return int(value)


def test_past_the_limit_the_least_recently_used_half_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = Store(path)
    for hour in range(10):  # ten batches, an hour apart: batch 0 is the oldest
        store.clock = lambda hour=hour: hour * HOUR
        store.put_rows([(f"{hour}-{i}", "x" * 200) for i in range(100)])
    store.clock = lambda: 10 * HOUR
    assert len(store.get_rows(["0-0", "1-0"])) == 2  # read again: recently used now
    store.close()
    size = path.stat().st_size
    with Store(path, limit=size // 2) as small:
        every = [f"{hour}-{i}" for hour in range(10) for i in range(100)]
        kept = {key for key, _ in small.get_rows(every)}
    assert len(kept) == 500 and {"0-0", "1-0"} <= kept
    assert {f"9-{i}" for i in range(100)} <= kept and not any(k.startswith("2-") for k in kept)
    assert path.stat().st_size < size


def test_a_read_within_the_hour_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with Store(path) as store:
        store.clock = lambda: 1000.0
        store.put_rows([("a", "1")])
        store.clock = lambda: 1000.0 + HOUR - 1
        assert store.get_rows(["a"]) == [("a", "1")]
        assert used(path, "a") == 1000
        store.clock = lambda: 1000.0 + HOUR + 1
        store.get_rows(["a"])
        assert used(path, "a") == 1000 + HOUR + 1


def test_a_file_of_the_previous_layout_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    with sqlite3.connect(path) as old:  # as version 1 wrote it: no `used` column
        old.execute("CREATE TABLE rows (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
        old.execute("INSERT INTO rows VALUES ('a', '1')")
        old.execute("PRAGMA user_version = 3")
    old.close()
    with Store(path) as store:
        assert store.get_rows(["a"]) == []
        store.put_rows([("b", "2")])
        assert store.get_rows(["b"]) == [("b", "2")]
