"""Persistent token-count cache: SHA-256(tokenizer key + text) -> count, in SQLite under cache_dir.

A damaged cache file is deleted and rebuilt; when the cache cannot be used at all, counting goes on
without it. SQLite transactions make writes atomic and let two processes share the file.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.tokens.registry import Counter, counter_for
from llmcost_lsp.core.tokens.spec import TokenCount, TokenizerSpec

SCHEMA_VERSION = 1
_BATCH = 500  # bound the number of SQL parameters per query
# Past this size the cache starts over: entries are cheap to recompute, unbounded growth is not.
MAX_CACHE_BYTES = 64 * 1024 * 1024


def cache_path(settings: Settings) -> Path:
    return settings.cache_dir / "tokens" / f"counts-v{SCHEMA_VERSION}.sqlite3"


def cache_key(text: str, tokenizer_key: str) -> str:
    """Key of one count: the tokenizer's name and data hash, and the text's bytes."""
    digest = hashlib.sha256(tokenizer_key.encode("utf-8"))
    digest.update(b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class CountCache:
    """Raw token counts by `cache_key`. Never raises on a damaged or unwritable cache file."""

    def __init__(self, settings: Settings | None = None, *, path: Path | None = None) -> None:
        if path is None:
            path = cache_path(settings or Settings.from_env())
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._disabled = False

    def get(self, key: str) -> int | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for begin in range(0, len(keys), _BATCH):
            batch = keys[begin : begin + _BATCH]
            marks = ",".join("?" * len(batch))
            rows = self._run(f"SELECT key, tokens FROM counts WHERE key IN ({marks})", batch)
            found.update((str(key), int(tokens)) for key, tokens in rows)
        return found

    def put(self, key: str, tokens: int) -> None:
        self.put_many([(key, tokens)])

    def put_many(self, items: Iterable[tuple[str, int]]) -> None:
        rows = list(items)
        if rows:
            self._run("INSERT OR REPLACE INTO counts (key, tokens) VALUES (?, ?)", rows, many=True)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> CountCache:
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
                    "CREATE TABLE IF NOT EXISTS counts"
                    " (key TEXT PRIMARY KEY, tokens INTEGER NOT NULL) WITHOUT ROWID"
                )
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                (pages,) = connection.execute("PRAGMA page_count").fetchone()
                (page_size,) = connection.execute("PRAGMA page_size").fetchone()
                if pages * page_size > MAX_CACHE_BYTES:
                    connection.execute("DELETE FROM counts")
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


def count_text_cached(text: str, spec: TokenizerSpec, cache: CountCache) -> TokenCount:
    """`registry.count_text`, answered from the cache when this exact text was counted before."""
    return count_texts_cached([text], spec, cache)[0]


def count_texts_cached(
    texts: Sequence[str], spec: TokenizerSpec, cache: CountCache, counter: Counter | None = None
) -> list[TokenCount]:
    """Counts for many texts with one cache lookup; only the misses are tokenized and stored."""
    counter = counter or counter_for(spec)
    keys = [cache_key(text, counter.cache_key) for text in texts]
    known = cache.get_many(keys)
    fresh: dict[str, int] = {}
    for key, text in zip(keys, texts, strict=True):
        if key not in known and key not in fresh:
            fresh[key] = counter.count_raw(text)
    cache.put_many(fresh.items())
    return [counter.finish(known.get(key, fresh.get(key, 0))) for key in keys]
