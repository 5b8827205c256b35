"""`llm-cost actuals metrics`: the exposition read back by prometheus_client's own parser
(the real client library), exact against the ledger; no user or session label however many
users; a hostile flood of prompt ids folded under the cap; budgets, forecast and the ledger's
health; the HTTP endpoint, a ledger going away under it, and the CLI."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llmcost_lsp.core.ledger.api import make_pricer
from llmcost_lsp.core.ledger.metrics import Caps, Exporter, budget_scopes, label_value
from llmcost_lsp.core.ledger.rows import CallRow, make_row, micros
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.ledger.store import WriterStats
from llmcost_lsp.core.ledger.usage import Usage
from llmcost_lsp.core.manifest import parse_manifest
from llmcost_lsp.integrations.metrics_server import MetricsServer

from .conftest import require
from .processes import spawn, stop

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
MANIFEST = """
[budgets]
monthly_usd = "50"
[budgets.tags.team]
search = "2"
[prompts."search/answer"]
budget_monthly_usd = "1"
tags = { team = "search" }
"""


def calls(count: int, *, prompt: str = "search/answer", model: str = "gpt-4o",
          project: str = "a", at: datetime = NOW, key: str = "r") -> list[CallRow]:  # fmt: skip
    pricer = make_pricer()
    usage = Usage(1000, 100, cache_read_tokens=400, model_responded=model)
    price = pricer.price(usage, date(2026, 11, 15))
    return [
        make_row(usage, price, request_key=f"{key}{index}", ts=micros(at) - index,
                 price_db=pricer.version, prompt_id=prompt, project=project,
                 user_id=f"user-{index}", session_id=f"session-{index}")
        for index in range(count)
    ]  # fmt: skip


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    require("prometheus_client")
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def test_exposition_is_exact_and_has_no_user_labels(tmp_path: Path) -> None:
    with SqliteLedger(tmp_path / "l.sqlite3") as ledger:
        rows = calls(30) + calls(10, model="claude-sonnet-4-6", key="c")
        rows += calls(5, prompt='odd "id"\\with\nnewline', key="o", project="b")
        rows += calls(7, at=datetime(2026, 10, 31, 23, tzinfo=UTC), key="oct")  # last month
        stats = WriterStats("w1", "a", "host", 1, micros(NOW) - 10**8, micros(NOW) - 30_000_000,
                            60, 45, 0, 3, 1, 2)  # fmt: skip
        ledger.write(rows, stats)
        scopes = budget_scopes(parse_manifest(MANIFEST))
        text = Exporter(ledger, scopes=scopes).render(NOW)
        found = samples(text)
        month = dict(ledger.prompt_totals("2026-11-01", "2026-12-01"))
    assert "user" not in text and "session" not in text  # 45 users, 45 sessions: no label
    assert value(found, "llmcost_requests_total", project="a", prompt_id="search/answer",
                 model="gpt-4o") == 30  # fmt: skip
    odd = value(found, "llmcost_requests_total", project="b",
                prompt_id='odd "id"\\with\nnewline', model="gpt-4o")  # fmt: skip
    assert odd == 5  # escaping round-trips through the real parser
    cost = month[("search/answer", "gpt-4o")].cost_pusd
    line = next(
        x
        for x in text.splitlines()
        if x.startswith(
            'llmcost_cost_usd_total{project="a",prompt_id="search/answer",model="gpt-4o"}'
        )
    )
    assert Decimal(line.rsplit(" ", 1)[1]) == Decimal(cost) / 10**12  # exact decimal text
    assert value(found, "llmcost_tokens_total", project="a", model="gpt-4o",
                 component="cache_read") == 30 * 400  # fmt: skip
    spent = sum(t.cost_pusd for t in month.values())
    assert Decimal(str(value(found, "llmcost_month_to_date_usd", scope="workspace"))) == (
        Decimal(spent) / 10**12
    ).quantize(Decimal("1e-12"))
    assert value(found, "llmcost_budget_monthly_usd", scope="prompt:search/answer") == 1
    assert value(found, "llmcost_budget_monthly_usd", scope="tag:team=search") == 2
    assert ("llmcost_budget_monthly_usd", frozenset({("scope", "workspace")})) in found
    # forecast: half the month gone (14.5 of 30 days) -> month-to-date x 30 / 14.5
    forecast = value(found, "llmcost_month_forecast_usd", scope="workspace")
    assert forecast == pytest.approx(float(spent) / 1e12 * 30 / 14.5, rel=1e-5)
    assert value(found, "llmcost_ledger_lag_seconds") == 30
    assert value(found, "llmcost_recorder_dropped_total", project="a") == 3
    assert value(found, "llmcost_recorder_write_errors_total", project="a") == 2


def test_scrape_after_scrape_equals_a_fresh_read(tmp_path: Path) -> None:
    """The exporter reads only rows written since its last scrape: after new calls, calls of
    existing series, a reprice and a new month it says what a fresh exporter says."""
    from llmcost_lsp.core.manifest import parse_manifest as manifest_of

    scopes = budget_scopes(parse_manifest(MANIFEST))
    with SqliteLedger(tmp_path / "l.sqlite3") as ledger:
        kept = Exporter(ledger, scopes=scopes)

        def same(now: datetime) -> None:
            fresh = samples(Exporter(ledger, scopes=scopes).render(now))
            again = samples(kept.render(now))
            assert again == fresh

        ledger.write(calls(10))
        same(NOW)
        ledger.write(calls(5, key="b") + calls(3, prompt="new", key="n", project="b"))
        same(NOW)
        ledger.write(calls(10))  # duplicates: nothing changes
        same(NOW)
        cheaper = make_pricer(manifest_of('[pricing.overrides."gpt-4o"]\ninput = "0.5"\n'))
        ledger.reprice(cheaper)
        same(NOW)
        december = datetime(2026, 12, 1, 1, tzinfo=UTC)
        ledger.write(calls(2, at=december, key="dec"))
        same(december)
        assert "llmcost_requests_total" in kept.render(december)
        with_cap = Exporter(ledger, caps=Caps(prompts=1))
        ledger.write(calls(4, prompt="third", key="t", at=december))
        assert samples(with_cap.render(december)) == samples(
            Exporter(ledger, caps=Caps(prompts=1)).render(december)
        )


def test_a_flood_of_prompt_ids_is_folded_under_the_cap(tmp_path: Path) -> None:
    with SqliteLedger(tmp_path / "l.sqlite3") as ledger:
        # an app that put user text in the prompt id: 3,000 distinct values, two very long
        rows = [row for i in range(3000) for row in calls(1, prompt=f"q-{i}", key=f"q{i}-")]
        rows += calls(50, prompt="big", key="big")  # the most expensive keeps its label
        long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"  # the ledger keeps 512
        rows += calls(2, prompt=long_a, key="la") + calls(2, prompt=long_b, key="lb")
        ledger.write(rows)
        text = Exporter(ledger, caps=Caps(prompts=100)).render(NOW)
        uncapped = Exporter(ledger, caps=Caps(prompts=10_000)).render(NOW)
    found = samples(text)
    prompts = {dict(labels)["prompt_id"] for name, labels in found
               if name == "llmcost_requests_total"}  # fmt: skip
    assert len(prompts) == 100 and "__other__" in prompts and "big" in prompts
    assert sum(v for (name, _), v in found.items() if name == "llmcost_requests_total") == 3054
    assert value(found, "llmcost_folded_label_values", label="prompt_id") == 3003 - 99
    # long values are cut but stay apart
    assert max(len(p) for p in prompts) <= 120
    cut = {label_value(long_a), label_value(long_b)}
    assert len(cut) == 2 and all(len(v) == 120 for v in cut)
    assert cut <= {dict(labels)["prompt_id"] for name, labels in samples(uncapped)
                   if name == "llmcost_requests_total"}  # fmt: skip


def test_the_endpoint_and_a_ledger_that_goes_away(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    opened: list[Exporter] = []

    def make() -> Exporter:
        exporter = Exporter(SqliteLedger(path, busy_timeout_ms=100))
        opened.append(exporter)
        return exporter

    path.mkdir()  # not a ledger yet: cannot be opened

    server = MetricsServer(make, lambda: NOW, "127.0.0.1", 0).start()
    url = "http://{}:{}".format(*server.address)
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=10) as answer:
            assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert "llmcost_ledger_up 0" in answer.read().decode()
        path.rmdir()
        with SqliteLedger(path) as ledger:
            ledger.write(calls(3))
        with urllib.request.urlopen(url + "/metrics", timeout=10) as answer:
            assert "llmcost_ledger_up 1" in answer.read().decode()
        opened[-1].store.close()  # the connection breaks under the exporter
        with urllib.request.urlopen(url + "/metrics", timeout=10) as answer:
            assert "llmcost_ledger_up 0" in answer.read().decode()
        with SqliteLedger(path) as ledger:
            ledger.write(calls(4, key="more"))
        with urllib.request.urlopen(url + "/metrics", timeout=10) as answer:
            text = answer.read().decode()
        assert "llmcost_ledger_up 1" in text and len(opened) == 2 and server.failures == 2
        assert value(samples(text), "llmcost_requests_total", project="a",
                     prompt_id="search/answer", model="gpt-4o") == 7  # fmt: skip
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url + "/nothing", timeout=10)
    finally:
        server.close()


def test_the_command(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    with SqliteLedger(path) as ledger:
        ledger.write(calls(3))
    (tmp_path / "llm-cost.toml").write_text(MANIFEST)
    env_now = {"LLMCOST_NOW": NOW.isoformat()}
    base = [sys.executable, "-m", "llmcost_lsp.cli.main", "actuals", "metrics",
            "--ledger", str(path), "--root", str(tmp_path)]  # fmt: skip
    import os

    env = {**os.environ, **env_now}
    once = subprocess.run([*base, "--once"], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip
    assert once.returncode == 0, once.stderr
    assert value(samples(once.stdout), "llmcost_budget_monthly_usd", scope="workspace") == 50
    bad = subprocess.run([*base, "--bind", "nowhere"], capture_output=True, text=True, env=env,
                         timeout=120)  # fmt: skip
    assert bad.returncode == 2 and "HOST:PORT" in bad.stderr
    server = spawn([*base, "--bind", "127.0.0.1:0"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        assert "Prometheus metrics of" in line
        url = line.strip().rsplit(" on ", 1)[1]
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    assert "llmcost_requests_total" in answer.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        stop(server)
