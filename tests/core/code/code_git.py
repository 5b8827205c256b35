"""A workspace committed to git as `main`, then `llm-cost diff --base main` as the PR comment
(markdown): what the tests of prompts in code check after a change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root, check=True, capture_output=True,
    )  # fmt: skip


def commit_all(root: Path) -> None:
    """`root` as a new repository whose `main` holds every file."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")


def pr_comment(root: Path) -> str:
    """The markdown `llm-cost diff --base main` writes for the working tree."""
    done = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", "diff", "--base", "main", "--format",
         "markdown", "--allow-stale", "."],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout
