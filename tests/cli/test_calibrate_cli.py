"""`llm-cost calibrate`: a synthetic actuals file with known drift, the report, the exit code,
and the manifest `--write` produces (golden: comments kept, values marked, locks honoured)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from golden import assert_golden
from llmcost_lsp.cli.main import main
from llmcost_lsp.core.manifest.edit import calibration_notes

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "focus"
ACTUALS = FIXTURES / "calibrate_actuals.csv"
PRICE_DATE = "2026-11-23"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(REPO / "examples", root)
    shutil.copy(FIXTURES / "calibrate_before.toml", root / "llm-cost.toml")
    monkeypatch.setenv("LLMCOST_NOW", "2026-11-23")
    return root


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*args, "--price-date", PRICE_DATE])
    out, err = capsys.readouterr()
    return code, out, err


def test_report_shows_drift_and_refuses_thin_data(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["calibrate", "--actuals", str(ACTUALS), str(workspace)], capsys)
    assert code == 1  # output tokens of search/answer are 67% over: error-level drift
    lines = out.splitlines()
    answer = next(i for i, line in enumerate(lines) if line.startswith("search/answer"))
    assert "330,000" in lines[answer] and "+32.0%" in lines[answer] and "warning" in lines[answer]
    assert "+66.7%" in lines[answer + 2] and lines[answer + 2].endswith("error")
    assert "classify: not tuned: only 12.0 h of data (needs ≥ 24 h)" in out
    assert "summarize: not tuned: only 50 requests (needs ≥ 100)" in out
    assert "No actuals for: search/rewrite_query" in out
    assert "2 rows name no prompt of this workspace: legacy/old" in out
    assert 'kept prompts."support/triage".output_tokens: 120 -> 150 (locked)' in out
    assert "would set calibration.tokenizers.claude.ratio: 1.25 -> 1.51" in out
    before = (FIXTURES / "calibrate_before.toml").read_text(encoding="utf-8")
    assert (workspace / "llm-cost.toml").read_text(encoding="utf-8") == before


def test_write_produces_the_golden_manifest(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["calibrate", "--actuals", str(ACTUALS), str(workspace), "--write"], capsys)
    assert code == 0
    written = (workspace / "llm-cost.toml").read_text(encoding="utf-8")
    golden = FIXTURES / "calibrate_after.toml"
    assert_golden(golden, written)
    assert "# one word" in written  # every comment of the original survives
    notes = calibration_notes(written)
    assert notes[("prompts", "search/answer", "calls_per_month")] == (
        "calibrated 2026-11-23 from calibrate_actuals.csv"
    )
    assert ("prompts", "support/triage", "output_tokens") not in notes  # locked
    # the estimate now uses the learned values, the tokenizer ratio included
    code, out, _ = _run(["estimate", str(workspace), "-f", "json"], capsys)
    prompts = {p["id"]: p for p in json.loads(out)["prompts"]}
    answer = prompts["search/answer"]["estimate"]
    assert answer["calls_per_month"]["value"] == 330_000
    triage = prompts["support/triage"]["estimate"]
    assert "x 1.51 (claude)" in json.dumps(triage)
    # one calibration lands the input tokens on the bills (800 per request), not just nearer
    assert triage["tokens"]["input"] == 800


def test_json_format(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["calibrate", "--actuals", str(ACTUALS), str(workspace), "-f", "json"], capsys
    )
    data = json.loads(out)
    assert code == 1 and data["schema"] == "llm-cost.calibrate/1" and data["worst"] == "error"
    answer = next(p for p in data["prompts"] if p["id"] == "search/answer")
    assert answer["metrics"]["output_tokens_per_request"]["severity"] == "error"
    assert answer["requests"] == "110000" and answer["hours"] == "240"
    assert data["written"] == []


def test_malformed_actuals_write_nothing(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    lines = ACTUALS.read_text(encoding="utf-8").splitlines()
    lines[7] = lines[7].replace("11000,", "eleven,", 1)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = (workspace / "llm-cost.toml").read_text(encoding="utf-8")
    code, _, err = _run(["calibrate", "--actuals", str(bad), str(workspace), "--write"], capsys)
    assert code == 2
    assert f"{bad}:8:8: column x_Requests: 'eleven' is not a number" in err
    assert "1 malformed row in all; nothing was written" in err
    assert (workspace / "llm-cost.toml").read_text(encoding="utf-8") == before


def test_no_matching_prompt_names_the_ids_seen(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.csv"
    other.write_text(
        "ChargePeriodStart,ChargePeriodEnd,EffectiveCost,x_InputTokens,ResourceId\n"
        "2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,1,1,deployment-9\n",
        encoding="utf-8",
    )
    code, _, err = _run(["calibrate", "--actuals", str(other), str(workspace)], capsys)
    assert code == 2
    assert "ids seen: deployment-9" in err and "--tag-key" in err


def test_round_trip_of_our_own_export_shows_no_drift(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / "estimate.csv"
    code, _, _ = _run(
        ["export", "focus", str(workspace), "--period", "2026-11", "-o", str(exported)], capsys
    )
    assert code == 0
    code, out, _ = _run(["calibrate", "--actuals", str(exported), str(workspace)], capsys)
    assert code == 0
    assert "warning" not in out and "error" not in out
    assert "are llm-cost estimates, not bills" in out


def test_tag_key_period_and_a_workspace_without_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMCOST_NOW", "2026-12-02")
    root = tmp_path / "ws"
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "greet.prompty").write_text(
        "---\nmodel:\n  id: gpt-4o-mini\n  parameters:\n    max_tokens: 50\n---\nSay hi.\n",
        encoding="utf-8",
    )
    bills = tmp_path / "bills.csv"
    lines = ["ChargePeriodStart,ChargePeriodEnd,EffectiveCost,x_InputTokens,x_OutputTokens,Tags"]
    for day in range(1, 31):  # November: 30 days × 10 requests; December rows must not count
        for month in (11, 12):
            stamp = f"2026-{month}-{day:02d}T12:00:00Z"
            tags = '"{""app.prompt"":""greet""}"'
            lines += [f"{stamp},{stamp},0.001,20,{7 if month == 11 else 900},{tags}"] * 10
    bills.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["calibrate", "--actuals", str(bills), str(root), "--tag-key", "app.prompt"]
    code, out, _ = _run([*args, "--period", "2026-11", "--write"], capsys)
    assert code == 0, out
    assert "300 rows ignored" in out
    written = (root / "llm-cost.toml").read_text(encoding="utf-8")
    # 300 requests over 29 days (first to last request) scale to a 30-day month
    assert "[prompts.greet]" in written
    assert "calls_per_month = 310 # calibrated 2026-12-02 from bills.csv" in written
    assert "output_tokens = 7 # calibrated 2026-12-02 from bills.csv" in written
