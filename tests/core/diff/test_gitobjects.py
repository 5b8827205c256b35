"""Reading a commit from git objects: the same prompts, ids and skips as a walk of the same
files on disk; clear errors for a missing ref, in a shallow clone too; the working tree is never
touched."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from diff_gitrepo import GitRepoBuilder

from llmcost_lsp.core.diff.gitobjects import GitError, GitRepo
from llmcost_lsp.core.discovery import DiscoveryResult, discover
from llmcost_lsp.core.manifest import analyze_manifest


def summary(result: DiscoveryResult) -> tuple[object, ...]:
    return (
        [(p.id, p.path, p.format, p.explicit_id, p.content_hash) for p in result.prompts],
        [(s.path, s.code) for s in result.skipped],
        [(i.code, i.message) for i in result.issues],
    )


def tree_discovery(repo_root: Path, root: Path, ref: str = "HEAD") -> DiscoveryResult:
    manifest_file = root / "llm-cost.toml"
    manifest = (
        analyze_manifest(manifest_file.read_text(), "llm-cost.toml").manifest
        if manifest_file.exists()
        else None
    )
    with GitRepo.containing(repo_root) as repo:
        return discover(root, manifest, tree=repo.listing(repo.resolve(ref), root))


def fs_discovery(root: Path) -> DiscoveryResult:
    manifest_file = root / "llm-cost.toml"
    manifest = (
        analyze_manifest(manifest_file.read_text(), "llm-cost.toml").manifest
        if manifest_file.exists()
        else None
    )
    return discover(root, manifest)


FILES: dict[str, str | bytes | None] = {
    ".gitignore": "*.log\nbuild/\n",
    "app/.gitignore": "drafts/\n",
    "app/llm-cost.toml": '[prompts.main]\npath = "system/main.md"\n',
    "app/system/main.md": "You are helpful.\r\nAnswer briefly.\r\n",
    "app/prompts/a.txt": "\ufeffHello {{name}}\n",
    "app/prompts/sub/a.txt": "Other a\n",
    "app/prompts/run.log": "ignored by the root .gitignore\n",
    "app/prompts/drafts/x.txt": "ignored by app/.gitignore\n",
    "app/prompts/build/y.txt": "ignored folder\n",
    "app/prompts/bin.txt": b"\x00\x01binary",
    "app/prompts/bad.txt": b"caf\xe9\n",
    "app/node_modules/prompts/z.txt": "never\n",
    "app/ask.prompt.yml": "model: gpt-4o\nmessages:\n  - role: user\n    content: Hi\n",
}


def test_tree_discovery_matches_the_walk_of_the_same_files(tmp_path: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.write(FILES)
    builder.git("add", "-f", "-A")  # commit even the ignored files: both sides must skip them
    builder.commit({})
    root = builder.root / "app"
    from_tree = tree_discovery(builder.root, root)
    assert summary(from_tree) == summary(fs_discovery(root))
    ids = [p.id for p in from_tree.prompts]
    assert sorted(ids) == ["a", "ask", "main", "sub/a"]
    assert {s.code for s in from_tree.skipped} >= {"binary", "invalid-utf8"}


def test_tree_discovery_on_the_real_prompt_corpus(tmp_path: Path, corpus: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    shutil.copytree(corpus, builder.root / "prompts")
    builder.git("add", "-f", "-A")
    builder.commit({})
    assert summary(tree_discovery(builder.root, builder.root)) == summary(
        fs_discovery(builder.root)
    )


def test_an_older_commit_is_read_without_touching_the_working_tree(tmp_path: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit({"prompts/a.txt": "first\n"})
    builder.commit({"prompts/a.txt": "second\n", "prompts/b.txt": "new\n"})
    builder.write({"prompts/a.txt": "unsaved third\n"})
    old = tree_discovery(builder.root, builder.root, "HEAD~1")
    assert [(p.id, p.text) for p in old.prompts] == [("a", "first\n")]
    assert (builder.root / "prompts" / "a.txt").read_text() == "unsaved third\n"
    assert builder.git("status", "--porcelain") == "M prompts/a.txt"
    assert len(builder.git("worktree", "list").splitlines()) == 1


def test_blobs_come_from_one_cat_file_process(tmp_path: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit({f"prompts/p{i}.txt": f"prompt {i}\n" for i in range(30)})
    with GitRepo.containing(builder.root) as repo:
        listing = repo.listing(repo.resolve("HEAD"), builder.root)
        batch_pids = set()
        for file in listing.files.values():
            file.load()
            assert repo._batch is not None
            batch_pids.add(repo._batch.pid)
        assert repo.blobs_read == 30
        assert len(batch_pids) == 1


def test_a_missing_ref_says_what_to_fetch(tmp_path: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit({"prompts/a.txt": "a\n"})
    with GitRepo.containing(builder.root) as repo, pytest.raises(GitError) as caught:
        repo.resolve("origin/main")
    assert "'origin/main' is not in this clone" in caught.value.message
    assert "git fetch --depth=1 origin main" in (caught.value.hint or "")


def test_shallow_clone_lacks_the_parent_until_it_is_fetched(tmp_path: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "origin")
    first = builder.commit({"prompts/a.txt": "a\n"})
    builder.commit({"prompts/a.txt": "b\n"})
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", f"file://{builder.root}", str(clone)],
        check=True,
        env=builder.env(),
    )
    with GitRepo.containing(clone) as repo:
        with pytest.raises(GitError) as caught:
            repo.resolve("HEAD~1")
        assert "shallow" in (caught.value.hint or "")
        with pytest.raises(GitError) as by_sha:
            repo.resolve(first)
        assert f"git fetch --depth=1 origin {first}" in (by_sha.value.hint or "")
    subprocess.run(
        ["git", "fetch", "-q", "--depth=1", "origin", first],
        cwd=clone,
        check=True,
        env=builder.env(),
    )
    found = tree_discovery(clone, clone, first)
    assert [p.text for p in found.prompts] == ["a\n"]


@pytest.mark.parametrize("ref", ["", "--output=/tmp/x", "nope^{tree}"])
def test_bad_refs_are_input_errors(tmp_path: Path, ref: str) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit({"prompts/a.txt": "a\n"})
    with GitRepo.containing(builder.root) as repo, pytest.raises(GitError):
        repo.resolve(ref)


def test_not_a_repository_is_explained(tmp_path: Path) -> None:
    with pytest.raises(GitError) as caught:
        GitRepo.containing(tmp_path)
    assert "not inside a git repository" in caught.value.message


def test_batch_read_skips_missing_objects_and_single_reads_explain_them(tmp_path: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    builder.commit({"prompts/a.txt": "a\n", "prompts/b.txt": "b\n"})
    missing = "0123456789abcdef0123456789abcdef01234567"
    with GitRepo.containing(builder.root) as repo:
        entries = {e.path: e.oid for e in repo.ls_tree(repo.resolve("HEAD"))}
        found = repo.read_blobs([entries["prompts/a.txt"], missing, entries["prompts/b.txt"]])
        assert sorted(found.values()) == [b"a\n", b"b\n"]
        with pytest.raises(GitError) as caught:
            repo.read_blob(missing)
        assert "is not in this clone" in caught.value.message
        assert repo.read_blob(entries["prompts/a.txt"]) == b"a\n"  # the process still serves


def test_default_base_is_the_merge_base_with_the_default_branch(tmp_path: Path) -> None:
    builder = GitRepoBuilder(tmp_path / "repo")
    fork_point = builder.commit({"prompts/a.txt": "a\n"})
    builder.git("checkout", "-q", "-b", "feature")
    builder.commit({"prompts/a.txt": "feature\n"})
    builder.git("checkout", "-q", "main")
    builder.commit({"prompts/b.txt": "main moved on\n"})
    builder.git("checkout", "-q", "feature")
    with GitRepo.containing(builder.root) as repo:
        assert repo.default_base() == (fork_point, "main")
    builder.git("branch", "-q", "-m", "main", "trunk")
    with GitRepo.containing(builder.root) as repo, pytest.raises(GitError) as caught:
        repo.default_base()
    assert "pass a base ref" in (caught.value.hint or "")
