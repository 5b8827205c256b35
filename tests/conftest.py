"""Shared fixtures: paths to the repository, its examples and the shared real-prompt corpus."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

import pytest

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


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"real-prompt corpus not found at {CORPUS}")
    return CORPUS


@functools.cache
def _bundled_updated_at() -> datetime:
    from llmcost_lsp.core.pricing.db import load_price_db

    return load_price_db(BUNDLED_DB).updated_at


@pytest.fixture(autouse=True)
def _fixed_freshness_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Judge the bundled price DB's age as of one day after it was made, not the wall clock:
    the staleness policy is tested on its own, and no other test may start failing as the
    calendar moves. Subprocess tests pass --allow-stale or CI=true instead."""
    from datetime import timedelta

    from llmcost_lsp.cli import freshness

    made = _bundled_updated_at()
    monkeypatch.setattr(freshness, "utc_now", lambda: made + timedelta(days=1))
