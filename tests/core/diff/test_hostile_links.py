"""diff never invents cost (reliability probe 6.4; issue 21 item 4): a committed symlinked
prompt and a submodule of prompts count the same on both sides, so a clean checkout diffs to
nothing and --fail-on-increase passes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from diff_gitrepo import GitRepoBuilder

from llmcost_lsp.cli.main import main

pytestmark = pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
MANIFEST = '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 10_000\noutput_tokens = 100\n'
TEXT = "Summarise the customer's message in two sentences, politely.\n" * 40


def _diff(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["diff", str(root), "--price-date", "2026-11-23", "-f", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _estimate(capsys: pytest.CaptureFixture[str], root: Path) -> list[str]:
    main(["estimate", str(root), "--price-date", "2026-11-23", "-f", "json"])
    return sorted(p["path"] for p in json.loads(capsys.readouterr().out)["prompts"])


def test_a_committed_symlinked_prompt_is_no_change_on_a_clean_checkout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.write({"llm-cost.toml": MANIFEST, "prompts/base.txt": TEXT})
    (repo.root / "prompts" / "alias.txt").symlink_to("base.txt")
    (repo.root / "prompts" / "up.txt").symlink_to("../../outside.txt")
    (repo.root / "prompts" / "folder").symlink_to(".")
    repo.commit({})
    code, data = _diff(capsys, repo.root, "--base", "HEAD", "--fail-on-increase", "10%")
    assert code == 0
    assert data["prompts"] == [] and data["totals"]["delta_monthly_usd"] == "0"
    assert data["totals"]["unchanged"] == 2  # base.txt and the alias, on both sides
    # what the commit side counts is what estimate counts in the checkout
    assert _estimate(capsys, repo.root) == ["prompts/alias.txt", "prompts/base.txt"]
    second = repo.commit({"prompts/base.txt": TEXT + "One more line.\n"})
    code, data = _diff(capsys, repo.root, "--base", "HEAD~1", "--head", second)
    assert sorted(p["id"] for p in data["prompts"]) == ["alias", "base"]


def test_a_submodule_of_prompts_is_not_read_on_either_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = GitRepoBuilder(tmp_path / "sub")
    sub.commit({"s.txt": TEXT})
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.write({"llm-cost.toml": MANIFEST, "prompts/base.txt": TEXT})
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.root),
             "prompts/vendor")  # fmt: skip
    repo.commit({})
    code, data = _diff(capsys, repo.root, "--base", "HEAD", "--fail-on-increase", "10%")
    assert code == 0 and data["prompts"] == []
    assert _estimate(capsys, repo.root) == ["prompts/base.txt"]
    main(["estimate", str(repo.root), "--price-date", "2026-11-23", "-f", "json"])
    skipped = capsys.readouterr()
    assert "prompts/vendor" not in skipped.out or "submodule" in skipped.out
