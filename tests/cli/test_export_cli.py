"""`llm-cost export focus`: golden file of a small export, stdout vs -o, left-out prompts,
--validate, and bad arguments."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from golden import assert_golden
from llmcost_lsp.cli.main import main
from llmcost_lsp.core.focus.conformance import check_csv

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "fixtures" / "focus" / "export_examples_2026-11.csv"
ARGS = ["--period", "2026-11", "--price-date", "2026-11-23"]


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_export_of_examples_matches_golden(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["export", "focus", str(REPO / "examples"), *ARGS], capsys)
    assert code == 0 and "left out" not in err
    assert_golden(GOLDEN, out)
    assert check_csv(GOLDEN, "1.2", house=True) == []


def test_output_file_is_written_whole_and_validated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "focus.csv"
    code, out, err = _run(
        ["export", "focus", str(REPO / "examples"), *ARGS, "--focus-version", "1.3",
         "--scenario", "cached", "-o", str(target), "--validate"],
        capsys,
    )  # fmt: skip
    assert code == 0 and out == ""
    # the examples' prompts are all below their models' minimum cacheable prompt: no cache rows
    assert "wrote 10 rows (5 prompts, period 2026-11, FOCUS 1.3, scenario cached)" in err
    assert "conforms to FOCUS 1.3" in err
    assert [p.name for p in tmp_path.iterdir()] == ["focus.csv"]  # no temp file left behind
    header = next(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert "HostProviderName" in header


def test_prompts_without_volume_are_left_out_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(REPO / "examples", root)
    manifest = root / "llm-cost.toml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("calls_per_month = 900\n", "")
    text = text.replace("calls_per_month = 20_000\n", "")
    manifest.write_text(text, encoding="utf-8")
    code, out, err = _run(["export", "focus", str(root), *ARGS], capsys)
    assert code == 0
    assert "left out summarize: calls_per_month unknown" in err
    assert (
        "1 prompt without a known monthly cost left out of the export (never written as 0)" in err
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["ResourceId"] for r in rows} == {
        "classify", "search/answer", "search/rewrite_query", "support/triage"
    }  # fmt: skip


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "november", "2026-11-01"])
def test_bad_period_is_a_usage_error(period: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["export", "focus", str(REPO / "examples"), "--period", period], capsys)
    assert code == 2 and "is not a month like 2026-11" in err


def test_export_without_format_shows_usage(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["export"], capsys)
    assert code == 2 and "focus" in err


def test_hack_billed_cost_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["export", "focus", str(REPO / "examples"), *ARGS, "--hack-billed-cost", "--validate"],
        capsys,
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert all(r["BilledCost"] == r["EffectiveCost"] != "0.00" for r in rows)
    assert all('"x-hack-billed-cost":true' in r["Tags"] for r in rows)
