"""Issue 17's "done when", end to end: calls of one prompt are driven past its budget through
choose_model(), and after each call `llm-cost actuals alerts` runs and the metrics exporter is
scraped. In this order: the 80% alert arrives at a webhook on 127.0.0.1, choose_model returns
the cheaper model with its reason, the swap is in the ledger, the shipped Prometheus rule fires
in promtool on the scrapes, and `actuals summary` shows what the swaps saved."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clock import suite_now
from llmcost_lsp.cli.main import main
from llmcost_lsp.core.ledger.api import make_guard
from llmcost_lsp.core.ledger.metrics import Exporter, budget_scopes
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.manifest import load_manifest

from .prometheus_tools import promtool_alerts
from .webhook_server import Hook, serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from guard_race import exact_usage, write_workspace

MINI_USAGE = {"prompt_tokens": 358, "completion_tokens": 200}


@pytest.fixture()
def hook() -> Iterator[Hook]:
    yield from serve(Hook())


def test_budget_control_end_to_end(
    hook: Hook, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alerts = (
        '[alerts]\ndrift = false\nspike_min_usd = "1000"\n\n'
        f'[[alerts.webhooks]]\nurl = "{hook.url("/budget")}"\nkinds = ["budget"]\n'
    )
    root = write_workspace(tmp_path / "ws", budget="0.05", actuals=alerts)  # 17 gpt-4o calls
    ledger = tmp_path / "l.sqlite3"
    now = suite_now()
    guard = make_guard(root, str(ledger), clock=now.timestamp)
    usage = exact_usage(root)
    events: list[tuple[str, int]] = []
    scrapes: list[str] = []
    reasons: list[str] = []
    with SqliteLedger(ledger) as reader:
        exporter = Exporter(reader, scopes=budget_scopes(load_manifest(root / "llm-cost.toml")))
        for call in range(21):  # 17 on gpt-4o, then 4 on gpt-4o-mini fill what is left
            decision = guard.choose("answer", "gpt-4o")
            assert decision.allowed and decision.checked, decision.reason
            if decision.swapped and not any(name == "swap" for name, _ in events):
                events.append(("swap", call))
                reasons.append(decision.reason)
            assert decision.settle(usage if decision.model == "gpt-4o" else MINI_USAGE,
                                   model=decision.model, response_id=f"r{call}")  # fmt: skip
            code = main(["actuals", "alerts", "--ledger", str(ledger), "--root", str(root)])
            assert code == 0, capsys.readouterr()
            budget = [r.json() for r in hook.received if r.json()["kind"] == "budget"]
            if any(a["data"]["scope"] == "prompt:answer" and a["data"]["threshold"] == "0.8"
                   for a in budget) and not any(n == "alert 80%" for n, _ in events):  # fmt: skip
                events.append(("alert 80%", call))
            scrapes.append(exporter.render(now))
    capsys.readouterr()
    # 14 calls of $0.002895 pass 80% of $0.05; the 18th would break it: gpt-4o-mini instead
    assert events == [("alert 80%", 13), ("swap", 17)]
    assert reasons[0].startswith(
        "swapped gpt-4o → gpt-4o-mini: prompt:answer budget $0.05 would be exceeded: "
        "$0.04922 spent + $0.00 reserved + $0.002895 this call on gpt-4o; rule: answer "
        "suggests gpt-4o-mini"
    )
    with sqlite3.connect(ledger) as db:
        swaps = db.execute(
            "SELECT chosen_model, reason, request_key FROM budget_decisions ORDER BY ts"
        ).fetchall()
    assert len(swaps) == 4 and swaps[0] == ("gpt-4o-mini", reasons[0], "r17")

    scope = {"scope": "prompt:answer"}
    fired = promtool_alerts(
        scrapes, eval_at=13, folder=tmp_path,
        expect={"LlmCostBudget80Percent": [{**scope, "severity": "warning"}]},
    )  # fmt: skip
    assert fired.returncode == 0, fired.stdout + fired.stderr
    before = tmp_path / "before"
    before.mkdir()
    quiet = promtool_alerts(scrapes, eval_at=12, folder=before,
                            expect={"LlmCostBudget80Percent": []})  # fmt: skip
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr

    args = ["actuals", "summary", "--ledger", str(ledger), "--root", str(root), "--since", "all"]
    assert main([*args, "--format", "json"]) == 0
    (swap,) = json.loads(capsys.readouterr().out)["budget_decisions"]
    assert (swap["calls"], swap["chosen_model"]) == (4, "gpt-4o-mini")
    assert swap["saving_usd"] == "0.0108852"  # 4 × ($0.002895 − $0.0001737)
    assert main(args) == 0
    assert "4 calls moved gpt-4o → gpt-4o-mini (prompt:answer budget)" in capsys.readouterr().out
