from __future__ import annotations

import subprocess
import sys

import pytest

from llmcost_lsp import __version__
from llmcost_lsp.cli.main import main


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"llm-cost {__version__}"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: llm-cost" in capsys.readouterr().out


def test_console_script_runs_as_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("llm-cost ")


def _crash(args: object) -> int:
    raise KeyError("a bug")


def test_a_crash_is_not_a_budget_violation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from llmcost_lsp.cli import estimate
    from llmcost_lsp.cli.main import EXIT_INTERNAL_ERROR, ISSUES_URL

    monkeypatch.setattr(estimate, "run", _crash)
    code = main(["estimate", "."])
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL_ERROR and code not in (0, 1, 2)
    assert err.count("\n") == 1, err  # one line, no traceback
    assert "internal error, a bug in llm-cost: KeyError: 'a bug'" in err
    assert ISSUES_URL in err and "-v" in err


@pytest.mark.parametrize("argv", [["-v", "estimate", "."], ["estimate", ".", "--verbose"]])
def test_verbose_prints_the_traceback_of_a_crash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    from llmcost_lsp.cli import estimate

    monkeypatch.setattr(estimate, "run", _crash)
    assert main(argv) == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "in _crash" in err
    assert "internal error" in err.splitlines()[-1]
