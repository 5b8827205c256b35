"""Projects (teams) in the SQLite ledger: a v1 ledger migrates to per-project keys with its
rows and rollups intact, the recorder takes the project from LLMCOST_PROJECT or the
manifest's `[actuals] project`, and summaries group and filter by it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from llmcost_lsp.core.ledger.api import ledger_project, make_pricer, make_recorder
from llmcost_lsp.core.ledger.rows import COLUMNS, CallRow, make_row, micros
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.ledger.store import SCHEMA_VERSION, migrations
from llmcost_lsp.core.ledger.summary import Period, summarise
from llmcost_lsp.core.ledger.usage import Usage
from llmcost_lsp.core.manifest import parse_manifest

from .test_sqlite_ledger import assert_rollups_match

T0 = micros(datetime(2026, 11, 20, 12, tzinfo=UTC))


def rows(count: int, project: str, *, start: int = 0) -> list[CallRow]:
    pricer = make_pricer()
    usage = Usage(1000, 100, cache_read_tokens=512, model_responded="gpt-4o")
    price = pricer.price(usage, date(2026, 11, 20))
    return [
        make_row(usage, price, request_key=f"r{index}", ts=T0 + index * 1_000_000,
                 price_db=pricer.version, prompt_id="search", project=project,
                 user_id=f"u{index % 2}")
        for index in range(start, start + count)
    ]  # fmt: skip


def v1_ledger(path: Path, content: list[CallRow]) -> None:
    """A ledger as schema 1 wrote it: a global key, rows and their rollups."""
    with SqliteLedger(path.with_name("scratch.sqlite3")) as scratch:
        scratch.write(content)
        rollups = {
            table: scratch.connection.execute(f"SELECT * FROM {table}").fetchall()
            for table in ("rollup_prompt", "rollup_user")
        }
    connection = sqlite3.connect(path)
    for version, statements in migrations("INTEGER", "TEXT"):
        if version == 1:
            for statement in statements:
                connection.execute(statement)
    marks = ", ".join("?" for _ in COLUMNS)
    connection.executemany(
        f"INSERT INTO calls ({', '.join(COLUMNS)}) VALUES ({marks})",
        [row.values() for row in content],
    )
    for table, found in rollups.items():
        marks = ", ".join("?" for _ in found[0])
        connection.executemany(f"INSERT INTO {table} VALUES ({marks})", found)
    connection.execute("PRAGMA user_version = 1")
    connection.commit()
    connection.close()


def test_a_v1_ledger_migrates_and_keys_become_per_project(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    v1_ledger(path, rows(30, "search-api"))
    with SqliteLedger(path) as ledger:
        assert ledger.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert ledger.count() == 30
        [(key, totals)] = ledger.prompt_totals()
        assert key == ("search", "gpt-4o") and totals.calls == 30
        [(month, totals)] = ledger.month_rollups("2026-11")  # schema 3 built it
        assert (month.project, totals.calls) == ("search-api", 30)
        # the same response id under another project is another team's call...
        result = ledger.write(rows(10, "billing"))
        assert (result.inserted, result.duplicates) == (10, 0)
        # ...and within a project it is still a duplicate
        assert ledger.write(rows(31, "search-api")).inserted == 1
        assert ledger.count() == 41
        by_project = summarise(ledger, "project", Period(None, None))
        assert {line.key: line.totals.calls for line in by_project} == {
            "search-api": 31,
            "billing": 10,
        }
        only = summarise(ledger, "prompt", Period(None, None), project="billing")
        assert [(line.key, line.totals.calls) for line in only] == [("search", 10)]
        # paging over raw rows returns both projects' rows of one key and time
        keys = [(row.project, row.request_key) for row in ledger.iter_rows(batch=7)]
        assert len(keys) == len(set(keys)) == 41
        assert_rollups_match(ledger)


def test_the_recorder_takes_the_project_from_env_then_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = parse_manifest('[actuals]\nproject = "search-api"\n')
    monkeypatch.delenv("LLMCOST_PROJECT", raising=False)
    assert ledger_project(manifest) == "search-api"
    assert ledger_project(None) is None
    assert ledger_project(manifest, {"LLMCOST_PROJECT": "billing"}) == "billing"
    path = tmp_path / "l.sqlite3"
    recorder = make_recorder(str(path), manifest=manifest, flush_interval_s=0.01)
    usage = {"prompt_tokens": 100, "completion_tokens": 10}
    recorder.record(usage, model="gpt-4o", response_id="a")
    recorder.record(usage, model="gpt-4o", response_id="b", project="other")
    monkeypatch.setenv("LLMCOST_PROJECT", "from-env")
    env_recorder = make_recorder(str(path), manifest=manifest, flush_interval_s=0.01)
    env_recorder.record(usage, model="gpt-4o", response_id="c")
    recorder.close()
    env_recorder.close()
    with SqliteLedger(path) as ledger:
        found = {row.request_key: row.project for row in ledger.iter_rows()}
    assert found == {"a": "search-api", "b": "other", "c": "from-env"}
