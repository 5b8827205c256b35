"""A total with no monthly cost is unknown (`?`), never `$0.00`: a dashboard would record $0."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main


def workspace(tmp_path: Path, calls: str) -> str:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts/p.txt").write_text("Summarise the ticket.\n")
    (tmp_path / "llm-cost.toml").write_text(
        f'[defaults]\nmodel = "gpt-4o"\noutput_tokens = 100\n{calls}'
    )
    return str(tmp_path)


def test_no_monthly_cost_prints_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = workspace(tmp_path, "")  # no calls_per_month anywhere
    assert main(["estimate", folder, "--allow-stale"]) == 0
    out = capsys.readouterr().out
    assert "Total: ?/month for 1 prompt" in out and "$0.00/month" not in out
    assert main(["estimate", folder, "--allow-stale", "--format", "markdown"]) == 0
    assert "### LLM cost estimate: ?/month" in capsys.readouterr().out


def test_a_known_total_is_in_dollars(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = workspace(tmp_path, "calls_per_month = 1000\n")
    assert main(["estimate", folder, "--allow-stale"]) == 0
    assert "Total: $" in capsys.readouterr().out


def test_max_tokens_as_output_is_an_upper_bound_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from llmcost_lsp.core.workspace import Workspace
    from llmcost_lsp.server.config import HintSettings
    from llmcost_lsp.server.features.inlay_hints import hint_label

    (tmp_path / "p.prompt.yml").write_text(
        "model: openai/gpt-4o\nmodelParameters:\n  max_tokens: 4000\n"
        "messages:\n  - role: user\n    content: Summarise the ticket.\n"
    )
    (tmp_path / "llm-cost.toml").write_text("[defaults]\ncalls_per_month = 1000\n")
    assert main(["estimate", str(tmp_path), "--allow-stale"]) == 0
    table = capsys.readouterr().out
    assert "≤4,000" in table and "≤$" in table and "an upper bound" in table
    assert main(["estimate", str(tmp_path), "--allow-stale", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["prompts"][0]["estimate"]["cost"]["upper_bound"] is True
    workspace = Workspace(tmp_path, use_persistent_cache=False)
    workspace.load()
    estimate = workspace.report().results[0].estimate
    assert estimate is not None
    assert hint_label(estimate, HintSettings()).count("≤ $") == 2  # per call and per month


def test_a_count_straddling_a_tier_is_a_range_and_a_check_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts/big.txt").write_text("Summarise the logs.\n")
    (tmp_path / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "claude-haiku-5-5"\noutput_tokens = 1000\ncalls_per_month = 10000\n'
        "[prompts.big]\nextra_input_tokens = 100_000\n"
    )
    assert main(["estimate", str(tmp_path), "--allow-stale", "--format", "json"]) == 0
    cost = json.loads(capsys.readouterr().out)["prompts"][0]["estimate"]["cost"]
    low, high = (float(v) for v in cost["range"]["monthly_usd"])
    assert low < 100 < 500 < high  # one figure would hide an 8x spread
    assert main(["estimate", str(tmp_path), "--allow-stale"]) == 0
    assert "straddles a long-context price tier" in capsys.readouterr().out
    main(["check", str(tmp_path), "--allow-stale"])
    assert "tier-uncertain" in capsys.readouterr().out
