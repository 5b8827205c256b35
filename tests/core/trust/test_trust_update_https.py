"""`llm-cost pricing update --from https://127.0.0.1:PORT/…` end to end, in fresh processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from trust_helpers import KeyPair, LocalHttpsServer, Route

from llmcost_lsp.core.pricing.db import bundled_price_bytes, parse_price_db
from llmcost_lsp.core.pricing.trust import format_trusted_comment

BUNDLED = parse_price_db(bundled_price_bytes(), "bundled")


def run_cli(server: LocalHttpsServer, *args: str) -> subprocess.CompletedProcess[str]:
    # The test certificate is trusted through OpenSSL's standard SSL_CERT_FILE, not a test hook:
    # the CLI runs exactly the code path users run.
    env = {**os.environ, "SSL_CERT_FILE": str(server.cert_file), "CI": "", "GITHUB_ACTIONS": ""}
    return subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def serve_signed_db(server: LocalHttpsServer, pair: KeyPair, days: int) -> str:
    document = json.loads(bundled_price_bytes())
    when = BUNDLED.updated_at + timedelta(days=days)
    document["updated_at"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    data = json.dumps(document).encode()
    comment = format_trusted_comment(1_800_000_000, "prices.json", 1, when)
    server.routes["/release/prices.json"] = Route(data)
    server.routes["/release/prices.json.minisig"] = Route(pair.sign(data, comment))
    return server.url("/release/prices.json")


def trust(pair: KeyPair) -> None:
    config = Path(os.environ["LLMCOST_CONFIG_DIR"]) / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[[pricing.trusted_keys]]\nname = "org"\npublic_key = "{pair.pub_line()}"\n')


def test_update_over_https_then_status(
    https_server: LocalHttpsServer, make_key: Callable[[], KeyPair]
) -> None:
    pair = make_key()
    trust(pair)
    url = serve_signed_db(https_server, pair, 3)
    update = run_cli(https_server, "pricing", "update", "--from", url)
    assert update.returncode == 0, update.stderr
    assert https_server.requests == ["/release/prices.json", "/release/prices.json.minisig"]
    status = json.loads(run_cli(https_server, "pricing", "status", "--format", "json").stdout)
    assert status["source"] == "installed"
    assert status["updated_at"] == (BUNDLED.updated_at + timedelta(days=3)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_https_update_with_a_forged_signature_installs_nothing(
    https_server: LocalHttpsServer, make_key: Callable[[], KeyPair]
) -> None:
    pair, attacker = make_key(), make_key()
    trust(pair)
    serve_signed_db(https_server, attacker, 3)
    url = https_server.url("/release/prices.json")
    update = run_cli(https_server, "pricing", "update", "--from", url)
    assert update.returncode == 3
    assert "untrusted key" in update.stderr
    assert not (Path(os.environ["LLMCOST_CACHE_DIR"]) / "pricing").exists()


def test_https_redirect_to_http_and_oversize_fail_cleanly(
    https_server: LocalHttpsServer, make_key: Callable[[], KeyPair]
) -> None:
    https_server.routes["/r"] = Route(
        status=302, headers={"Location": f"http://127.0.0.1:{https_server.port}/x"}
    )
    redirect = run_cli(https_server, "pricing", "update", "--from", https_server.url("/r"))
    assert redirect.returncode == 2 and "non-HTTPS" in redirect.stderr
    https_server.routes["/big"] = Route(b"x" * (5 * 1024 * 1024 + 1))
    big = run_cli(https_server, "pricing", "update", "--from", https_server.url("/big"))
    assert big.returncode == 2 and "limit" in big.stderr
