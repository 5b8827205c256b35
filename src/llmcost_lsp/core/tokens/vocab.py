"""Shipped tiktoken vocabularies: SHA-256-checked, loaded into tiktoken, never downloaded.

The shipped files are base64 text; parsing them takes longer than the count of a large prompt.
So the first load also writes the parsed ranks in a compact binary form (`rank_cache.py`) to the
cache dir, and later processes read that instead: its own SHA-256, recorded beside it, is checked
on every read, and a missing, corrupt or foreign cache is rebuilt from the shipped, hash-checked
file. Counts are the same either way.

Building tiktoken's encoder from the ranks costs more still, so the first count of a process
uses an encoder of only the ranks its text can use (`restricted.py`), exact for that text at a
fraction of the cost; the whole encoder is built, once, when a second text is counted.
"""

from __future__ import annotations

import binascii
import hashlib
import importlib
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost_lsp.core.errors import TokenizerDataError

if TYPE_CHECKING:
    import tiktoken


@dataclass(frozen=True)
class VocabFile:
    """One shipped vocabulary: gzipped file name and SHA-256 of its decompressed bytes."""

    encoding: str
    filename: str
    sha256: str


# The hashes are tiktoken's own expected hashes for OpenAI's published files.
VOCABULARIES: dict[str, VocabFile] = {
    "cl100k_base": VocabFile(
        "cl100k_base",
        "cl100k_base.tiktoken.gz",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": VocabFile(
        "o200k_base",
        "o200k_base.tiktoken.gz",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}

_LOCK = threading.Lock()
_ENCODINGS: dict[str, tiktoken.Encoding] = {}
_RANKS: dict[str, dict[bytes, int]] = {}  # loaded in this process, for the encoders built here
_FIRST_COUNTED: set[str] = set()  # encodings whose one restricted count this process has made


def data_dir() -> Path:
    """The package's data directory, where the `.tiktoken.gz` files live."""
    from llmcost_lsp.data import DATA_DIR

    return DATA_DIR


def vocab_file(encoding: str) -> VocabFile:
    try:
        return VOCABULARIES[encoding]
    except KeyError:
        known = ", ".join(sorted(VOCABULARIES))
        raise TokenizerDataError(
            f"no shipped vocabulary for encoding {encoding!r} (shipped: {known})"
        ) from None


def read_vocab_bytes(encoding: str, directory: Path | None = None) -> bytes:
    """Decompressed vocabulary bytes, checked against the pinned SHA-256."""
    import gzip  # with zlib: only when the shipped file is read (the rank cache is not gzipped)
    import zlib

    vocab = vocab_file(encoding)
    path = (directory or data_dir()) / vocab.filename
    hint = "reinstall llm-cost (pip install --force-reinstall llm-cost)"
    try:
        raw = gzip.decompress(path.read_bytes())
    except FileNotFoundError:
        raise TokenizerDataError(
            f"vocabulary file {path} is missing (expected sha256 {vocab.sha256})", hint=hint
        ) from None
    except (OSError, EOFError, zlib.error) as error:
        raise TokenizerDataError(
            f"vocabulary file {path} is unreadable ({error}); expected sha256 {vocab.sha256}",
            hint=hint,
        ) from None
    actual = hashlib.sha256(raw).hexdigest()
    if actual != vocab.sha256:
        raise TokenizerDataError(
            f"vocabulary file {path} is corrupted: expected sha256 {vocab.sha256}, got {actual}",
            hint=hint,
        )
    return raw


def parse_ranks(raw: bytes, source: str = "<vocabulary>") -> dict[bytes, int]:
    """Parse tiktoken's `base64-token rank` lines into mergeable ranks."""
    ranks: dict[bytes, int] = {}
    decode = binascii.a2b_base64  # strict in C: b64decode(validate=True) runs a regex per line
    try:
        for line in raw.splitlines():
            if line:
                token, rank = line.split()
                ranks[decode(token, strict_mode=True)] = int(rank)
    except (ValueError, binascii.Error) as error:
        raise TokenizerDataError(f"vocabulary {source} is malformed: {error}") from None
    return ranks


def _tiktoken_params(encoding: str, ranks: dict[bytes, int]) -> dict[str, Any]:
    """`pat_str` and special tokens from the installed `tiktoken_ext.openai_public`.

    Its constructors call `load_tiktoken_bpe(url, expected_hash=...)`, which would download. We run
    a copy of the constructor whose `load_tiktoken_bpe` returns our ranks instead, after checking
    that tiktoken expects the very hash we verified: the module itself is never modified.
    """
    expected = vocab_file(encoding).sha256
    module = importlib.import_module("tiktoken_ext.openai_public")
    constructor = getattr(module, "ENCODING_CONSTRUCTORS", {}).get(encoding)
    if not isinstance(constructor, types.FunctionType):
        raise TokenizerDataError(
            f"the installed tiktoken does not define encoding {encoding!r}",
            hint="install a tiktoken release between 0.8 and 1.0",
        )

    def load_shipped(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        if expected_hash != expected:
            raise TokenizerDataError(
                f"the installed tiktoken expects {encoding} with sha256 {expected_hash}, "
                f"but llm-cost ships {expected}",
                hint="install a tiktoken release matching this llm-cost version",
            )
        return ranks

    isolated = types.FunctionType(
        constructor.__code__,
        {**constructor.__globals__, "load_tiktoken_bpe": load_shipped},
        constructor.__name__,
        constructor.__defaults__,
        constructor.__closure__,
    )
    params: dict[str, Any] = isolated()
    return params


def load_ranks(
    encoding: str, directory: Path | None = None, cache_dir: Path | None = None
) -> dict[bytes, int]:
    """The mergeable ranks of `encoding`: from the binary cache in `cache_dir` when it checks
    out, else parsed from the shipped (or `directory`'s) file and written to the cache."""
    from llmcost_lsp.core.tokens import rank_cache

    vocab = vocab_file(encoding)
    if cache_dir is not None:
        cached = rank_cache.read(cache_dir, vocab.encoding, vocab.sha256)
        if cached is not None:
            return cached
    ranks = parse_ranks(read_vocab_bytes(encoding, directory), vocab.filename)
    if cache_dir is not None:
        rank_cache.write(cache_dir, vocab.encoding, vocab.sha256, ranks)
    return ranks


def build_encoding(
    encoding: str, directory: Path | None = None, cache_dir: Path | None = None
) -> tiktoken.Encoding:
    """Build a fresh `tiktoken.Encoding` from the shipped (or `directory`'s) vocabulary, through
    the binary rank cache in `cache_dir` when one is given."""
    ranks = load_ranks(encoding, directory, cache_dir)
    return _encoding(encoding, ranks, _tiktoken_params(encoding, ranks))


def _encoding(
    name: str, ranks: dict[bytes, int], params: dict[str, Any], *, whole: bool = True
) -> tiktoken.Encoding:
    import tiktoken

    return tiktoken.Encoding(
        name=name,
        pat_str=params["pat_str"],
        mergeable_ranks=ranks,
        special_tokens=params["special_tokens"],
        explicit_n_vocab=params.get("explicit_n_vocab") if whole else None,
    )


def _process_ranks(encoding: str) -> dict[bytes, int]:
    """The ranks of `encoding`, loaded once per process through the rank cache (call with _LOCK
    held)."""
    ranks = _RANKS.get(encoding)
    if ranks is None:
        from llmcost_lsp.core.settings import Settings

        cache_dir = Settings.from_env().cache_dir / "vocab"
        ranks = _RANKS[encoding] = load_ranks(encoding, cache_dir=cache_dir)
    return ranks


def get_encoding(encoding: str) -> tiktoken.Encoding:
    """The process-wide encoding, loaded on first use only, through the rank cache under the
    cache dir (`<cache dir>/vocab/`)."""
    cached = _ENCODINGS.get(encoding)
    if cached is not None:
        return cached
    with _LOCK:
        if encoding not in _ENCODINGS:
            ranks = _process_ranks(encoding)
            _ENCODINGS[encoding] = _encoding(encoding, ranks, _tiktoken_params(encoding, ranks))
        return _ENCODINGS[encoding]


def count_ordinary(encoding: str, text: str) -> int:
    """Tokens of `text` as ordinary text (special-token strings count as text). The first count
    of a process is made with an encoder of only the ranks `text` can use, when that is the
    cheaper way; every other count with the process-wide encoder."""
    whole = _ENCODINGS.get(encoding)
    if whole is None and encoding not in _FIRST_COUNTED:
        first = _first_encoder(encoding, text)
        if first is not None:
            return len(first.encode_ordinary(text))
    return len((whole or get_encoding(encoding)).encode_ordinary(text))


def _first_encoder(encoding: str, text: str) -> tiktoken.Encoding | None:
    """An encoder exact for `text` alone (restricted.py), the first time only; None when the
    whole encoder is the cheaper or the only safe way."""
    from llmcost_lsp.core.tokens import restricted

    with _LOCK:
        if encoding in _FIRST_COUNTED or encoding in _ENCODINGS:
            return None
        _FIRST_COUNTED.add(encoding)
        ranks = _process_ranks(encoding)
    needed = restricted.ranks_for(text, ranks)
    if needed is None:
        return None
    params = _tiktoken_params(encoding, ranks)
    if params["pat_str"] not in restricted.KNOWN_PATTERNS:
        return None
    return _encoding(encoding, needed, params, whole=False)


def loaded_encodings() -> frozenset[str]:
    """Names of the encodings whose vocabulary this process has loaded so far."""
    return frozenset(_ENCODINGS) | frozenset(_RANKS)
