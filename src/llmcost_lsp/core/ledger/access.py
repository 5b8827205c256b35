"""Teams on one PostgreSQL ledger: database roles and row-level security by project.

Three group roles (NOLOGIN) carry the table privileges; a team's login role is made a member
of one of them, and which projects it may touch is data (`llmcost_access`), so granting a team
a project is a row, not a new policy:

- `llmcost_writer` records calls: INSERT on calls and keys, INSERT/UPDATE on the rollups (the
  write-time upserts), and SELECT of the projects it writes (an idempotent insert and an
  upsert must read the row they collide with). It cannot UPDATE or DELETE a call.
- `llmcost_reader` reads the projects it was granted, nothing else.
- `llmcost_admin` reads and changes every project (reprice, retention, grants).

Every policy compares a row's `project` with the projects granted to the current user's roles
(directly or through a group it belongs to), looked up once per statement. The ledger's owner
(who ran the migrations) is not subject to the policies, as PostgreSQL does for table owners;
superusers bypass them too. Partitions are reachable only through `calls`: a role is granted
nothing on `calls_2026_11` itself, so a direct read of a partition is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.ledger.store import LedgerError, SqlStore

Access = Literal["read", "write"]
WRITER, READER, ADMIN = "llmcost_writer", "llmcost_reader", "llmcost_admin"
# the tables whose rows belong to a project; a module adding one extends this tuple
PROJECT_TABLES: tuple[str, ...] = (
    "calls", "call_keys", "rollup_prompt", "rollup_user", "rollup_month", "recorders",
    "alerts_sent",
    "reservations", "budget_decisions",
)  # fmt: skip
# what each group may do, per table ("rollup" = the write-time rollup tables)
_WRITER_PRIVILEGES = {
    "calls": "SELECT, INSERT",
    "call_keys": "SELECT, INSERT",
    "rollup_prompt": "SELECT, INSERT, UPDATE",
    "rollup_user": "SELECT, INSERT, UPDATE",
    "rollup_month": "SELECT, INSERT, UPDATE",
    "recorders": "SELECT, INSERT, UPDATE",
    "alerts_sent": "SELECT, INSERT, UPDATE",  # a writer's service may run `actuals alerts`
    # budgets before the call: a writer settles (deletes) its project's reservations and
    # completes its decisions
    "reservations": "SELECT, INSERT, DELETE",
    "budget_decisions": "SELECT, INSERT, UPDATE",
}
_WRITER_DELETES = {"reservations"}


@dataclass(frozen=True)
class Grant:
    member: str
    project: str
    access: Access


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _postgres(store: SqlStore) -> None:
    if store.kind != "postgresql":
        raise InputError(
            "roles and row-level security exist on a PostgreSQL ledger only; an SQLite ledger "
            "is one file: give each team its own",
            code="not-postgresql",
        )


def install_statements(schema: str, tables: Sequence[str] = PROJECT_TABLES) -> list[str]:
    """Idempotent DDL: the group roles, their privileges, and the policies on every project
    table. Run by the ledger's owner (and a role that may create roles)."""
    s = _ident(schema)
    admin = f"(SELECT pg_has_role(current_user, '{ADMIN}', 'MEMBER'))"
    statements = [
        f"""DO $$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{WRITER}') THEN
                CREATE ROLE {WRITER} NOLOGIN; END IF;
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER}') THEN
                CREATE ROLE {READER} NOLOGIN; END IF;
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ADMIN}') THEN
                CREATE ROLE {ADMIN} NOLOGIN; END IF;
            END $$""",
        f"""CREATE TABLE IF NOT EXISTS {s}.llmcost_access (
              member TEXT NOT NULL, project TEXT NOT NULL,
              access TEXT NOT NULL CHECK (access IN ('read', 'write')),
              PRIMARY KEY (member, project, access))""",
        # the projects `who` (and every group it is in) may read or write; SECURITY DEFINER so
        # that nobody needs to read llmcost_access itself (it names every team's roles)
        f"""CREATE OR REPLACE FUNCTION {s}.llmcost_projects(who NAME, wanted TEXT)
              RETURNS TEXT[] LANGUAGE sql STABLE SECURITY DEFINER
              SET search_path = pg_catalog, pg_temp AS $$
              SELECT coalesce(array_agg(DISTINCT a.project), '{{}}')
              FROM {s}.llmcost_access a JOIN pg_roles r ON r.rolname = a.member
              WHERE (a.access = wanted OR (wanted = 'read' AND a.access = 'write'))
                AND pg_has_role(who, r.oid, 'MEMBER')
                -- a caller learns only about roles it may act as (itself, its groups)
                AND pg_has_role(session_user, who, 'MEMBER') $$""",
        f"REVOKE ALL ON FUNCTION {s}.llmcost_projects(NAME, TEXT) FROM PUBLIC",
        f"REVOKE ALL ON {s}.llmcost_access FROM PUBLIC",
        f"GRANT ALL ON {s}.llmcost_access TO {ADMIN}",
        f"GRANT USAGE ON SCHEMA {s} TO {WRITER}, {READER}, {ADMIN}",
        f"GRANT SELECT ON {s}.llmcost_meta TO {WRITER}, {READER}, {ADMIN}",
        # one counter row numbering the writes (no project in it: nothing to leak)
        f"REVOKE ALL ON {s}.ledger_seq FROM PUBLIC",
        f"GRANT SELECT, UPDATE ON {s}.ledger_seq TO {WRITER}, {ADMIN}",
        f"GRANT SELECT ON {s}.ledger_seq TO {READER}",
        f"GRANT EXECUTE ON FUNCTION {s}.llmcost_projects(NAME, TEXT) "
        f"TO {WRITER}, {READER}, {ADMIN}",
        f"REVOKE ALL ON FUNCTION {s}.llmcost_month_partition(BIGINT) FROM PUBLIC",
        f"GRANT EXECUTE ON FUNCTION {s}.llmcost_month_partition(BIGINT) TO {WRITER}, {ADMIN}",
    ]
    for table in tables:
        t = f"{s}.{_ident(table)}"
        # a scalar subquery: the grants are looked up once per statement, not per row
        mine = f"(SELECT {s}.llmcost_projects(current_user, '{{}}'))"
        readable = f"(project = ANY (CAST({mine.format('read')} AS TEXT[])))"
        writable = f"(project = ANY (CAST({mine.format('write')} AS TEXT[])))"
        statements += [
            f"REVOKE ALL ON {t} FROM PUBLIC",
            f"GRANT {_WRITER_PRIVILEGES.get(table, 'SELECT, INSERT')} ON {t} TO {WRITER}",
            f"GRANT SELECT ON {t} TO {READER}",
            f"GRANT ALL ON {t} TO {ADMIN}",
            f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS llmcost_read ON {t}",
            f"CREATE POLICY llmcost_read ON {t} FOR SELECT USING ({readable} OR {admin})",
            f"DROP POLICY IF EXISTS llmcost_insert ON {t}",
            f"CREATE POLICY llmcost_insert ON {t} FOR INSERT WITH CHECK ({writable} OR {admin})",
            f"DROP POLICY IF EXISTS llmcost_update ON {t}",
            f"CREATE POLICY llmcost_update ON {t} FOR UPDATE USING ({writable} OR {admin}) "
            f"WITH CHECK ({writable} OR {admin})",
            f"DROP POLICY IF EXISTS llmcost_delete ON {t}",
            f"CREATE POLICY llmcost_delete ON {t} FOR DELETE USING ("
            + (f"{writable} OR " if table in _WRITER_DELETES else "")
            + f"{admin})",
        ]
    return statements


