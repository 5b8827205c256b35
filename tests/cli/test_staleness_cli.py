"""Every command that prices anything applies the staleness policy of the price DB in use."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from llmcost_lsp.cli import freshness
from llmcost_lsp.cli.main import main
from llmcost_lsp.core.pricing.db import load_price_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROMPT = str(EXAMPLES / "prompts" / "classify.prompt")
COMMANDS = [
    ["estimate", str(EXAMPLES)],
    ["check", str(EXAMPLES)],
    ["tokens", PROMPT, "--model", "gpt-4o"],
    ["pricing", "show", "gpt-4o"],
    ["pricing", "list"],
]


@pytest.fixture
def db_age(monkeypatch: pytest.MonkeyPatch) -> object:
    made = load_price_db().updated_at
    monkeypatch.setattr(freshness, "_shown", set())  # each test sees its own warnings

    def set_age(days: int) -> None:
        monkeypatch.setenv("LLMCOST_NOW", (made + timedelta(days=days)).isoformat())

    return set_age


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_critically_stale_db_fails_locally_with_the_fix(
    command: list[str],
    db_age: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    db_age(45)  # type: ignore[operator]
    assert main(command) == 4
    err = capsys.readouterr().err
    assert "45 days" in err and "pip install -U llm-cost" in err and "--allow-stale" in err
    assert "llm-cost pricing update --from FILE|URL" in err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_ci_fails_open_with_a_warning(
    command: list[str],
    db_age: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CI", "true")
    db_age(45)  # type: ignore[operator]
    assert main(command) == 0
    assert "warning" in capsys.readouterr().err


def test_the_clock_is_llmcost_now_in_a_fresh_process(tmp_path: Path) -> None:
    """The installed CLI, in its own process: LLMCOST_NOW alone decides the DB's age."""
    import os
    import subprocess
    import sys

    made = load_price_db().updated_at
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}

    def run(days: int, **extra: str) -> subprocess.CompletedProcess[str]:
        now = (made + timedelta(days=days)).isoformat()
        return subprocess.run(
            [sys.executable, "-m", "llmcost_lsp.cli.main", "tokens", PROMPT, "--model", "gpt-4o"],
            env={**env, "LLMCOST_NOW": now, **extra},
            capture_output=True,
            text=True,
            check=False,
        )

    assert run(1).returncode == 0 and run(1).stderr == ""
    assert run(10).returncode == 0 and "10 days old" in run(10).stderr
    assert run(45).returncode == 4
    later = (made + timedelta(days=60)).date().isoformat()
    quiet = run(45, LLMCOST_STALE_OK_UNTIL=later)
    assert quiet.returncode == 0 and quiet.stderr == ""
    bad = run(1, LLMCOST_NOW="next tuesday")
    assert bad.returncode == 2 and "LLMCOST_NOW='next tuesday' is not a date" in bad.stderr


def test_strict_fails_in_ci_and_allow_stale_silences(
    db_age: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CI", "true")
    db_age(45)  # type: ignore[operator]
    assert main(["estimate", str(EXAMPLES), "--strict"]) == 4
    capsys.readouterr()
    monkeypatch.delenv("CI")
    assert main(["estimate", str(EXAMPLES), "--allow-stale"]) == 0
    assert "warning" not in capsys.readouterr().err
