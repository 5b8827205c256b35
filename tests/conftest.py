"""Shared fixtures: paths to the repository, its examples and the shared real-prompt corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from clock import suite_now

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"
# The real-prompt corpus lives beside the checkout (../shared), in CI as on a developer machine.
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "real-prompts"
BUNDLED_DB = REPO_ROOT / "src" / "llmcost_lsp" / "data" / "prices.json"


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never read or write the user's real cache or config during tests."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("LLMCOST_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("LLMCOST_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("LLMCOST_DATA_DIR", str(home / "data"))  # the default runtime ledger
    monkeypatch.delenv("LLMCOST_LEDGER", raising=False)
    monkeypatch.delenv("LLMCOST_MANIFEST", raising=False)


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"real-prompt corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """LLMCOST_NOW pins Settings.now() in this process and in every subprocess it starts (the
    CLI, the language server under pytest-lsp). Tests of the staleness policy set their own."""
    monkeypatch.setenv("LLMCOST_NOW", suite_now().isoformat())
