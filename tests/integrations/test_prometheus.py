"""The shipped Prometheus rules and Grafana dashboard against the real tools: `promtool check
rules` and `promtool test rules` (deploy/prometheus); a real Prometheus scraping the exporter
while calls arrive, with every PromQL query of the dashboard executed and answered with data;
the dashboard's PostgreSQL panel run on a real PostgreSQL ledger; the dashboard's structure
(Grafana itself cannot run here); and the budget alert firing in promtool from the exporter's
own output as calls pass a budget."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from llmcost_lsp.core.ledger.metrics import Exporter, budget_scopes
from llmcost_lsp.core.ledger.postgres import PostgresStore
from llmcost_lsp.core.ledger.rows import micros
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.ledger.store import WriterStats
from llmcost_lsp.core.manifest import parse_manifest

from .processes import spawn, stop
from .prometheus_tools import (
    ROOT,
    RULES,
    free_port,
    prometheus_bin,
    promtool_alerts,
    query,
    running_prometheus,
)
from .test_metrics_exporter import MANIFEST, calls

DASHBOARD = ROOT / "deploy" / "grafana" / "llm-cost-dashboard.json"


def panels() -> list[dict[str, Any]]:
    return list(json.loads(DASHBOARD.read_text())["panels"])


def promql_targets() -> list[str]:
    return [t["expr"] for p in panels() for t in p["targets"] if "expr" in t]


def test_promtool_checks_and_unit_tests_the_rules() -> None:
    promtool = str(prometheus_bin() / "promtool")
    check = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert check.returncode == 0 and "SUCCESS: 9 rules found" in check.stdout, check.stderr
    tests = subprocess.run(
        [promtool, "test", "rules", "llm-cost-rules.test.yml"],
        cwd=RULES.parent, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_the_dashboard_json_is_well_formed() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["schemaVersion"] >= 36 and dashboard["uid"]
    inputs = {f"${{{item['name']}}}" for item in dashboard["__inputs"]}
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    boxes = set()
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] in inputs, panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        cells = {(grid["x"] + dx, grid["y"] + dy) for dx in range(grid["w"])
                 for dy in range(grid["h"])}  # fmt: skip
        assert not boxes & cells, f"{panel['title']} overlaps another panel"
        boxes |= cells
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs))
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == panel["datasource"]["uid"]
            assert target.get("expr") or target.get("rawSql")
    titles = " ".join(p["title"] for p in dashboard["panels"]).lower()
    for needed in ("prompt", "model", "budget", "forecast", "top users"):
        assert needed in titles
    # a user is never a Prometheus label: per-user figures come from SQL only
    assert not any(re.search(r"user|session", expr) for expr in promql_targets())


def _exporter_process(ledger: Path, root: Path, port: int, now: datetime) -> subprocess.Popen[str]:
    env = {**os.environ, "LLMCOST_NOW": now.isoformat()}
    return spawn(
        [sys.executable, "-m", "llmcost_lsp.cli.main", "actuals", "metrics", "--ledger",
         str(ledger), "--root", str(root), "--bind", f"127.0.0.1:{port}"],
        stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def test_every_dashboard_query_runs_on_a_real_prometheus(tmp_path: Path) -> None:
    now = datetime(2026, 11, 15, 12, tzinfo=UTC)
    ledger_path = tmp_path / "ledger.sqlite3"
    (tmp_path / "llm-cost.toml").write_text(MANIFEST)
    stats = WriterStats("w1", "a", "host", 1, micros(now), micros(now), 10, 10, 0, 0, 0, 0)
    with SqliteLedger(ledger_path) as ledger:
        ledger.write(calls(20) + calls(5, model="claude-sonnet-4-6", key="c"), stats)
    port = free_port()
    exporter = _exporter_process(ledger_path, tmp_path, port, now)
    try:
        assert exporter.stderr is not None and "Prometheus metrics" in exporter.stderr.readline()
        with running_prometheus(f"127.0.0.1:{port}", tmp_path / "prom") as url:
            _wait(url, 'count(up{job="llm-cost"} == 1) > 0')
            time.sleep(3)
            with SqliteLedger(ledger_path) as ledger:  # calls keep arriving
                ledger.write(calls(30, key="late") + calls(8, prompt="other", key="o"), stats)
            _wait(url, "sum(llmcost_requests_total) == 63")
            time.sleep(3)
            variables = {"$project": ".*"}  # as Grafana sends "All"
            for expr in promql_targets():
                for name, replacement in variables.items():
                    expr = expr.replace(name, replacement)
                result = query(url, expr)
                assert result, f"no data for {expr}"
            [ratio] = [r for r in query(url, "llmcost:budget_used:ratio")
                       if r["metric"]["scope"] == "prompt:search/answer"]  # fmt: skip
            assert float(ratio["value"][1]) > 0
    finally:
        stop(exporter)


def _wait(url: str, promql: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not query(url, promql):
        assert time.monotonic() < deadline, f"never true: {promql}"
        time.sleep(0.5)


def test_the_dashboard_sql_runs_on_a_postgresql_ledger(pg_url: str) -> None:
    sql = [t["rawSql"] for p in panels() for t in p["targets"] if "rawSql" in t]
    assert sql
    with PostgresStore(pg_url) as store:
        [(server_now,)] = store._query("SELECT now()")  # rows in the server's current month
        store.write(calls(6, at=server_now) + calls(3, at=server_now, key="x", prompt="p2"))
        for text in sql:
            rows = store._query(text)
            assert rows and rows[0][0].startswith("user-") and rows[0][1] >= 1


def test_the_budget_alert_fires_in_promtool_as_calls_pass_the_budget(tmp_path: Path) -> None:
    """Calls of search/answer ($1/month budget) arrive each minute; the exporter's output at
    each minute goes to promtool with the shipped rules: the 80% alert fires at the first
    minute at or past 80%, not before, and the exceeded alert once past 100%."""
    manifest = parse_manifest(MANIFEST)
    start = datetime(2026, 11, 15, 12, tzinfo=UTC)
    scrapes, ratios = [], []
    with SqliteLedger(tmp_path / "l.sqlite3") as ledger:
        exporter = Exporter(ledger, scopes=budget_scopes(manifest))
        for minute in range(12):
            at = start + timedelta(minutes=minute)
            ledger.write(calls(30, at=at, key=f"m{minute}-"))
            scrapes.append(exporter.render(at))
            [(_, totals)] = ledger.prompt_totals()
            ratios.append(totals.cost_pusd / 10**12)
    warn = next(i for i, spent in enumerate(ratios) if spent >= 0.8)
    over = next(i for i, spent in enumerate(ratios) if spent >= 1)
    assert 0 < warn < over < len(scrapes)
    scope = {"scope": "prompt:search/answer"}
    cases = [
        (warn - 1, {"LlmCostBudget80Percent": [], "LlmCostBudgetExceeded": []}),
        (warn, {"LlmCostBudget80Percent": [{**scope, "severity": "warning"}]}),
        (over, {"LlmCostBudget80Percent": [],
                "LlmCostBudgetExceeded": [{**scope, "severity": "critical"}]}),
    ]  # fmt: skip
    for index, (eval_at, expect) in enumerate(cases):
        folder = tmp_path / f"case{index}"
        folder.mkdir()
        done = promtool_alerts(scrapes, eval_at=eval_at, expect=expect, folder=folder)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("script", ["install_prometheus.sh"])
def test_the_installer_only_extracts(script: str) -> None:
    text = (Path(__file__).parent / script).read_text()
    assert "dpkg-deb -x" in text and "apt-get install" not in text.replace(
        "never `apt-get install`", ""
    )
