"""Editor end-to-end fixtures: what the CLI says about the examples, and a private copy of them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from e2e_support import EXAMPLES, Expectations, cli_json


@pytest.fixture(scope="session")
def expectations() -> Expectations:
    hint_file, shot_file = "prompts/classify.prompt", "prompts/search/answer.prompt.md"
    estimate = cli_json("estimate", str(EXAMPLES))
    tokens = {p["path"]: int(p["estimate"]["tokens"]["input"]) for p in estimate["prompts"]}
    base = cli_json("check", str(EXAMPLES))
    check = cli_json("check", str(EXAMPLES), "--scenario", "launch")
    breach = next(i for i in check["issues"] if i["code"] == "budget-exceeded")
    return Expectations(
        hint_file=hint_file,
        hint_tokens=tokens[hint_file],
        shot_file=shot_file,
        shot_tokens=tokens[shot_file],
        breach_scenario="launch",
        base_monthly_usd=base["monthly_usd"],
        breach_monthly_usd=check["monthly_usd"],
        breach_file=breach["path"],
        breach_code="budget-exceeded",
    )


@pytest.fixture
def example_workspace(tmp_path: Path) -> Path:
    """A private copy of examples/ (the editors may write settings and manifests into it)."""
    dest = tmp_path / "workspace"
    shutil.copytree(EXAMPLES, dest)
    return dest
