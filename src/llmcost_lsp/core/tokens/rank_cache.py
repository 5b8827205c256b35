"""A vocabulary's mergeable ranks in a binary form that loads about three times faster than the
shipped base64 text, kept in the cache dir and checked against a SHA-256 recorded beside it.

`<encoding>-<source sha256[:16]>-<python tag>.ranks` holds a header (magic, format, the full
SHA-256 of the shipped vocabulary it was built from, the token count, this Python's marshal
version) and then the ranks dict written with `marshal`, the fastest way CPython has to rebuild a
dict of 200,000 byte strings. `<that name>.sha256` holds the hex SHA-256 of the whole file.

A read returns None, and the caller rebuilds from the shipped file, unless the file hashes to
the recorded digest, its header names this very vocabulary and Python, and it holds a dict of
the recorded length: a damaged, truncated, half-written or foreign cache is never used. marshal
builds only plain values (no code runs on load, unlike pickle); its format belongs to one Python
version, hence the tag in the name. Every write is best effort: a read-only cache dir only means
the next process parses the shipped file again.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import struct
import sys
from pathlib import Path

MAGIC = b"llm-cost ranks\x00\x00"
FORMAT = 2
# magic, format, source sha256 (raw), tokens, marshal version, payload bytes
_HEADER = struct.Struct("<16sI32sIII")
_PYTHON = f"{sys.implementation.cache_tag}"  # e.g. cpython-311


def cache_file(cache_dir: Path, encoding: str, source_sha256: str) -> Path:
    return cache_dir / f"{encoding}-{source_sha256[:16]}-{_PYTHON}.ranks"


def digest_file(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def encode(ranks: dict[bytes, int], source_sha256: str) -> bytes:
    """The cache file's bytes for `ranks`."""
    payload = marshal.dumps(ranks, marshal.version)
    source = bytes.fromhex(source_sha256)
    header = _HEADER.pack(MAGIC, FORMAT, source, len(ranks), marshal.version, len(payload))
    return header + payload


def decode(data: bytes, source_sha256: str) -> dict[bytes, int]:
    """The ranks in a cache file's bytes; ValueError unless it is this vocabulary's, whole."""
    if len(data) < _HEADER.size:
        raise ValueError("shorter than the header")
    magic, version, source, count, marshal_version, size = _HEADER.unpack_from(data)
    if magic != MAGIC or version != FORMAT or marshal_version != marshal.version:
        raise ValueError("not a rank cache of this format")
    if source.hex() != source_sha256:
        raise ValueError("built from another vocabulary")
    if len(data) != _HEADER.size + size:
        raise ValueError("wrong length")
    try:
        ranks = marshal.loads(memoryview(data)[_HEADER.size :])
    except (EOFError, TypeError, ValueError) as error:
        raise ValueError(f"unreadable: {error}") from None
    if type(ranks) is not dict or len(ranks) != count:
        raise ValueError("not the recorded ranks")
    return ranks


def read(cache_dir: Path, encoding: str, source_sha256: str) -> dict[bytes, int] | None:
    """The cached ranks, or None when there is no cache or it fails any check."""
    path = cache_file(cache_dir, encoding, source_sha256)
    try:
        data = path.read_bytes()
        recorded = digest_file(path).read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if hashlib.sha256(data).hexdigest() != recorded:
        return None
    try:
        return decode(data, source_sha256)
    except ValueError:
        return None


def write(cache_dir: Path, encoding: str, source_sha256: str, ranks: dict[bytes, int]) -> bool:
    """Write the cache (the data first, then its digest); False when it could not be written."""
    path = cache_file(cache_dir, encoding, source_sha256)
    data = encode(ranks, source_sha256)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _replace(path, data)
        _replace(digest_file(path), (hashlib.sha256(data).hexdigest() + "\n").encode("ascii"))
    except OSError:
        return False
    return True


def _replace(path: Path, data: bytes) -> None:
    # a reader sees the old file or the new one; a crash between the two writes leaves a
    # digest that does not match, which reads as "no cache"
    import tempfile  # only when the cache is written, not on every read

    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
