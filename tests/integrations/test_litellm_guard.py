"""The LiteLLM router hook against the real LiteLLM (run in a subprocess by
litellm_router_driver.py: a Router with a gpt-4o and a gpt-4o-mini deployment in one group,
mock responses, no network), driven past a budget: the hook keeps the prompt's model while its
estimate fits, then only the cheaper deployment the manifest's rules suggest (the swap recorded
with its reason and saving), then refuses before any provider is called."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from .conftest import require_installed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from guard_race import write_workspace

DRIVER = Path(__file__).with_name("litellm_router_driver.py")
GPT4O_CALL = 225_000_000  # LiteLLM's mock usage (10 input, 20 output tokens) on gpt-4o
MINI_CALL = 13_500_000  # the same on gpt-4o-mini


def test_the_router_hook_keeps_swaps_then_refuses(tmp_path: Path) -> None:
    require_installed("litellm")  # imported by the driver only: slow and process-wide
    root = write_workspace(tmp_path / "ws", budget="0.005")
    tight = write_workspace(tmp_path / "tight", budget="0.0001")
    ledger = tmp_path / "l.sqlite3"
    done = subprocess.run(
        [sys.executable, str(DRIVER), str(root), str(tight), str(ledger), "12"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # each gpt-4o call reserves its $0.002895 estimate and settles at $0.000225: the 11th
    # would break the $0.005 budget, and gpt-4o-mini (the rule's cheaper model) fits
    assert result["models"] == ["gpt-4o"] * 10 + ["gpt-4o-mini"] * 2
    assert result["untouched"] in ("gpt-4o", "gpt-4o-mini")  # no prompt id: LiteLLM picks
    refused = result["refused"]
    assert refused is not None and refused["ours"], refused
    assert "refused: prompt:answer budget $0.0001 would be exceeded" in refused["text"]
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT count(*) FROM reservations").fetchone() == (0,)
        calls = db.execute(
            "SELECT model, cost_pusd, source FROM calls WHERE prompt_id = 'answer' ORDER BY ts"
        ).fetchall()
        swaps = db.execute(
            "SELECT action, preferred_model, chosen_model, reason, cost_pusd, preferred_cost_pusd "
            "FROM budget_decisions WHERE action = 'swap'"
        ).fetchall()
    assert sorted(calls) == sorted(
        [("gpt-4o", GPT4O_CALL, "litellm")] * 10 + [("gpt-4o-mini", MINI_CALL, "litellm")] * 2
    )
    assert len(swaps) == 2
    action, preferred, chosen, reason, cost, preferred_cost = swaps[0]
    assert (action, preferred, chosen) == ("swap", "gpt-4o", "gpt-4o-mini")
    assert reason.startswith("swapped gpt-4o → gpt-4o-mini: prompt:answer budget $0.01")
    assert (cost, preferred_cost) == (MINI_CALL, GPT4O_CALL)  # the same tokens on gpt-4o
