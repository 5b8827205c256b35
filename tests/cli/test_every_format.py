"""A golden file for every --format of every command that has the one --format vocabulary
(cli/terminal.add_format_arg): estimate, check, diff, report, tokens and calibrate. The
formats of estimate, check and diff are compared in their own test modules; this one adds
the others and checks that no format is left without a golden file.

Regenerate after an intended change with `LLMCOST_UPDATE_GOLDEN=1 python -m pytest tests/cli`.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from golden import assert_golden
from llmcost_lsp.cli.main import build_parser, main

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
FOCUS = REPO / "tests" / "fixtures" / "focus"
PRICE_DATE = "2026-11-23"

# (command, format) -> golden file; the first six are compared in test_estimate_cli.py,
# test_diff_cli.py and their neighbours.
GOLDENS = {
    ("estimate", "text"): "estimate_examples.txt",
    ("estimate", "json"): "estimate_examples.json",
    ("estimate", "markdown"): "estimate_examples.md",
    ("check", "text"): "check_examples_launch.txt",
    ("check", "json"): "check_examples_launch.json",
    ("check", "github"): "check_examples_launch.github",
    ("diff", "text"): "diff_example.txt",
    ("diff", "json"): "diff_example.json",
    ("diff", "markdown"): "diff_example.md",
    ("report", "html"): "report_examples_launch.html",
    ("tokens", "text"): "tokens_answer.txt",
    ("tokens", "json"): "tokens_answer.json",
    ("calibrate", "text"): "calibrate_report.txt",
    ("calibrate", "json"): "calibrate_report.json",
}


def _formats() -> set[tuple[str, str]]:
    """(command, format) of every command whose --format is the shared vocabulary."""
    found = set()
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, parser in action.choices.items():
                for option in parser._actions:
                    if "--format" in option.option_strings and "table" in (option.choices or ()):
                        found |= {(name, f) for f in option.choices or () if f != "table"}
                    elif "--format" in option.option_strings and option.choices == ["html"]:
                        found.add((name, "html"))
    return found


def test_every_format_has_a_golden_file() -> None:
    assert _formats() == set(GOLDENS)
    assert all((GOLDEN / name).exists() for name in GOLDENS.values())


def _run(args: list[str], capsys: pytest.CaptureFixture[str], dated: bool = True) -> str:
    main([*args, "--price-date", PRICE_DATE] if dated else args)
    return capsys.readouterr().out


def test_report_html(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(REPO)
    target = tmp_path / "r.html"
    _run(["report", "examples", "-s", "launch", "-o", str(target)], capsys)
    assert_golden(GOLDEN / GOLDENS[("report", "html")], target.read_text())


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_tokens(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = REPO / "examples" / "prompts" / "search" / "answer.prompt.md"
    out = _run(["tokens", str(path), "--model", "gpt-4o", "--format", fmt], capsys, dated=False)
    assert_golden(GOLDEN / GOLDENS[("tokens", fmt)], out.replace(str(REPO), "<repo>"))


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_calibrate(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(REPO / "examples", root)
    shutil.copy(FOCUS / "calibrate_before.toml", root / "llm-cost.toml")
    monkeypatch.setenv("LLMCOST_NOW", "2026-11-23")
    args = ["calibrate", "--actuals", str(FOCUS / "calibrate_actuals.csv"), str(root)]
    out = _run([*args, "--format", fmt], capsys)
    shown = out.replace(str(tmp_path), "<tmp>").replace(str(REPO), "<repo>")
    assert_golden(GOLDEN / GOLDENS[("calibrate", fmt)], shown)
