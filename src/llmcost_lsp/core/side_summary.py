"""What one side of a diff was, prompt by prompt, stored by git tree for the next diff.

A side summary lists every prompt a commit's workspace folder holds (id, path, format) with its
result key and what a diff needs of it (monthly cost, finding keys). Keyed by the folder's git
tree id and everything else that decides results (core/git_diff.py builds the key), it lets a
later diff against the same base skip listing and reading the unchanged files altogether.

Stored compressed in SQLite under cache_dir with the policy of core/sqlite_store.py: a damaged or
unreadable entry is a miss, and diff then walks both trees.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import cast

from llmcost_lsp.core.formats import PromptFormat
from llmcost_lsp.core.result_cache import ResultSummary
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.sqlite_store import SqliteStore

__all__ = ["SideSummary", "SideSummaryStore", "SummaryPrompt", "side_summary_path"]

SCHEMA_VERSION = 1


def side_summary_path(settings: Settings) -> Path:
    return settings.cache_dir / "results" / f"trees-v{SCHEMA_VERSION}.sqlite3"


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
        return zlib.compress(json.dumps([self.links, rows]).encode(), 1)

    @classmethod
    def from_bytes(cls, data: bytes) -> SideSummary | None:
        """None for anything this version did not write (treated as a miss)."""
        try:
            links, rows = json.loads(zlib.decompress(data))
            prompts = tuple(
                SummaryPrompt(
                    str(prompt_id), str(path), cast(PromptFormat, str(fmt)), bool(explicit),
                    None if key is None else str(key),
                    ResultSummary(
                        None if monthly is None else Decimal(monthly),
                        tuple((str(code), str(subject)) for code, subject in keys),
                    ),
                )
                for prompt_id, path, fmt, explicit, key, monthly, keys in rows
            )  # fmt: skip
        except (ValueError, TypeError, InvalidOperation, zlib.error):
            return None
        return cls(prompts, bool(links))


class SideSummaryStore(SqliteStore):
    """SideSummary by key. Never raises on a damaged, locked or unwritable cache file."""

    def __init__(self, settings: Settings | None = None, *, path: Path | None = None) -> None:
        settings = settings or Settings.from_env()
        super().__init__(
            path or side_summary_path(settings),
            settings=settings,
            table="sides",
            value_column="value BLOB NOT NULL",
            schema_version=SCHEMA_VERSION,
        )

    def get(self, key: str) -> SideSummary | None:
        for _, value in self.get_rows([key]):
            return SideSummary.from_bytes(bytes(value)) if isinstance(value, bytes) else None
        return None

    def put(self, key: str, summary: SideSummary) -> None:
        self.put_rows([(key, summary.to_bytes())])
