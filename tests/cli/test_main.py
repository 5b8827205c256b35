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
