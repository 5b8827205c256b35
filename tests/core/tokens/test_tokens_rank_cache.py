"""The binary rank cache: the same ranks as the shipped file, and never used when damaged."""

from __future__ import annotations

import hashlib
import marshal
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from llmcost_lsp.core.errors import TokenizerDataError
from llmcost_lsp.core.tokens import rank_cache, vocab

O200K = vocab.VOCABULARIES["o200k_base"]
CL100K = vocab.VOCABULARIES["cl100k_base"]


@pytest.fixture(scope="module")
def shipped_cl100k() -> dict[bytes, int]:
    return vocab.parse_ranks(vocab.read_vocab_bytes("cl100k_base"))


def _cache(tmp_path: Path, encoding: str = "cl100k_base") -> Path:
    item = vocab.VOCABULARIES[encoding]
    return rank_cache.cache_file(tmp_path, item.encoding, item.sha256)


def _rewrite(path: Path, data: bytes) -> None:
    """Replace a cache file AND its digest: damage the hash check alone cannot see."""
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    rank_cache.digest_file(path).write_text(digest + "\n")


def test_the_first_load_writes_the_cache_and_the_second_reads_it(
    tmp_path: Path, shipped_cl100k: dict[bytes, int]
) -> None:
    cache = tmp_path / "vocab"
    assert vocab.load_ranks("cl100k_base", cache_dir=cache) == shipped_cl100k
    assert _cache(cache).exists() and rank_cache.digest_file(_cache(cache)).exists()
    # no shipped file at all: only the cache can answer
    from_cache = vocab.load_ranks("cl100k_base", tmp_path / "no-data", cache)
    assert from_cache == shipped_cl100k
    assert list(from_cache.items()) == sorted(shipped_cl100k.items(), key=lambda kv: kv[1])


def test_an_encoding_built_from_the_cache_counts_exactly(tmp_path: Path) -> None:
    cache = tmp_path / "vocab"
    vocab.build_encoding("o200k_base", cache_dir=cache)  # writes the cache
    encoding = vocab.build_encoding("o200k_base", tmp_path / "no-data", cache)
    assert encoding.encode_ordinary("hello world") == [24912, 2375]
    assert encoding.n_vocab == 200019
    text = "naïve café — 東京 🙂 it's <|endoftext|>\r\n\tx = 1_000_000\n"
    assert encoding.encode_ordinary(text) == vocab.get_encoding("o200k_base").encode_ordinary(text)


@pytest.mark.parametrize("position", [0, 20, 100, 3_000_000, -1])
def test_a_damaged_cache_is_detected_and_rebuilt(
    tmp_path: Path, position: int, shipped_cl100k: dict[bytes, int]
) -> None:
    vocab.load_ranks("cl100k_base", cache_dir=tmp_path)
    path = _cache(tmp_path)
    good = path.read_bytes()
    damaged = bytearray(good)
    damaged[position % len(good)] ^= 0x01
    path.write_bytes(bytes(damaged))  # the recorded digest no longer matches
    assert rank_cache.read(tmp_path, "cl100k_base", CL100K.sha256) is None
    assert vocab.load_ranks("cl100k_base", cache_dir=tmp_path) == shipped_cl100k
    assert path.read_bytes() == good  # rebuilt from the shipped, hash-checked file


def test_a_missing_or_garbled_digest_means_no_cache(tmp_path: Path) -> None:
    vocab.load_ranks("cl100k_base", cache_dir=tmp_path)
    digest = rank_cache.digest_file(_cache(tmp_path))
    digest.write_bytes(b"\xff\xfe not a digest")
    assert rank_cache.read(tmp_path, "cl100k_base", CL100K.sha256) is None
    digest.unlink()
    assert rank_cache.read(tmp_path, "cl100k_base", CL100K.sha256) is None


def test_a_cache_of_another_vocabulary_is_not_used(
    tmp_path: Path, shipped_cl100k: dict[bytes, int]
) -> None:
    vocab.load_ranks("cl100k_base", cache_dir=tmp_path)
    # cl100k's cache under o200k's name, with a digest that matches: the header tells
    _rewrite(_cache(tmp_path, "o200k_base"), _cache(tmp_path).read_bytes())
    assert rank_cache.read(tmp_path, "o200k_base", O200K.sha256) is None
    assert vocab.load_ranks("o200k_base", cache_dir=tmp_path) != shipped_cl100k


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],  # truncated
        lambda data: data + b"x",  # trailing bytes
        lambda data: data[:10],  # shorter than the header
        lambda data: b"X" + data[1:],  # wrong magic
        lambda data: data[:16] + b"\x09" + data[17:],  # a newer format
    ],
)
def test_an_inconsistent_file_with_a_matching_digest_is_not_used(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    vocab.load_ranks("cl100k_base", cache_dir=tmp_path)
    path = _cache(tmp_path)
    _rewrite(path, damage(path.read_bytes()))
    assert rank_cache.read(tmp_path, "cl100k_base", CL100K.sha256) is None


def test_a_payload_that_is_not_the_recorded_dict_is_rejected() -> None:
    good = rank_cache.encode({b"ab": 0, b"cd": 1}, CL100K.sha256)
    assert rank_cache.decode(good, CL100K.sha256) == {b"ab": 0, b"cd": 1}
    source = bytes.fromhex(CL100K.sha256)

    def forge(count: int, payload: bytes) -> bytes:
        header = (rank_cache.MAGIC, rank_cache.FORMAT, source, count, marshal.version, len(payload))
        return rank_cache._HEADER.pack(*header) + payload

    assert rank_cache.decode(forge(2, marshal.dumps({b"ab": 0, b"cd": 1})), CL100K.sha256)
    for forged in (
        forge(3, marshal.dumps({b"ab": 0, b"cd": 1})),  # not the recorded length
        forge(2, marshal.dumps([b"ab", b"cd"])),  # not a dict
        forge(2, b"\xff\x00garbage"),  # not marshal data
    ):
        with pytest.raises(ValueError):
            rank_cache.decode(forged, CL100K.sha256)


def test_a_cache_path_that_is_a_file_still_counts(
    tmp_path: Path, shipped_cl100k: dict[bytes, int]
) -> None:
    blocker = tmp_path / "vocab"
    blocker.write_text("not a folder")  # mkdir fails: the write is skipped, counting goes on
    assert vocab.load_ranks("cl100k_base", cache_dir=blocker) == shipped_cl100k
    assert not rank_cache.write(blocker, "cl100k_base", CL100K.sha256, shipped_cl100k)


def test_the_shipped_file_is_still_checked_when_there_is_no_cache(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(vocab.data_dir() / CL100K.filename, data / CL100K.filename)
    (data / CL100K.filename).write_bytes(b"\x1f\x8b" + b"\x00" * 50)
    with pytest.raises(TokenizerDataError, match="cl100k_base"):
        vocab.load_ranks("cl100k_base", data, tmp_path / "vocab")
    assert not _cache(tmp_path / "vocab").exists()  # nothing cached from a bad file
