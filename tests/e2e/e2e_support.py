"""Helpers for the editor end-to-end tests: find the real editors (installed beforehand by
install_editors.sh), run the CLI for expectations, and give subprocesses private XDG dirs so
nothing touches the user's editor config."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parent.parent
EXAMPLES = REPO_ROOT / "examples"
INSTALL = E2E_DIR / "install_editors.sh"
ARTIFACTS = REPO_ROOT / "test-artifacts"


def server_argv() -> list[str]:
    """The real language server, as this test run's Python runs it."""
    return [sys.executable, "-m", "llmcost_lsp"]


def required() -> bool:
    """Whether a missing editor fails the test instead of skipping it: `.ci/run` sets
    LLMCOST_E2E_REQUIRED=1 after installing the editors; CI=true means the same unless the
    variable says otherwise (LLMCOST_E2E_REQUIRED=0)."""
    explicit = os.environ.get("LLMCOST_E2E_REQUIRED")
    if explicit is not None:
        return explicit.strip().lower() in {"1", "true", "yes"}
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def installed(target: str) -> Path:
    """The cache dir holding `target`'s editor (neovim|vscode), installed beforehand by
    `bash tests/e2e/install_editors.sh`. This never installs anything (a test run must not
    apt-get or npm install): when something is missing the test skips with a one-line reason,
    or fails when the editors are required (CI)."""
    proc = None
    if shutil.which("bash") is not None:
        proc = subprocess.run(
            ["bash", str(INSTALL), "--check", target],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if proc.returncode == 0:
            return Path(proc.stdout.strip().splitlines()[-1])
    what = proc.stderr.strip().splitlines()[-1] if proc and proc.stderr.strip() else "no bash"
    reason = f"{target} e2e: {what}; run `bash tests/e2e/install_editors.sh {target}` first"
    if required():
        pytest.fail(f"{reason} (required: LLMCOST_E2E_REQUIRED=1 or CI=true)", pytrace=False)
    pytest.skip(reason)


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """The test's environment with private XDG dirs and a non-interactive, non-stale price DB."""
    env = dict(os.environ)
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        path = home / f"xdg-{name.lower()}"
        path.mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name}_HOME"] = str(path)
    # The staleness policy fails open in CI; the editors' servers must never block on it.
    env["CI"] = "true"
    env.update(extra)
    return env


@dataclass(frozen=True)
class Expectations:
    """What the CLI says about the example workspace: the editors must show the same."""

    hint_file: str
    hint_tokens: int
    shot_file: str  # a prompt with a short first line, so the whole hint fits the screenshot
    shot_tokens: int
    breach_scenario: str
    base_monthly_usd: str
    breach_monthly_usd: str
    breach_file: str
    breach_code: str


def cli_json(*args: str) -> Any:
    proc = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", *args, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "CI": "true"},
    )
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)


def monthly_by_prompt(estimate: Any) -> dict[str, str]:
    """Each priced prompt's monthly cost (a decimal string) in `llm-cost estimate --format json`."""
    found = {}
    for prompt in estimate["prompts"]:
        cost = (prompt.get("estimate") or {}).get("cost") or {}
        if cost.get("monthly_usd") is not None:
            found[prompt["id"]] = cost["monthly_usd"]
    return found
