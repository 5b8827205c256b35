"""Every estimate and check ends with the coverage line; --show-skipped lists the skipped
files with their reasons; JSON carries the same counts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main

REPO = Path(__file__).resolve().parents[2]
LINE = "5 prompts found: 5 estimated; 1 file skipped (--show-skipped)"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "examples", root)
    (root / "prompts" / "loader.py").write_text("print('not a prompt')\n")
    return root


def test_estimate_ends_with_the_coverage_line(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["estimate", str(example)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == LINE
    assert "skipped prompts/loader.py" not in out
    assert main(["estimate", str(example), "--show-skipped"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == ["skipped prompts/loader.py: not a prompt format (extension .py)", LINE]
    assert main(["estimate", str(example), "-f", "markdown"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == LINE


def test_check_ends_with_the_coverage_line(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(example)]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == LINE
    assert main(["check", str(example), "-f", "github"]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == f"::notice::{LINE}"


@pytest.mark.parametrize("command", ["estimate", "check"])
def test_json_has_the_same_counts_and_the_skipped_files(
    example: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    main([command, str(example), "-f", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data["coverage"]["prompts"] == 5 and data["coverage"]["estimated"] == 5
    assert data["coverage"]["skipped_files"] == 1
    assert data["skipped"] == [
        {
            "path": "prompts/loader.py",
            "code": "not-a-prompt",
            "reason": "not a prompt format (extension .py)",
        }
    ]
