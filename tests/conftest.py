"""Shared fixtures: paths to the repository, its examples and the shared real-prompt corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"
# The real-prompt corpus lives beside the checkout (../shared), in CI as on a developer machine.
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "real-prompts"


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never read or write the user's real cache or config during tests."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("LLMCOST_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("LLMCOST_CONFIG_DIR", str(home / "config"))


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"real-prompt corpus not found at {CORPUS}")
    return CORPUS
