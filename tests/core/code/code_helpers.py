"""Helpers of the tests of prompts in code: a workspace written from a dict of files, its
modules read from disk as a scan reads them, and the workspace committed to git as `main`
then `llm-cost diff --base main` as the PR comment (markdown)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from llmcost_lsp.core.code.modules import ModuleSource


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def disk(root: Path) -> ModuleSource:
    """The workspace's modules as a scan reads them, from disk."""

    def read(rel: str) -> str | None:
        path = root / rel
        return path.read_text() if path.is_file() else None

    return ModuleSource(read)


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
