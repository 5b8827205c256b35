"""Teams on one real PostgreSQL ledger: two projects, a writer each, a reader of one, an
admin; the writer of A tries to read, insert, update and delete B's rows by every route
(the store's API, raw SQL, a partition by name, the grants table, squatting B's response
ids). Each attempt is refused or sees nothing, and B's own figures are unchanged."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from llmcost_lsp.core.ledger import access
from llmcost_lsp.core.ledger.api import make_pricer
from llmcost_lsp.core.ledger.postgres import PostgresStore
from llmcost_lsp.core.ledger.rows import CallRow, make_row, micros
from llmcost_lsp.core.ledger.store import LedgerError
from llmcost_lsp.core.ledger.usage import Usage

NOV = micros(datetime(2026, 11, 20, 12, tzinfo=UTC))


def rows(count: int, project: str, *, key: str = "r", at: int = NOV) -> list[CallRow]:
    pricer = make_pricer()
    usage = Usage(1000, 100, model_responded="gpt-4o")
    price = pricer.price(usage, date(2026, 11, 20))
    return [
        make_row(usage, price, request_key=f"{key}{index}", ts=at + index,
                 price_db=pricer.version, prompt_id=f"{project}/answer", project=project,
                 user_id="u1")
        for index in range(count)
    ]  # fmt: skip


def as_role(url: str, role: str) -> str:
    return url.replace("postgres@", f"{role}@", 1)


@pytest.fixture()
def teams(pg_url: str) -> Iterator[dict[str, str]]:
    """A ledger with access installed and login roles svc_a (writes A), svc_b (writes B),
    analyst_b (reads B), boss (admin); yields each role's URL."""
    import psycopg

    suffix = uuid.uuid4().hex[:6]  # roles are cluster-wide: unique per test
    names = {name: f"{name}_{suffix}" for name in ("svc_a", "svc_b", "analyst_b", "boss")}
    with PostgresStore(pg_url) as owner:
        access.install(owner)
        access.install(owner)  # idempotent
        with psycopg.connect(pg_url, autocommit=True) as connection:
            for name, group in (("svc_a", access.WRITER), ("svc_b", access.WRITER),
                                ("analyst_b", access.READER), ("boss", access.ADMIN)):  # fmt: skip
                connection.execute(f"CREATE ROLE {names[name]} LOGIN IN ROLE {group}")
        access.grant(owner, names["svc_a"], "A", "write")
        access.grant(owner, names["svc_b"], "B", "write")
        access.grant(owner, names["analyst_b"], "B", "read")
    urls = {name: as_role(pg_url, role) for name, role in names.items()}
    yield urls
    with psycopg.connect(pg_url, autocommit=True) as connection:
        for role in names.values():
            connection.execute(f"DROP OWNED BY {role}")
            connection.execute(f"DROP ROLE {role}")


