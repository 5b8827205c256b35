"""The budget gate states what a pull request changed about the gate itself (reliability probe
5.11; issue 21 item 5): contracted prices, calibration, budgets and rules changes are lines of
their own in `diff`, and `check` flags values no real bill has unless a `reason` is given."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "diff"))
from diff_gitrepo import GitRepoBuilder

from llmcost_lsp.cli.main import main

PRICE_DATE = "2026-11-23"
BASE = """\
[defaults]
model = "claude-sonnet-4-6"
calls_per_month = 10_000
output_tokens = 200

[budgets]
monthly_usd = "50"

[prompts.agent]
path = "prompts/agent.txt"
budget_monthly_usd = "40"
"""
PROMPT = "You are a support agent. Answer the customer's question politely.\n" * 60


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args, "--price-date", PRICE_DATE])
    out, err = capsys.readouterr()
    return code, out, err


def _ws(tmp_path: Path, extra: str) -> Path:
    root = tmp_path / "ws"
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "agent.txt").write_text(PROMPT)
    (root / "llm-cost.toml").write_text(BASE + extra)
    return root


FREE = '\n[pricing.overrides."claude-sonnet-4-6"]\ninput = "0"\noutput = "0"\n'
TINY_RATIO = '\n[calibration.tokenizers.claude]\nratio = "0.001"\n'


@pytest.mark.parametrize(
    ("extra", "code", "where"),
    [
        (FREE, "implausible-price", "llm-cost.toml:15:1"),
        (TINY_RATIO, "implausible-calibration", "llm-cost.toml:14:1"),
    ],
    ids=["price-0", "ratio-0.001"],
)
def test_check_flags_a_free_price_or_a_tiny_ratio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, code: str, where: str
) -> None:
    """Probe 5.11b/c: `check` passed at $0.00, and 3,509 tokens became 9."""
    root = _ws(tmp_path, extra)
    exit_code, out, _ = _run(capsys, "check", str(root))
    assert exit_code == 1
    assert f"{where}: error: {code}" in out
    reasoned = extra.replace('"0"\n', '"0"\nreason = "free tier until 2027 (contract 42)"\n', 1)
    reasoned = reasoned.replace('"0.001"\n', '"0.001"\nreason = "measured on 2,000 calls"\n')
    (root / "llm-cost.toml").write_text(BASE + reasoned)
    exit_code, out, _ = _run(capsys, "check", str(root), "-f", "json")
    found = [i for i in json.loads(out)["issues"] if i["code"] == code]
    assert found and all(i["severity"] == "info" and "accepted:" in i["message"] for i in found)


def test_diff_lists_every_change_to_the_gate_as_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit({"llm-cost.toml": BASE, "prompts/agent.txt": PROMPT})
    head = BASE.replace('budget_monthly_usd = "40"', 'budget_monthly_usd = "4000"')
    head = head.replace('monthly_usd = "50"', 'monthly_usd = "5000"', 1)
    repo.write({"llm-cost.toml": head + FREE + TINY_RATIO})
    _, out, _ = _run(capsys, "diff", str(repo.root), "--base", "HEAD", "-f", "json")
    changes = json.loads(out)["gate_changes"]
    assert (
        "this change lowers claude-sonnet-4-6's input price to $0 per million tokens for this "
        'repository (pricing.overrides."claude-sonnet-4-6".input: list $3 → $0)'
    ) in changes
    assert any(
        c.startswith("this change lowers claude-sonnet-4-6's output price to $0") for c in changes
    )
    assert any("claude tokenizer ratio to 0.001" in c for c in changes)
    assert "this change raises the budget of prompt 'agent' from $40 to $4000" in changes
    assert any(c.startswith("this change raises the workspace budget") for c in changes)
    _, out, _ = _run(capsys, "diff", str(repo.root), "--base", "HEAD", "-f", "markdown")
    assert "#### Changes to the gate itself" in out
    assert out.index("Changes to the gate itself") < out.index("<details>")
    _, out, _ = _run(capsys, "diff", str(repo.root), "--base", "HEAD")
    assert "Changes to the gate itself:" in out
