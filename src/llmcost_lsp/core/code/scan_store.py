"""Scans of source files kept across runs, beside the token-count cache.

A CLI run is a new process: without this it parses every calling file again. A scan is stored
under a digest of the scanner's own code (so another version never reads it), the language,
the file's path and the digest of its text; it carries the digests of the modules it read
imported names from, and `scan.scan_text` uses it only while those still read the same.
Stored as JSON, never pickled. The store never fails its caller (core/sqlite_store.py).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from llmcost_lsp.core.code.model import (
    CallSite,
    CodeMessage,
    FileRead,
    Hole,
    ModelRef,
    SourceScan,
)
from llmcost_lsp.core.sqlite_store import SqliteStore

SCANS_SCHEMA_VERSION = 1


@functools.cache
def _scanner_fingerprint() -> str:
    """The scanner's source and the parser packages' versions: what decides a scan."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in ("tree-sitter", "tree-sitter-typescript", "tree-sitter-javascript"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=-".encode())
    return digest.hexdigest()


def store_key(cache_key: tuple[str, str, str]) -> str:
    """The stored row's key for a scan cache key (language, text digest, path)."""
    text = repr((_scanner_fingerprint(), *cache_key))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class ScanStore(SqliteStore):
    """SourceScan by `store_key`."""

    table, value_column = "scans", "value BLOB NOT NULL"
    schema_version, file = SCANS_SCHEMA_VERSION, "code/scans"

    def get_many(self, keys: Iterable[str]) -> dict[str, SourceScan]:
        found: dict[str, SourceScan] = {}
        for key, value in self.get_rows(list(keys)):
            scan = from_json(value) if isinstance(value, bytes) else None
            if scan is not None:
                found[str(key)] = scan
        return found

    def put_many(self, scans: Mapping[str, SourceScan]) -> None:
        self.put_rows([(key, to_json(scan)) for key, scan in scans.items()])


def to_json(scan: SourceScan) -> bytes:
    return json.dumps(asdict(scan), separators=(",", ":")).encode("utf-8", "surrogatepass")


def from_json(data: bytes) -> SourceScan | None:
    """None for anything this version did not write (a miss)."""
    try:
        raw = json.loads(data.decode("utf-8", "surrogatepass"))
        return SourceScan(
            raw["language"],
            tuple(_call(call) for call in raw["calls"]),
            raw["error"],
            raw["error_line"],
            tuple((str(path), str(digest)) for path, digest in raw["deps"]),
        )
    except (ValueError, TypeError, KeyError):
        return None


def _call(raw: dict[str, Any]) -> CallSite:
    model = raw["model"]
    return CallSite(
        key=raw["key"],
        api=raw["api"],
        line=raw["line"],
        column=raw["column"],
        model=ModelRef(**model) if model is not None else None,
        model_problem=raw["model_problem"],
        messages=tuple(
            CodeMessage(
                m["role"],
                m["text"],
                m["line"],
                tuple(Hole(**hole) for hole in m["holes"]),
                tuple((int(start), int(length)) for start, length in m["offsets"]),
            )
            for m in raw["messages"]
        ),
        files=tuple(FileRead(**read) for read in raw["files"]),
        unread=tuple(raw["unread"]),
        not_sized=raw["not_sized"],
        max_tokens=raw["max_tokens"],
        max_tokens_line=raw["max_tokens_line"],
    )
