"""Persistent per-prompt results for `diff`: what a prompt costs per month and which findings it
has, keyed by everything that decides them (core/diff.py builds the key), in SQLite under cache_dir.

Same policy as the token-count cache (core/tokens/cache.py): a damaged file is deleted and rebuilt,
a locked one is skipped for this run, and when the cache cannot be used at all, diff computes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from llmcost_lsp.core.settings import Settings

__all__ = ["ResultCache", "ResultSummary", "result_cache_path"]

SCHEMA_VERSION = 1
_BATCH = 500  # bound the number of SQL parameters per query
MAX_CACHE_BYTES = 64 * 1024 * 1024  # past this the cache starts over


def result_cache_path(settings: Settings) -> Path:
    return settings.cache_dir / "results" / f"summaries-v{SCHEMA_VERSION}.sqlite3"


@dataclass(frozen=True)
class ResultSummary:
    """What a diff needs of a prompt it does not show: its monthly cost (None when unknown or
    not estimated) and the identity (code, subject) of each of its findings."""

    monthly_usd: Decimal | None
    finding_keys: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> str:
        monthly = None if self.monthly_usd is None else str(self.monthly_usd)
        return json.dumps([monthly, [list(key) for key in self.finding_keys]])

    @classmethod
    def from_json(cls, text: str) -> ResultSummary | None:
        """None for anything this version did not write (treated as a miss)."""
        try:
            monthly, keys = json.loads(text)
            return cls(
                None if monthly is None else Decimal(monthly),
                tuple((str(code), str(subject)) for code, subject in keys),
            )
        except (ValueError, TypeError, InvalidOperation):
            return None


class ResultCache:
    """ResultSummary by key. Never raises on a damaged, locked or unwritable cache file."""

    def __init__(self, settings: Settings | None = None, *, path: Path | None = None) -> None:
        self.path = path or result_cache_path(settings or Settings.from_env())
        self._connection: sqlite3.Connection | None = None
        self._disabled = False

    def get_many(self, keys: Sequence[str]) -> dict[str, ResultSummary]:
        found: dict[str, ResultSummary] = {}
        for begin in range(0, len(keys), _BATCH):
            batch = keys[begin : begin + _BATCH]
            marks = ",".join("?" * len(batch))
            rows = self._run(f"SELECT key, value FROM results WHERE key IN ({marks})", batch)
            for key, value in rows:
                summary = ResultSummary.from_json(str(value))
                if summary is not None:
                    found[str(key)] = summary
        return found

    def put_many(self, items: Iterable[tuple[str, ResultSummary]]) -> None:
        rows = [(key, summary.to_json()) for key, summary in items]
        if rows:
            self._run("INSERT OR REPLACE INTO results (key, value) VALUES (?, ?)", rows, many=True)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> ResultCache:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

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
                if version not in (0, SCHEMA_VERSION):
                    raise sqlite3.DatabaseError(f"unknown cache schema {version}")
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS results"
                    " (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"
                )
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                (pages,) = connection.execute("PRAGMA page_count").fetchone()
                (page_size,) = connection.execute("PRAGMA page_size").fetchone()
                if pages * page_size > MAX_CACHE_BYTES:
                    connection.execute("DELETE FROM results")
            if pages * page_size > MAX_CACHE_BYTES:
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
