"""A real PostgreSQL server for the ledger tests: Debian's initdb/pg_ctl, as an unprivileged
user when run as root, in a temp dir, on 127.0.0.1 and a free port. Skipped with the reason
where PostgreSQL or psycopg is missing; under CI=true a missing server fails instead."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _missing(reason: str) -> None:
    if CI:
        pytest.fail(f"this test cannot run in CI: {reason}")
    pytest.skip(reason)


def _binary(name: str) -> str | None:
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    return shutil.which(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a running server's `postgres` database (trust auth, loopback only)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg is not installed (pip install 'llm-cost[ledger-postgres]')")
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        _missing("PostgreSQL's initdb/pg_ctl are not installed (apt-get install postgresql)")
    assert initdb and pg_ctl
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        if shutil.which("runuser") is None:
            _missing("running as root without runuser to drop to the postgres user")
        prefix = ["runuser", "-u", "postgres", "--"]
        # Not under pytest's basetemp: every pytest session resets `pytest-of-<user>` to 0o700,
        # so a second session on the machine would cut the postgres user off mid-run.
        base = Path(tempfile.mkdtemp(prefix="llmcost-pg-"))
        os.chmod(base, 0o777)
    else:
        base = tmp_path_factory.mktemp("pg")
    data, sockets, log = base / "data", base / "sock", base / "log"
    sockets.mkdir(mode=0o777)
    os.chmod(sockets, 0o777)
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres",
                    "--no-sync", "-E", "UTF8"], **run)  # fmt: skip
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off"
    subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w",
                    "start"], **run)  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip
        if prefix:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server: str) -> str:
    """A fresh, empty database on the test server."""
    import psycopg

    name = f"ledger_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return pg_server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    return str(tmp_path / "ledger.sqlite3")


def require(*modules: str) -> None:
    """Import the optional libraries a test drives; skip without them, fail under CI=true."""
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            _missing(f"{module} is not installed (pip install -e '.[dev]')")


@pytest.fixture
def background() -> Iterator[Callable[..., subprocess.Popen[Any]]]:
    """Start commands that run until stopped (`actuals receive`, `actuals metrics`): each is
    killed at teardown if the test left it running (a failed assert, a timeout), and by the
    kernel if the test process itself dies (processes.spawn)."""
    from .processes import spawn

    started: list[subprocess.Popen[Any]] = []

    def start(args: list[str], **options: Any) -> subprocess.Popen[Any]:
        process = spawn(args, **options)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def require_installed(*modules: str) -> None:
    """Like `require`, without importing (LiteLLM takes 5-12 CPU-s to import: the tests run
    it in a subprocess)."""
    import importlib.util

    for module in modules:
        if importlib.util.find_spec(module) is None:
            _missing(f"{module} is not installed (pip install -e '.[litellm]')")