def install(store: SqlStore, tables: Sequence[str] = PROJECT_TABLES) -> None:
    """Create (or bring up to date) the roles, privileges and policies, in one transaction."""
    _postgres(store)
    schema = store._query("SELECT current_schema()")[0][0]
    with store._transaction() as cursor:
        for statement in install_statements(schema, tables):
            cursor.execute(statement)


def grant(store: SqlStore, member: str, project: str, access: Access) -> None:
    """Let the role `member` (and every role in it) read or write `project`."""
    _postgres(store)
    if access not in ("read", "write"):
        raise InputError(f"access {access!r} is not read or write", code="bad-access")
    if not store._query("SELECT 1 FROM pg_roles WHERE rolname = ?", [member]):
        raise LedgerError(
            f"there is no database role {member!r}",
            hint=f"CREATE ROLE {_ident(member)} LOGIN IN ROLE "
            f"{WRITER if access == 'write' else READER}",
        )
    with store._transaction() as cursor:
        cursor.execute(
            store._sql(
                "INSERT INTO llmcost_access (member, project, access) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING"
            ),
            [member, project, access],
        )


def revoke(store: SqlStore, member: str, project: str, access: Access | None = None) -> int:
    """Take `project` from `member` (one access, or both); returns the grants removed."""
    _postgres(store)
    sql = "DELETE FROM llmcost_access WHERE member = ? AND project = ?"
    params = [member, project]
    if access is not None:
        sql += " AND access = ?"
        params.append(access)
    with store._transaction() as cursor:
        cursor.execute(store._sql(sql), params)
        return int(cursor.rowcount)


def grants(store: SqlStore) -> list[Grant]:
    _postgres(store)
    rows = store._query(
        "SELECT member, project, access FROM llmcost_access ORDER BY project, member, access"
    )
    return [Grant(member, project, access) for member, project, access in rows]
