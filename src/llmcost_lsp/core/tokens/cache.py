"""Persistent token-count cache: SHA-256(tokenizer key + text) -> count, in SQLite under cache_dir.

A damaged cache file is deleted and rebuilt; when the cache cannot be used at all, counting goes on
without it. SQLite transactions make writes atomic and let two processes share the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from llmcost_lsp.core.sqlite_store import SqliteStore
from llmcost_lsp.core.tokens.registry import Counter, counter_for
from llmcost_lsp.core.tokens.spec import TokenCount, TokenizerSpec

SCHEMA_VERSION = 1
# Past this size the least recently used half goes: entries are cheap to recompute, unbounded
# growth is not.
MAX_CACHE_BYTES = 64 * 1024 * 1024


def cache_key(text: str, tokenizer_key: str) -> str:
    """Key of one count: the tokenizer's name and data hash, and the text's bytes."""
    digest = hashlib.sha256(tokenizer_key.encode("utf-8"))
    digest.update(b"\0")
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class CountCache(SqliteStore):
    """Raw token counts by `cache_key`. Never raises on a damaged or unwritable cache file."""

    table, value_column = "counts", "tokens INTEGER NOT NULL"
    schema_version, file = SCHEMA_VERSION, "tokens/counts"

    @property
    def max_bytes(self) -> int:
        return MAX_CACHE_BYTES

    def get(self, key: str) -> int | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: Sequence[str]) -> dict[str, int]:
        return {str(key): int(tokens) for key, tokens in self.get_rows(keys)}

    def put(self, key: str, tokens: int) -> None:
        self.put_many([(key, tokens)])

    def put_many(self, items: Iterable[tuple[str, int]]) -> None:
        self.put_rows(list(items))


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
