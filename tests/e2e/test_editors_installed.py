"""The editor tests never install anything: a missing editor skips with one line saying how to
install it, and fails instead when the editors are required (CI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_support import installed


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LLMCOST_E2E_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LLMCOST_E2E_REQUIRED", raising=False)
    monkeypatch.delenv("CI", raising=False)
    return tmp_path / "cache"


def test_a_missing_editor_skips_with_the_install_command(empty_cache: Path) -> None:
    with pytest.raises(pytest.skip.Exception) as skipped:
        installed("neovim")
    reason = str(skipped.value)
    assert "\n" not in reason
    assert "Neovim 0.11.4" in reason
    assert "bash tests/e2e/install_editors.sh neovim" in reason
    assert not empty_cache.exists()  # checked, nothing installed


@pytest.mark.parametrize(("name", "value"), [("LLMCOST_E2E_REQUIRED", "1"), ("CI", "true")])
def test_a_missing_editor_fails_when_required(
    empty_cache: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(pytest.fail.Exception, match=r"install_editors\.sh vscode"):
        installed("vscode")


def test_required_can_be_turned_off_under_ci(
    empty_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("LLMCOST_E2E_REQUIRED", "0")
    with pytest.raises(pytest.skip.Exception):
        installed("neovim")
