"""Persistent per-prompt results for `diff`: what a prompt costs per month and which findings it
has, keyed by everything that decides them (core/diff.py builds the key), in SQLite under cache_dir.

The store's policy (core/sqlite_store.py, shared with the token-count cache): a damaged file is
deleted and rebuilt, a locked one is skipped for this run, and when the cache cannot be used at
all, diff computes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.sqlite_store import SqliteStore

__all__ = ["ResultCache", "ResultSummary", "result_cache_path"]

SCHEMA_VERSION = 1


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


class ResultCache(SqliteStore):
    """ResultSummary by key. Never raises on a damaged, locked or unwritable cache file."""

    def __init__(self, settings: Settings | None = None, *, path: Path | None = None) -> None:
        settings = settings or Settings.from_env()
        super().__init__(
            path or result_cache_path(settings),
            settings=settings,
            table="results",
            value_column="value TEXT NOT NULL",
            schema_version=SCHEMA_VERSION,
        )

    def get_many(self, keys: Sequence[str]) -> dict[str, ResultSummary]:
        found: dict[str, ResultSummary] = {}
        for key, value in self.get_rows(keys):
            summary = ResultSummary.from_json(str(value))
            if summary is not None:
                found[str(key)] = summary
        return found

    def put_many(self, items: Iterable[tuple[str, ResultSummary]]) -> None:
        self.put_rows([(key, summary.to_json()) for key, summary in items])
