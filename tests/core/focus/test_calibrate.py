"""Calibration core: drift thresholds, the data sufficiency rules, locks, ratios and notes."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.core.calibrate import (
    Thresholds,
    _severity,
    apply_changes,
    calibrate,
)
from llmcost_lsp.core.focus.actuals import read_actuals
from llmcost_lsp.core.manifest.edit import calibration_notes

from .conftest import REPO, load

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("estimated", "actual", "severity"),
    [
        ("100", "119.99", "ok"),
        ("100", "120", "warning"),
        ("100", "80", "warning"),
        ("100", "149.99", "warning"),
        ("100", "150", "error"),
        ("100", "50", "error"),
        ("0", "1", "error"),  # something where nothing was expected
        ("0", "0", "ok"),
    ],
)
def test_drift_thresholds(estimated: str, actual: str, severity: str) -> None:
    assert _severity(Decimal(estimated), Decimal(actual), Thresholds())[1] == severity


def _actuals_file(
    path: Path, prompt_id: str, requests: int, hours: int, output: int = 100, input_: int = 700
) -> Path:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    lines = ["ChargePeriodStart,ChargePeriodEnd,EffectiveCost,x_InputTokens,x_OutputTokens,Tags"]
    for index in range(requests):
        moment = start + timedelta(hours=hours * index / max(requests - 1, 1))
        lines.append(
            f"{moment:%Y-%m-%dT%H:%M:%SZ},{moment:%Y-%m-%dT%H:%M:%SZ},0.01,{input_},{output},"
            f'"{{""prompt_id"":""{prompt_id}""}}"'
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def workspace_root(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(REPO / "examples", root)
    return root


@pytest.mark.parametrize(
    ("requests", "hours", "reasons"),
    [
        (99, 48, ["only 99 requests (needs ≥ 100)"]),
        (100, 23, ["only 23.0 h of data (needs ≥ 24 h)"]),
        (50, 10, ["only 50 requests (needs ≥ 100)", "only 10.0 h of data (needs ≥ 24 h)"]),
        (100, 24, []),
    ],
)
def test_refuses_to_tune_from_thin_data(
    workspace_root: Path, tmp_path: Path, requests: int, hours: int, reasons: list[str]
) -> None:
    workspace = load(workspace_root)
    actuals = read_actuals(_actuals_file(tmp_path / "a.csv", "summarize", requests, hours))
    report = calibrate(workspace, actuals, source="a.csv", today=TODAY)
    (prompt,) = report.prompts
    assert list(prompt.not_enough_data) == reasons
    assert bool(prompt.changes) == (not reasons)


def test_locked_true_keeps_every_value(workspace_root: Path, tmp_path: Path) -> None:
    manifest = workspace_root / "llm-cost.toml"
    text = manifest.read_text(encoding="utf-8").replace(
        "calls_per_month = 900\n", "calls_per_month = 900\nlocked = true\n"
    )
    manifest.write_text(text, encoding="utf-8")
    workspace = load(workspace_root)
    actuals = read_actuals(_actuals_file(tmp_path / "a.csv", "summarize", 200, 48, output=999))
    report = calibrate(workspace, actuals, source="a.csv", today=TODAY)
    changes = {c.key_path[-1]: c for c in report.prompts[0].changes}
    assert {c.refused for c in changes.values()} == {"locked"}
    assert set(changes) == {"calls_per_month", "output_tokens"}
    prompt_changes = report.prompts[0].changes
    assert apply_changes(text, prompt_changes, today=TODAY, source="a.csv") == text


def test_a_locked_ratio_and_an_exact_tokenizer_are_never_tuned(
    workspace_root: Path, tmp_path: Path
) -> None:
    manifest = workspace_root / "llm-cost.toml"
    text = manifest.read_text(encoding="utf-8")
    text += '\n[calibration.tokenizers.claude]\nratio = "1.3"\nlocked = true\n'
    manifest.write_text(text, encoding="utf-8")
    workspace = load(workspace_root)
    estimate = workspace.report().results
    summarize = next(r for r in estimate if r.prompt_id == "summarize").estimate
    assert summarize is not None and "x 1.3 (claude)" in summarize.input_tokens.tokenizer
    actuals = read_actuals(_actuals_file(tmp_path / "a.csv", "summarize", 300, 48, input_=2000))
    report = calibrate(workspace, actuals, source="a.csv", today=TODAY)
    (ratio,) = report.tokenizer_changes
    assert ratio.refused == "locked" and ratio.old == Decimal("1.3")
    exact = read_actuals(_actuals_file(tmp_path / "b.csv", "search/answer", 300, 48, input_=9999))
    assert calibrate(workspace, exact, source="b.csv", today=TODAY).tokenizer_changes == ()


def test_a_discovered_prompt_without_a_table_gets_one(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "hello.txt").write_text("Say hello to {name}.\n", encoding="utf-8")
    (root / "llm-cost.toml").write_text(
        '# team defaults\n[defaults]\nmodel = "gpt-4o-mini"  # cheap\ncalls_per_month = 10\n'
        "output_tokens = 5\n",
        encoding="utf-8",
    )
    workspace = load(root)
    actuals = read_actuals(_actuals_file(tmp_path / "a.csv", "hello", 150, 30, output=40))
    report = calibrate(workspace, actuals, source="a.csv", today=TODAY)
    text = (root / "llm-cost.toml").read_text(encoding="utf-8")
    updated = apply_changes(text, report.writable, today=TODAY, source="a.csv")
    assert updated.startswith(text.rstrip("\n"))  # every byte of the original stays
    assert "[prompts.hello]" in updated
    assert calibration_notes(updated) == {
        ("prompts", "hello", "calls_per_month"): "calibrated 2026-11-23 from a.csv",
        ("prompts", "hello", "output_tokens"): "calibrated 2026-11-23 from a.csv",
    }
    assert load(root).report().results  # still a valid manifest


def test_calibration_notes_never_raise() -> None:
    assert calibration_notes("[broken") == {}
    assert calibration_notes("a = 1 # hand-tuned\n") == {}


def test_calibrated_values_say_so_in_their_source(tmp_path: Path) -> None:
    """What `--write` marks shows in the estimate's provenance (hover, JSON) on the next run."""
    from llmcost_lsp.core.workspace import Workspace

    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "a.txt").write_text("Hello\n")
    (tmp_path / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o"\noutput_tokens = 10\n\n[prompts.a]\npath = "prompts/a.txt"\n'
        "calls_per_month = 4200 # calibrated 2026-11-23 from bill.csv\n"
    )
    ws = Workspace(tmp_path, use_persistent_cache=False)
    ws.load()
    estimate = ws.result("a").estimate
    assert estimate is not None and estimate.calls_per_month is not None
    assert estimate.calls_per_month.source == (
        "manifest: prompts.a.calls_per_month (calibrated 2026-11-23 from bill.csv)"
    )
    assert estimate.output_tokens is not None
    assert estimate.output_tokens.source == "manifest: defaults.output_tokens"
