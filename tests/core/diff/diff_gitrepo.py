"""A throwaway git repository for diff tests: fixed author, dates and branch, so commit ids and
golden files are the same on every machine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_EPOCH = 1_790_000_000  # 2026-09-20T…Z: any fixed instant


class GitRepoBuilder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.commits = 0
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def env(self) -> dict[str, str]:
        when = f"{_EPOCH + 60 * self.commits} +0000"
        return {
            **os.environ,
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.com",
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_DATE": when,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_SYSTEM": os.devnull,
        }

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=self.env(), capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def write(self, files: dict[str, str | bytes | None]) -> None:
        """Write (or with None, delete) files relative to the root."""
        for name, content in files.items():
            path = self.root / name
            if content is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", newline="")

    def commit(self, files: dict[str, str | bytes | None], message: str = "change") -> str:
        self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        self.commits += 1
        return self.git("rev-parse", "HEAD")


# A base and a head commit with one change of every kind (tests/core/diff, tests/cli golden).
BASE_MANIFEST = """\
[defaults]
model = "gpt-4o"
calls_per_month = 1_000
output_tokens = 100

[prompts.ident]
path = "old/ident.txt"

[prompts.vol]
path = "prompts/vol.txt"

[prompts.model]
path = "prompts/model.txt"

[prompts.search]
path = "prompts/search.txt"
calls_per_month = 100_000
budget_monthly_usd = "300"

[scenarios.launch]
calls_multiplier = 3
"""
VOL = '[prompts.vol]\npath = "prompts/vol.txt"'
MODEL = 'path = "prompts/model.txt"'
HEAD_MANIFEST = (
    BASE_MANIFEST.replace('path = "old/ident.txt"', 'path = "new/ident.txt"')
    .replace(VOL, VOL + "\ncalls_per_month = 4_000")
    .replace(MODEL, MODEL + '\nmodel = "claude-sonnet-4-5"')
    + '\n[pricing.overrides."claude-sonnet-4-5"]\ninput = "2"\n'
)
BASE_FILES: dict[str, str | bytes | None] = {
    "llm-cost.toml": BASE_MANIFEST,
    "old/ident.txt": "Identify the user.\n",
    "prompts/vol.txt": "Volume prompt.\n",
    "prompts/model.txt": "Model prompt.\n",
    "prompts/search.txt": "Search the docs.\n",
    "prompts/edit.txt": "Short.\n",
    "prompts/gone.txt": "Removed soon.\n",
    "prompts/move.txt": "I will move.\n",
    "prompts/claude.prompty": "---\nmodel: claude-sonnet-4-5\n---\nClaude prompt.\n",
    **{f"prompts/same/s{i}.txt": f"Unchanged prompt number {i}.\n" for i in range(8)},
}
HEAD_FILES: dict[str, str | bytes | None] = {
    "llm-cost.toml": HEAD_MANIFEST,
    "old/ident.txt": None,
    "new/ident.txt": "Identify the user, politely.\n",
    "prompts/search.txt": "Search the docs. " * 300 + "\n",
    "prompts/edit.txt": "Much longer than before. " * 20 + "\n",
    "prompts/gone.txt": None,
    "prompts/move.txt": None,
    "prompts/moved/elsewhere.txt": "I will move.\n",
    "prompts/fresh.txt": "A new prompt.\n",
}


def base_and_head_repo(root: Path) -> GitRepoBuilder:
    """A repository at `root` with two commits: BASE_FILES ("base"), then HEAD_FILES ("head")."""
    builder = GitRepoBuilder(root)
    builder.commit(BASE_FILES, "base")
    builder.commit(HEAD_FILES, "head")
    return builder
