"""Bad and odd inputs on either side of a diff: a broken manifest at the base, the real-prompt
corpus (BOM, CRLF, binary-looking, huge and empty files) edited between two commits."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from diff_gitrepo import GitRepoBuilder

from llmcost_lsp.core.diff.git import diff_git
from llmcost_lsp.core.pricing.db import PriceDB

DAY = date(2026, 11, 23)


def test_a_broken_manifest_at_the_base_is_reported_not_fatal(
    tmp_path: Path, small_db: PriceDB
) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit({"llm-cost.toml": "[defaults\nmodel = ", "prompts/a.txt": "Hello.\n"})
    builder.commit({"llm-cost.toml": '[defaults]\nmodel = "gpt-4o"\n'})
    diff = diff_git(builder.root, "HEAD~1", "HEAD", db=small_db, pricing_date=DAY)
    assert [(d.prompt_id, d.changes) for d in diff.prompts] == [("a", ("now-estimated",))]
    assert any(i.code == "toml-syntax" for i in diff.resolved_issues)


def test_the_real_corpus_edited_between_two_commits(
    tmp_path: Path, small_db: PriceDB, corpus: Path
) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    shutil.copytree(corpus, builder.root / "prompts")
    builder.write({"llm-cost.toml": '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 10\n'
                   'output_tokens = 10\n'})  # fmt: skip
    builder.git("add", "-f", "-A")
    builder.commit({})
    files = sorted(p for p in (builder.root / "prompts").rglob("*") if p.is_file())
    for path in files[::7]:
        path.write_bytes(path.read_bytes() + b"\nOne more line.\n")
    for path in files[3::29]:
        path.unlink()
    builder.git("add", "-f", "-A")
    builder.commit({})
    diff = diff_git(builder.root, "HEAD~1", "HEAD", db=small_db, pricing_date=DAY)
    kinds = {change for d in diff.prompts for change in d.changes}
    assert kinds <= {"content-changed", "removed", "now-estimated", "no-longer-estimated"}
    assert "content-changed" in kinds and "removed" in kinds
    # every prompt of either side is accounted for: unchanged, or in the diff
    with_base = sum(1 for d in diff.prompts if d.base is not None)
    with_head = sum(1 for d in diff.prompts if d.head is not None)
    assert diff.unchanged + with_base == len(diff.base.results)
    assert diff.unchanged + with_head == len(diff.head.results)
    # again, with the results of the unchanged prompts from the cache: the same diff
    again = diff_git(builder.root, "HEAD~1", "HEAD", db=small_db, pricing_date=DAY)
    assert again.cached_prompts == diff.unchanged > 0 and again.estimated_prompts < len(files)
    assert again.prompts == diff.prompts and again.new_issues == diff.new_issues
    assert (again.base_monthly_usd, again.head_monthly_usd, again.head_incomplete) == (
        diff.base_monthly_usd,
        diff.head_monthly_usd,
        diff.head_incomplete,
    )
