"""The two persistent caches of `diff`, in SQLite under cache_dir.

- ResultCache: per prompt, what it costs per month and which findings it has, keyed by everything
  that decides them (its result key, keys.py).
- SideSummaryStore: what one side of a diff was, prompt by prompt (id, path, format, result key,
  monthly cost, finding keys), keyed by the workspace folder's git tree id and everything else
  that decides results (git.py builds the key). It lets a later diff against the same base skip
  listing and reading the unchanged files altogether. Stored compressed.

Both follow the policy of core/sqlite_store.py (shared with the token-count cache): a damaged
file is deleted and rebuilt, a locked one is skipped for this run, a damaged or unreadable entry
is a miss, and when a cache cannot be used at all, diff computes (and walks both trees).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import cast

from llmcost_lsp.core.formats import PromptFormat
from llmcost_lsp.core.sqlite_store import SqliteStore

__all__ = [
    "ResultCache",
    "ResultSummary",
    "SideSummary",
    "SideSummaryStore",
    "SummaryPrompt",
]

# 2: a finding's identity is its code and structured key (Issue.key), of any length
RESULTS_SCHEMA_VERSION = 2
SIDES_SCHEMA_VERSION = 2


@dataclass(frozen=True)
class ResultSummary:
    """What a diff needs of a prompt it does not show: its monthly cost (None when unknown or
    not estimated) and the identity (code, *key) of each of its findings (diff.compare)."""

    monthly_usd: Decimal | None
    finding_keys: tuple[tuple[str, ...], ...] = ()

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
                _finding_keys(keys),
            )
        except (ValueError, TypeError, InvalidOperation):
            return None


def _finding_keys(keys: list[list[object]]) -> tuple[tuple[str, ...], ...]:
    """Stored finding identities: a code and at least one part of what it is about."""
    if any(not isinstance(key, list) or len(key) < 2 for key in keys):
        raise ValueError("not a finding key")
    return tuple(tuple(str(part) for part in key) for key in keys)


class ResultCache(SqliteStore):
    """ResultSummary by key. Never raises on a damaged, locked or unwritable cache file."""

    table, value_column = "results", "value TEXT NOT NULL"
    schema_version, file = RESULTS_SCHEMA_VERSION, "results/summaries"

    def get_many(self, keys: Sequence[str]) -> dict[str, ResultSummary]:
        found: dict[str, ResultSummary] = {}
        for key, value in self.get_rows(keys):
            summary = ResultSummary.from_json(str(value))
            if summary is not None:
                found[str(key)] = summary
        return found

    def put_many(self, items: Iterable[tuple[str, ResultSummary]]) -> None:
        self.put_rows([(key, summary.to_json()) for key, summary in items])


@dataclass(frozen=True)
class SummaryPrompt:
    id: str
    path: str  # relative to the workspace root, with "/"
    format: PromptFormat
    explicit_id: bool
    key: str | None  # its result key; None: it reads sample files and is estimated every time
    result: ResultSummary


@dataclass(frozen=True)
class SideSummary:
    """Every prompt of one side, in path order. `links`: the tree holds symlinks or submodules,
    which a walk of the working tree follows and a walk of the tree does not."""

    prompts: tuple[SummaryPrompt, ...]
    links: bool = False
    # prompt files that calls in source code send (they take the call's model): a change to one
    # is not diffed from its text alone
    sent: tuple[str, ...] = ()

    def by_path(self) -> dict[str, SummaryPrompt]:
        return {prompt.path: prompt for prompt in self.prompts}

    def to_bytes(self) -> bytes:
        rows = [
            [
                p.id, p.path, p.format, p.explicit_id, p.key,
                None if p.result.monthly_usd is None else str(p.result.monthly_usd),
                [list(key) for key in p.result.finding_keys],
            ]
            for p in self.prompts
        ]  # fmt: skip
        return zlib.compress(json.dumps([self.links, rows, list(self.sent)]).encode(), 1)

    @classmethod
    def from_bytes(cls, data: bytes) -> SideSummary | None:
        """None for anything this version did not write (treated as a miss)."""
        try:
            links, rows, sent = json.loads(zlib.decompress(data))
            prompts = tuple(
                SummaryPrompt(
                    str(prompt_id), str(path), cast(PromptFormat, str(fmt)), bool(explicit),
                    None if key is None else str(key),
                    ResultSummary(
                        None if monthly is None else Decimal(monthly),
                        _finding_keys(keys),
                    ),
                )
                for prompt_id, path, fmt, explicit, key, monthly, keys in rows
            )  # fmt: skip
        except (ValueError, TypeError, InvalidOperation, zlib.error):
            return None
        return cls(prompts, bool(links), tuple(str(path) for path in sent))


class SideSummaryStore(SqliteStore):
    """SideSummary by key. Never raises on a damaged, locked or unwritable cache file."""

    table, value_column = "sides", "value BLOB NOT NULL"
    schema_version, file = SIDES_SCHEMA_VERSION, "results/trees"

    def get(self, key: str) -> SideSummary | None:
        for _, value in self.get_rows([key]):
            return SideSummary.from_bytes(bytes(value)) if isinstance(value, bytes) else None
        return None

    def put(self, key: str, summary: SideSummary) -> None:
        self.put_rows([(key, summary.to_bytes())])
