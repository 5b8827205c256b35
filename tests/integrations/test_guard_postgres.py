"""guard() on the real PostgreSQL server the suite starts: processes racing for one budget
(an advisory lock per project serialises reservations and settlements), and a server that
cannot be reached (fail-open and fail-closed, per the manifest)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from llmcost_lsp.core.ledger.api import make_guard
from llmcost_lsp.core.ledger.postgres import PostgresStore

from .test_postgres_access import raw, teams  # noqa: F401 (teams: a fixture)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from guard_race import exact_usage, write_workspace

RACER = Path(__file__).resolve().parents[1] / "guard_race.py"
ESTIMATE = 2_895_000_000


def _one(url: str, sql: str) -> tuple[object, ...]:
    with psycopg.connect(url) as connection:
        row = connection.execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def test_processes_racing_for_one_budget_never_overspend_it(pg_url: str, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", budget="0.12")  # 41 calls of $0.002895
    PostgresStore(pg_url).close()  # migrated once before the race
    racers = [
        subprocess.Popen(
            [sys.executable, str(RACER), str(root), pg_url, str(tmp_path / f"out{i}.json"), "3"]
        )
        for i in range(6)
    ]
    for racer in racers:
        assert racer.wait(timeout=300) == 0
    made = sum(json.loads((tmp_path / f"out{i}.json").read_text())["made"] for i in range(6))
    calls, spent = _one(pg_url, "SELECT count(*), sum(cost_pusd) FROM calls")
    assert calls == made == 41
    assert 120_000_000_000 - ESTIMATE < int(str(spent)) <= 120_000_000_000  # sum() is numeric
    assert _one(pg_url, "SELECT count(*) FROM reservations") == (0,)


def test_a_swap_is_recorded_in_the_postgres_ledger(pg_url: str, tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", budget="0.0031")
    guard = make_guard(root, pg_url)
    first = guard.check("answer")
    assert first.allowed
    choice = guard.choose("answer", "gpt-4o")
    assert choice.model == "gpt-4o-mini" and choice.swapped
    assert choice.settle({"prompt_tokens": 358, "completion_tokens": 200}, response_id="m1")
    first.settle(exact_usage(root), model="gpt-4o", response_id="o1")
    assert _one(
        pg_url,
        "SELECT action, chosen_model, scope, request_key, cost_pusd, preferred_cost_pusd "
        "FROM budget_decisions",
    ) == ("swap", "gpt-4o-mini", "prompt:answer", "m1", 173_700_000, ESTIMATE)
    assert _one(pg_url, "SELECT count(*) FROM reservations") == (0,)
    guard.close()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"  # nothing listens there now


@pytest.mark.parametrize("mode", ["open", "closed"])
def test_an_unreachable_server_follows_the_manifest(
    pg_server: str, tmp_path: Path, mode: str
) -> None:
    root = write_workspace(
        tmp_path / "ws", budget="1", actuals=f'[actuals]\nguard_unreachable = "{mode}"\n'
    )
    guard = make_guard(root, _closed_port_url(), retry_s=60)
    decision = guard.choose("answer", "gpt-4o")
    assert not decision.checked and "cannot reach the ledger" in decision.reason
    assert decision.allowed is (mode == "open")
    assert decision.model == ("gpt-4o" if mode == "open" else None)
    assert decision.reason.endswith(f'[actuals] guard_unreachable = "{mode}"')


def test_a_teams_writer_role_guards_its_project_under_row_level_security(
    teams: dict[str, str],  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    """A service logged in as project A's writer reserves, swaps and settles (deleting its
    reservation is allowed to writers on their project only); B's writer sees none of it."""
    root = write_workspace(tmp_path / "ws", budget="0.0031")
    a = make_guard(root, teams["svc_a"], project="A")
    held = a.check("answer")
    assert held.allowed and held.checked, held.reason
    swap = a.choose("answer", "gpt-4o")
    assert swap.model == "gpt-4o-mini" and swap.checked
    assert swap.settle({"prompt_tokens": 358, "completion_tokens": 200}, response_id="a1")
    assert held.settle(exact_usage(root), model="gpt-4o", response_id="a2")
    b = make_guard(root, teams["svc_b"], project="B")
    fresh = b.check("answer")  # B's budget is untouched: A's spend and swaps are invisible
    assert fresh.allowed and fresh.checks[1].spent_pusd == 0
    fresh.release()
    assert raw(teams["svc_b"], "SELECT count(*) FROM budget_decisions") == [(0,)]
    assert raw(teams["svc_a"], "SELECT count(*) FROM reservations") == [(0,)]
    assert raw(teams["svc_a"], "SELECT action, cost_pusd FROM budget_decisions") == [
        ("swap", 173_700_000)
    ]
    # B's writer cannot take A's budget: deleting A's reservations changes nothing
    pending = a.check("answer")
    assert raw(teams["svc_b"], "DELETE FROM reservations") == [(0,)]
    pending.release()
    assert raw(teams["svc_a"], "SELECT count(*) FROM reservations") == [(0,)]
    a.close()
    b.close()
