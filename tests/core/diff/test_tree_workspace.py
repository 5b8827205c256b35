"""A workspace read from a commit estimates exactly like the same files on disk: its manifest and
variable samples come from the commit too, and a shared counter never recounts a known text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from diff_gitrepo import GitRepoBuilder

from llmcost_lsp.core.diff.gitobjects import GitRepo
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.prompt_tokens import TokenCounter
from llmcost_lsp.core.workspace import Workspace

MANIFEST = """\
[defaults]
model = "gpt-4o"
calls_per_month = 1_000
output_tokens = 100

[prompts.search]
path = "prompts/search.txt"
variables = { context = { sample = "fixtures/context.txt" } }
"""


def rows(ws: Workspace) -> list[tuple[object, ...]]:
    return [
        (r.prompt_id, r.estimate.input_tokens.tokens, r.estimate.monthly_usd)
        for r in ws.report().results
        if r.estimate is not None
    ]


def test_commit_and_disk_give_the_same_report(tmp_path: Path, small_db: PriceDB) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit(
        {
            "llm-cost.toml": MANIFEST,
            "prompts/search.txt": "Use this: {{context}}\n",
            "prompts/other.txt": "Say hi.\n",
            "fixtures/context.txt": "a long sample context " * 50,
        }
    )
    # the disk moves on; the commit stays what it was
    builder.write(
        {"fixtures/context.txt": "short\n", "llm-cost.toml": MANIFEST.replace("1_000", "9")}
    )
    counter = TokenCounter()
    with GitRepo.containing(builder.root) as repo:
        listing = repo.listing(repo.resolve("HEAD"), builder.root)
        from_commit = Workspace(builder.root, db=small_db, counter=counter, tree=listing,
                                pricing_date=date(2026, 11, 23))  # fmt: skip
        from_commit.load()
        committed = rows(from_commit)
    builder.git("stash", "-q")  # the test's own repository: back to the committed files
    on_disk = Workspace(builder.root, db=small_db, counter=counter, pricing_date=date(2026, 11, 23))
    before = counter.tokenized_texts
    on_disk.load()
    assert rows(on_disk) == committed
    assert counter.tokenized_texts == before  # every text was counted once, for the commit


def test_a_sample_missing_from_the_commit_is_a_located_issue(
    tmp_path: Path, small_db: PriceDB
) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit({"llm-cost.toml": MANIFEST, "prompts/search.txt": "Use {{context}}\n"})
    builder.write({"fixtures/context.txt": "only on disk\n"})
    with GitRepo.containing(builder.root) as repo:
        ws = Workspace(builder.root, db=small_db, use_persistent_cache=False,
                       tree=repo.listing(repo.resolve("HEAD"), builder.root))  # fmt: skip
        ws.load()
        result = ws.result("search")
    issue = next(i for i in result.issues if i.code == "bad-sample")
    assert "no such file in the commit" in issue.message
    assert issue.location.path == "llm-cost.toml"
