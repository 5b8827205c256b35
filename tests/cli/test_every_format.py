"""A golden file for every --format of every command that has the one --format vocabulary
(cli/terminal.add_format_arg): estimate, check, diff, report, tokens, calibrate, pricing list
and show, actuals summary. The formats of estimate, check and diff are compared in their own
test modules; this one adds the others and checks that no format is left without a golden file
(subcommands too: every --format goes through present/).

Regenerate after an intended change with `LLMCOST_UPDATE_GOLDEN=1 python -m pytest tests/cli`.
"""

from __future__ import annotations

import argparse
import shutil
from datetime import timedelta
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
    ("pricing list", "text"): "pricing_list_small.txt",
    ("pricing list", "json"): "pricing_list_small.json",
    ("pricing show", "text"): "pricing_show_claude.txt",
    ("pricing show", "json"): "pricing_show_claude.json",
    ("pricing verify", "text"): "pricing_verify.txt",
    ("pricing verify", "json"): "pricing_verify.json",
    ("pricing status", "text"): "pricing_status.txt",
    ("pricing status", "json"): "pricing_status.json",
    # compared in tests/cli/test_actuals_views.py
    ("actuals summary", "text"): "actuals_totals_prompt.txt",
    ("actuals summary", "json"): "actuals_totals_prompt.json",
    ("actuals summary", "markdown"): "actuals_totals_prompt.md",
}
# Formats without a golden file, and why (each is still one of the vocabulary's).
WITHOUT_GOLDEN = {
    "actuals alerts": "each alert as delivered: tests/integrations/test_alert_webhooks.py",
}


def _formats(
    parser: argparse.ArgumentParser | None = None, command: str = ""
) -> set[tuple[str, str]]:
    """(command, format) of every command and subcommand with a --format option."""
    found = set()
    for action in (parser or build_parser())._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= _formats(sub, f"{command} {name}".strip())
        elif "--format" in action.option_strings:
            choices = list(action.choices or ())
            assert choices == ["html"] or "table" in choices, (command, choices)  # the vocabulary
            found |= {(command, f) for f in choices if f != "table"}
    return found


def _writers(parser: argparse.ArgumentParser | None = None, command: str = "") -> dict[str, bool]:
    """Every command and subcommand with a --format: whether it takes `-o FILE`."""
    found: dict[str, bool] = {}
    actions = (parser or build_parser())._actions
    for action in actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= _writers(sub, f"{command} {name}".strip())
    if any("--format" in a.option_strings for a in actions):
        found[command] = any("-o" in a.option_strings for a in actions)
    return found


def test_every_command_that_writes_a_report_takes_o_file() -> None:
    writers = {c: takes for c, takes in _writers().items() if c not in WITHOUT_GOLDEN}
    assert len(writers) == len({command for command, _ in GOLDENS})
    assert [command for command, takes in writers.items() if not takes] == []


def test_every_format_has_a_golden_file() -> None:
    assert {(c, f) for c, f in _formats() if c not in WITHOUT_GOLDEN} == set(GOLDENS)
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


SMALL_DB = REPO / "tests" / "core" / "pricing" / "small_prices.json"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_pricing_list_and_show(
    fmt: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LLMCOST_NOW", "2026-11-23")
    for command, args in (("list", []), ("show", ["claude-sonnet-4-5"])):
        out = _run(["pricing", command, *args, "--db", str(SMALL_DB), "-f", fmt], capsys,
                   dated=False)  # fmt: skip
        golden = GOLDENS[(f"pricing {command}", fmt)]
        assert_golden(GOLDEN / golden, out.replace(str(REPO), "<repo>"))


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_pricing_verify_and_status(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A DB signed with a fixed organisation key (verify), and the bundled DB in use a day
    after its date (status); run from a scratch folder, with relative folders, so the table's
    widths do not depend on where pytest puts it."""
    from test_pricing_trust_cli import BUNDLED, OrgKey

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LLMCOST_CONFIG_DIR", "config")
    monkeypatch.setenv("LLMCOST_CACHE_DIR", "cache")
    key = OrgKey()
    key.seed, key.key_id = bytes(range(32)), bytes(range(8))  # the same signature every run
    key.key_id_hex = key.key_id[::-1].hex().upper()
    key.trust()
    signed = key.write_db(tmp_path, 1)
    now = BUNDLED.updated_at.date() + timedelta(days=1)
    monkeypatch.setenv("LLMCOST_NOW", now.isoformat())
    for name in ("CI", "GITHUB_ACTIONS"):  # status says whether it runs in CI
        monkeypatch.delenv(name, raising=False)
    verify = _run(["pricing", "verify", signed.name, "-f", fmt], capsys, dated=False)
    assert_golden(GOLDEN / GOLDENS[("pricing verify", fmt)], verify)
    status = _run(["pricing", "status", "-f", fmt], capsys, dated=False)
    assert_golden(GOLDEN / GOLDENS[("pricing status", fmt)], status)
