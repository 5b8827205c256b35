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
        monkeypatch.setattr(freshness, "utc_now", lambda: made + timedelta(days=days))

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
    assert "45 days" in err and "llm-cost pricing update" in err


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
