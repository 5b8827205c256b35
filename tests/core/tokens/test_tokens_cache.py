from __future__ import annotations

import multiprocessing
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.tokens import cache as cache_module
from llmcost_lsp.core.tokens import registry
from llmcost_lsp.core.tokens.cache import (
    CountCache,
    cache_key,
    count_text_cached,
    count_texts_cached,
)
from llmcost_lsp.core.tokens.spec import TokenizerSpec

OPENAI = TokenizerSpec(family="openai")
OPENAI_OLD = TokenizerSpec(family="openai", encoding="cl100k_base")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", config_dir=tmp_path / "config")


def _forbid_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_text: str) -> int:
        raise AssertionError("counted although the cache had the answer")

    monkeypatch.setattr(registry, "_tiktoken_counter", lambda _name: refuse)


def test_warm_start_is_answered_from_disk(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with CountCache(settings) as cold:
        first = count_text_cached("hello world", OPENAI, cold)
    assert CountCache.path_for(settings).is_file()
    _forbid_counting(monkeypatch)
    with CountCache(settings) as warm:  # a new process would open the file just like this
        assert count_text_cached("hello world", OPENAI, warm) == first
        assert first.tokens == 2


def test_approximate_counts_reuse_raw_counts_and_rescale(settings: Settings) -> None:
    claude = TokenizerSpec(family="claude", ratio=Decimal("1.6"), error_band_pct=Decimal(10))
    with CountCache(settings) as cache:
        count_text_cached("hello world", OPENAI, cache)
        approximate = count_text_cached("hello world", claude, cache)
    assert (approximate.tokens, approximate.method) == (4, "approximate")  # ceil(2 x 1.6)


def test_encodings_do_not_collide(settings: Settings) -> None:
    text = "Supercalifragilistic indubitably"
    with CountCache(settings) as cache:
        new = count_text_cached(text, OPENAI, cache)
        old = count_text_cached(text, OPENAI_OLD, cache)
        assert new.tokens != old.tokens
        assert count_text_cached(text, OPENAI, cache) == new
    assert cache_key(text, "o200k_base:x") != cache_key(text, "cl100k_base:x")
    assert cache_key("ab", "k") != cache_key("b", "ka")  # the separator prevents shifting


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 5000],
    ids=["empty", "garbage", "bad-pages"],
)
def test_damaged_cache_file_is_rebuilt(settings: Settings, damage: bytes) -> None:
    path = CountCache.path_for(settings)
    with CountCache(settings) as cache:
        count_text_cached("hello", OPENAI, cache)
    path.write_bytes(damage)
    with CountCache(settings) as cache:
        assert count_text_cached("hello world", OPENAI, cache).tokens == 2
        assert cache.get(cache_key("hello world", registry.counter_for(OPENAI).cache_key)) == 2


def test_truncated_cache_file_never_crashes(settings: Settings) -> None:
    with CountCache(settings) as cache:
        count_texts_cached([f"text number {i}" for i in range(3000)], OPENAI, cache)
    path = CountCache.path_for(settings)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with CountCache(settings) as cache:
        counts = count_texts_cached([f"text number {i}" for i in range(3000)], OPENAI, cache)
    assert [c.tokens for c in counts[:2]] == [4, 4]


def test_unwritable_cache_dir_still_counts(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache dir should be")
    with CountCache(path=blocker / "tokens" / "counts.sqlite3") as cache:
        assert count_text_cached("hello world", OPENAI, cache).tokens == 2
        assert cache.get("anything") is None


def test_batch_counts_repeated_texts_once(settings: Settings) -> None:
    seen: list[str] = []
    counter = registry.counter_for(OPENAI)
    spy = registry.Counter(
        counter.tokenizer,
        lambda t: seen.append(t) or counter.count_raw(t),  # type: ignore[func-returns-value]
        None,
        None,
        True,
        counter.cache_key,
    )
    with CountCache(settings) as cache:
        counts = count_texts_cached(["a b", "a b", "c"], OPENAI, cache, spy)
    assert [c.tokens for c in counts] == [2, 2, 1]
    assert seen == ["a b", "c"]


def _write_counts(path: str, offset: int) -> None:
    with CountCache(path=Path(path)) as cache:
        for i in range(50):
            cache.put(f"key-{offset + i}", i)


def test_two_processes_can_write_the_same_cache(settings: Settings) -> None:
    path = str(CountCache.path_for(settings))
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_counts, args=(path, n * 1000)) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    with CountCache(path=Path(path)) as cache:
        found = cache.get_many([f"key-{n * 1000 + i}" for n in range(2) for i in range(50)])
    # A writer that met a lock skips its write rather than failing or waiting (the cache is a
    # shortcut, never a source of truth): how many land depends on the machine's load, so the
    # test asserts what must hold whatever the timing — both writers finished, the file is a
    # readable cache, and every count in it is the one written for its key.
    assert found, "no write landed at all"
    assert all(count == int(key.split("-")[1]) % 1000 for key, count in found.items())
    assert cache_module.SCHEMA_VERSION == 1


def test_an_oversized_cache_keeps_its_recently_used_half(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [f"text number {i}" for i in range(2000)]
    with CountCache(settings) as cache:
        cache.clock = lambda: 1_000_000.0
        count_texts_cached(texts, OPENAI, cache)
    with CountCache(settings) as cache:
        cache.clock = lambda: 1_000_000.0 + 7200  # two hours later: this read marks it used
        count_texts_cached(["text number 1999"], OPENAI, cache)
    size = CountCache.path_for(settings).stat().st_size
    monkeypatch.setattr(cache_module, "MAX_CACHE_BYTES", size // 2)
    _forbid_counting(monkeypatch)
    with CountCache(settings) as cache:
        assert count_text_cached("text number 1999", OPENAI, cache).tokens == 5
        counter_key = registry.counter_for(OPENAI).cache_key
        kept = cache.get_many([cache_key(text, counter_key) for text in texts])
    assert len(kept) == 1000 and CountCache.path_for(settings).stat().st_size < size
