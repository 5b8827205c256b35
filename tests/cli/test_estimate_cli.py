"""`llm-cost estimate` and `llm-cost check` on examples/: golden files of every output format.

Regenerate after an intended change with `LLMCOST_UPDATE_GOLDEN=1 python -m pytest tests/cli`,
then read the diff: it is exactly what users will see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from golden import assert_golden as check_golden
from llmcost_lsp.cli.main import main

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
PRICE_DATE = "2026-11-23"


def assert_golden(name: str, text: str) -> None:
    check_golden(GOLDEN / name, text)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("fmt", "scenario", "golden"),
    [
        ("table", None, "estimate_examples.txt"),
        ("markdown", None, "estimate_examples.md"),
        ("json", None, "estimate_examples.json"),
        ("table", "launch", "estimate_examples_launch.txt"),
        ("table", "cached", "estimate_examples_cached.txt"),
        ("table", "nightly", "estimate_examples_nightly.txt"),
    ],
)
def test_estimate_formats_match_golden_files(
    fmt: str, scenario: str | None, golden: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["estimate", str(REPO / "examples"), "--format", fmt, "--price-date", PRICE_DATE]
    args += ["--scenario", scenario] if scenario else []
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    assert_golden(golden, out)


def test_estimate_json_is_exact_and_self_consistent(capsys: pytest.CaptureFixture[str]) -> None:
    from decimal import Decimal

    _, out, _ = run_cli(
        ["estimate", str(REPO / "examples"), "-f", "json", "--price-date", PRICE_DATE], capsys
    )
    data = json.loads(out)
    assert data["schema"] == "llm-cost.estimate/1"
    monthly = [
        Decimal(p["estimate"]["cost"]["monthly_usd"])
        for p in data["prompts"]
        if p["estimate"] and p["estimate"]["cost"]["monthly_usd"] is not None
    ]
    assert sum(monthly) == Decimal(data["totals"]["monthly_usd"])
    for prompt in data["prompts"]:
        estimate = prompt["estimate"]
        if estimate and estimate["cost"]["per_call_usd"] is not None:
            parts = sum(Decimal(c["usd"]) for c in estimate["components"])
            assert parts == Decimal(estimate["cost"]["per_call_usd"])


def test_check_reports_the_launch_budget_breach(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # paths are shown from the current folder
    args = ["check", "examples", "--price-date", PRICE_DATE]
    code, out, err = run_cli(args, capsys)
    assert code == 0, out + err
    code, out, err = run_cli([*args, "--scenario", "launch"], capsys)
    assert code == 1
    assert_golden("check_examples_launch.txt", out)
    assert "error" in err and "scenario launch" in err


@pytest.mark.parametrize(
    ("fmt", "golden"),
    [("json", "check_examples_launch.json"), ("github", "check_examples_launch.github")],
)
def test_check_formats_match_golden_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fmt: str, golden: str
) -> None:
    monkeypatch.chdir(REPO)
    args = ["check", "examples", "-s", "launch", "-f", fmt, "--price-date", PRICE_DATE]
    code, out, _ = run_cli([*args, "--allow-stale"], capsys)
    assert code == 1
    assert_golden(golden, out)


def test_check_github_format_annotates_from_the_repository_root(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitHub resolves an annotation's file from the repository root: run from inside the
    workspace (the Action's `path` is not `.`), the path still starts at the root."""
    monkeypatch.chdir(REPO / "examples")
    args = ["check", ".", "-s", "launch", "-f", "github", "--price-date", PRICE_DATE]
    code, out, _ = run_cli(args, capsys)
    assert code == 1
    assert out.splitlines()[0].startswith("::error file=examples/llm-cost.toml,line=")
    code, text, _ = run_cli(["check", ".", "-s", "launch", "--price-date", PRICE_DATE], capsys)
    assert text.startswith("llm-cost.toml:")  # a terminal shows it from where you are


def test_estimate_works_without_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "hello.prompt.yml").write_text(
        "model: openai/gpt-4o-mini\nmessages:\n  - role: user\n    content: Hello\n"
    )
    code, out, _ = run_cli(["estimate", str(tmp_path)], capsys)
    assert code == 0
    assert "hello" in out and "gpt-4o-mini" in out
    assert "calls_per_month and output_tokens unknown" in out


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ("[defaults\n", "llm-cost.toml:1:"),
        ("[defaults]\ncalls_per_mnth = 3\n", "llm-cost.toml:2:1"),
        ("[defaults]\noutput_tokens = -5\n", "llm-cost.toml:2:"),
    ],
)
def test_check_broken_manifest_exits_2_with_location(
    tmp_path: Path, manifest: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "llm-cost.toml").write_text(manifest)
    code, out, _ = run_cli(["check", str(tmp_path)], capsys)
    assert code == 2
    assert out.startswith(f"{tmp_path}/{expected}")  # outside the current folder: absolute


def test_unknown_scenario_exits_2_with_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["estimate", str(REPO / "examples"), "-s", "lanch"], capsys)
    assert code == 2
    assert "did you mean 'launch'?" in err


def test_path_that_is_a_file_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["estimate", str(REPO / "examples" / "llm-cost.toml")], capsys)
    assert code == 2
    assert "is a file" in err


def test_quick_start_command_runs_in_a_fresh_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", "estimate", "examples", "--allow-stale"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CI": "true"},
    )
    assert done.returncode == 0, done.stderr
    assert "Total: $" in done.stdout