def raw(url: str, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(sql, params or [])
        return list(cursor.fetchall()) if cursor.description else [(cursor.rowcount,)]


def test_each_team_writes_and_reads_only_its_project(teams: dict[str, str]) -> None:
    with PostgresStore(teams["svc_b"]) as b:
        assert b.write(rows(20, "B")).inserted == 20
    with PostgresStore(teams["svc_a"]) as a:
        assert a.write(rows(5, "A")).inserted == 5
        # a new month's partition made by a writer that owns nothing
        assert a.write(rows(1, "A", key="dec", at=NOV + 30 * 86_400_000_000)).inserted == 1
        assert a.count() == 6
        assert {key for key, _ in a.prompt_totals()} == {("A/answer", "gpt-4o")}
        assert {key.project for key, _ in a.user_rollups()} == {"A"}
    with PostgresStore(teams["analyst_b"]) as reader:
        assert reader.count() == 20
        assert {key for key, _ in reader.prompt_totals()} == {("B/answer", "gpt-4o")}
        with pytest.raises(LedgerError, match="permission denied"):
            reader.write(rows(1, "B", key="x"))
    with PostgresStore(teams["boss"]) as admin:
        assert admin.count() == 26
        assert admin.reprice(make_pricer())[0] == 26  # the admin may rewrite every project


def test_a_hostile_writer_of_a_cannot_touch_b(teams: dict[str, str], pg_url: str) -> None:
    import psycopg

    with PostgresStore(teams["svc_b"]) as b:
        b.write(rows(20, "B"))
    before = raw(pg_url, "SELECT sum(cost_pusd), count(*) FROM calls WHERE project = 'B'")
    a_url = teams["svc_a"]
    with PostgresStore(a_url) as a:
        # insert into B through the store: the policy refuses the whole batch
        with pytest.raises(LedgerError, match="row-level security"):
            a.write(rows(3, "B", key="evil"))
        # squat B's response ids under A: B's later calls with those ids still count
        assert a.write(rows(5, "A", key="bsquat")).inserted == 5
    # read B: nothing, by any filter
    assert raw(a_url, "SELECT count(*) FROM calls WHERE project = 'B'") == [(0,)]
    assert raw(a_url, "SELECT count(*) FROM rollup_prompt WHERE project <> 'A'") == [(0,)]
    assert raw(a_url, "SELECT count(*) FROM call_keys WHERE project = 'B'") == [(0,)]
    # update B's rollups (to hide spend): no row is visible to update
    assert raw(a_url, "UPDATE rollup_prompt SET cost_pusd = 0 WHERE project = 'B'") == [(0,)]
    # move own rows into B, or B's into A: refused by the policy's check / not visible
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        raw(a_url, "UPDATE rollup_prompt SET project = 'B' WHERE project = 'A'")
    assert raw(a_url, "UPDATE rollup_user SET project = 'A' WHERE project = 'B'") == [(0,)]
    for sql in (
        "UPDATE calls SET cost_pusd = 0",  # a writer never rewrites a call
        "DELETE FROM calls WHERE project = 'B'",
        "DELETE FROM rollup_prompt",
        "SELECT count(*) FROM calls_2026_11",  # a partition by name, around the policy
        "SELECT count(*) FROM llmcost_access",  # who has which project
        "INSERT INTO llmcost_access VALUES (current_user, 'B', 'read')",  # grant itself B
        "ALTER TABLE calls DISABLE ROW LEVEL SECURITY",
        "DROP POLICY llmcost_read ON calls",
        "INSERT INTO calls (request_key, ts, project, prompt_id, model, provider, "
        "service_tier, input_tokens, cache_read_tokens, cache_write_5m_tokens, "
        "cache_write_1h_tokens, output_tokens, reasoning_tokens, user_id, session_id, tags, "
        "source) VALUES ('x', 1, 'B', 'p', 'm', '', '', 0, 0, 0, 0, 0, 0, '', '', '', 'sql')",
    ):
        with pytest.raises(psycopg.Error):
            raw(a_url, sql)
    svc_b = teams["svc_b"].split("://")[1].split("@")[0]
    with pytest.raises(psycopg.Error):
        raw(a_url, f"SET ROLE {svc_b}")
    # nor ask which projects another role has
    assert raw(a_url, "SELECT llmcost_projects(%s, 'read')", [svc_b]) == [([],)]
    assert raw(a_url, "SELECT llmcost_projects(current_user, 'read')") == [(["A"],)]
    # B's figures are untouched, and B's calls with the squatted ids are B's
    assert raw(pg_url, "SELECT sum(cost_pusd), count(*) FROM calls WHERE project = 'B'") == before
    with PostgresStore(teams["svc_b"]) as b:
        assert b.write(rows(5, "B", key="bsquat")).inserted == 5
        assert b.count() == 25


def test_grants_follow_group_membership_and_revoke(teams: dict[str, str], pg_url: str) -> None:
    with PostgresStore(teams["svc_b"]) as b:
        b.write(rows(4, "B"))
    analyst_a = teams["analyst_b"].split("://")[1].split("@")[0]
    with PostgresStore(pg_url) as owner:
        access.grant(owner, analyst_a, "A", "read")
        assert access.Grant(analyst_a, "A", "read") in access.grants(owner)
        with pytest.raises(LedgerError, match="no database role"):
            access.grant(owner, "nobody_here", "A", "read")
    with PostgresStore(teams["svc_a"]) as a:
        a.write(rows(2, "A"))
    with PostgresStore(teams["analyst_b"]) as reader:
        assert reader.count() == 6
    with PostgresStore(pg_url) as owner:
        assert access.revoke(owner, analyst_a, "B") == 1
    with PostgresStore(teams["analyst_b"]) as reader:
        assert reader.count() == 2


def test_the_access_commands(pg_url: str, tmp_path: Any) -> None:
    import subprocess
    import sys

    import psycopg

    role = f"svc_{uuid.uuid4().hex[:6]}"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "llmcost_lsp.cli.main", "actuals", "access", *args,
             "--ledger", pg_url, "--root", str(tmp_path)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    PostgresStore(pg_url).close()
    assert cli("install").returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN IN ROLE {access.WRITER}")
    try:
        done = cli("grant", role, "search-api", "--access", "write")
        assert done.returncode == 0 and f"{role} may write search-api" in done.stdout
        assert cli("grant", role, "billing").returncode == 0  # read by default
        listed = cli("list").stdout.splitlines()
        assert listed == [f"billing\t{role}\tread", f"search-api\t{role}\twrite"]
        missing = cli("grant", "nobody_here", "x")
        assert missing.returncode == 2 and "no database role" in missing.stderr
        assert "1 grant(s)" in cli("revoke", role, "billing").stdout
    finally:
        with psycopg.connect(pg_url, autocommit=True) as connection:
            connection.execute(f"DROP OWNED BY {role}")
            connection.execute(f"DROP ROLE {role}")


def test_metrics_of_a_reader_show_only_its_projects(teams: dict[str, str]) -> None:
    """The exporter on PostgreSQL, connected as a reader: row-level security decides what it
    exports, incrementally scrape after scrape."""
    from datetime import UTC, datetime

    from llmcost_lsp.core.ledger.metrics import Exporter

    now = datetime(2026, 11, 20, 13, tzinfo=UTC)
    with PostgresStore(teams["svc_a"]) as a, PostgresStore(teams["svc_b"]) as b:
        a.write(rows(5, "A"))
        b.write(rows(7, "B"))
        with PostgresStore(teams["analyst_b"]) as reader:
            exporter = Exporter(reader)
            first = exporter.render(now)
            b.write(rows(3, "B", key="more"))
            a.write(rows(4, "A", key="more"))
            second = exporter.render(now)
    assert 'project="A"' not in first + second
    line = 'llmcost_requests_total{project="B",prompt_id="B/answer",model="gpt-4o"}'
    assert f"{line} 7" in first and f"{line} 10" in second


def test_sent_alerts_belong_to_their_project(teams: dict[str, str]) -> None:
    """`actuals alerts` run by a team's writer records what it sent in its project only: the
    other team neither sees it nor can claim in its name."""
    with PostgresStore(teams["svc_a"]) as a:
        assert a.claim_alert("budget|A|workspace|2026-11|80%", "hook#1", "A", "budget", 10, 0)
        a.settle_alert("budget|A|workspace|2026-11|80%", "hook#1", 11)
        assert a.sent_alerts() == {("budget|A|workspace|2026-11|80%", "hook#1")}
        # sent: a second run does not claim it again
        assert not a.claim_alert("budget|A|workspace|2026-11|80%", "hook#1", "A", "budget", 12, 0)
        with pytest.raises(LedgerError):  # in another team's name: refused by the policy
            a.claim_alert("budget|B|workspace|2026-11|80%", "hook#1", "B", "budget", 10, 0)
    with PostgresStore(teams["svc_b"]) as b:
        assert b.sent_alerts() == set()
        assert raw(teams["svc_b"], "SELECT count(*) FROM alerts_sent") == [(0,)]
    with PostgresStore(teams["boss"]) as boss:
        assert len(boss.sent_alerts()) == 1
