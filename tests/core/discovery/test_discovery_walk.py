from __future__ import annotations

import os
from pathlib import Path

import pytest

from llmcost_lsp.core.discovery import DiscoveryResult, discover, prompt_id_for
from llmcost_lsp.core.manifest import parse_manifest


def write(root: Path, rel: str, content: str | bytes = "Hello {{name}}\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def ids(result: DiscoveryResult) -> dict[str, str]:
    return {p.path: p.id for p in result.prompts}


def skipped(result: DiscoveryResult) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/prompts/search.txt", "search"),
        ("prompts/support/triage.txt", "support/triage"),
        ("prompts/a/prompts/b.md", "b"),
        (".github/prompts/speckit.analyze.prompt.md", "speckit.analyze"),
        ("agents/writer/Writer.prompty", "writer"),
        ("prompts/My Prompt (v2).PROMPT.MD", "my-prompt-v2"),
        ("prompts/system.jinja2", "system"),
        ("prompts/ChatGPT3.5.txt", "chatgpt3.5"),
        ("prompts/rewrite.prompt.yml", "rewrite"),
    ],
)
def test_prompt_id_heuristic(path: str, expected: str) -> None:
    assert prompt_id_for(path) == expected


def test_zero_config_uses_default_globs(tmp_path: Path) -> None:
    write(tmp_path, "prompts/support/triage.txt")
    write(tmp_path, "prompts/classify.prompt")
    write(tmp_path, "app/answer.prompt.md", "---\nmodel: gpt-4o\n---\nAnswer.\n")
    write(tmp_path, "app/chat.prompty")
    write(tmp_path, "app/rewrite.prompt.yml", "messages: []\n")
    write(tmp_path, "app/notes.txt")  # not matched by any default glob
    write(tmp_path, "README.md")
    result = discover(tmp_path)
    assert ids(result) == {
        "app/answer.prompt.md": "answer",
        "app/chat.prompty": "chat",
        "app/rewrite.prompt.yml": "rewrite",
        "prompts/classify.prompt": "classify",
        "prompts/support/triage.txt": "support/triage",
    }
    triage = result.by_id()["support/triage"]
    assert triage.absolute_path == tmp_path.resolve() / "prompts/support/triage.txt"
    assert triage.format == "text" and not triage.explicit_id
    assert result.skipped == () and result.issues == ()


def test_gitignore_root_nested_and_negation_are_respected_silently(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "prompts/generated/\n*.bak.txt\n")
    write(tmp_path, "prompts/generated/a.txt")
    write(tmp_path, "prompts/old.bak.txt")
    write(tmp_path, "prompts/team/.gitignore", "*.txt\n!keep.txt\n")
    write(tmp_path, "prompts/team/drop.txt")
    write(tmp_path, "prompts/team/keep.txt")
    write(tmp_path, "prompts/main.txt")
    result = discover(tmp_path)
    assert sorted(ids(result)) == ["prompts/main.txt", "prompts/team/keep.txt"]
    assert result.skipped == ()


def test_vcs_dependencies_and_virtualenvs_are_never_entered(tmp_path: Path) -> None:
    for rel in (".git/prompts/x.txt", "node_modules/pkg/prompts/x.txt", "env/prompts/x.txt"):
        write(tmp_path, rel)
    write(tmp_path, "env/pyvenv.cfg", "home = /usr\n")
    write(tmp_path, "prompts/real.txt")
    assert list(ids(discover(tmp_path))) == ["prompts/real.txt"]


def test_unusable_files_are_skipped_with_a_reason(tmp_path: Path) -> None:
    write(tmp_path, "prompts/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(tmp_path, "prompts/tool.py", "print('x')\n")
    write(tmp_path, "prompts/bad.txt", b"caf\xe9\n")
    write(tmp_path, "prompts/blob.txt", b"abc\x00def")
    write(tmp_path, "prompts/huge.txt", "x" * 5_000)
    write(tmp_path, "prompts/ok.txt")
    result = discover(tmp_path, limit_bytes=4_000)
    reasons = skipped(result)
    assert reasons["prompts/logo.png"] == "not a prompt format (extension .png)"
    assert reasons["prompts/tool.py"] == "not a prompt format (extension .py)"
    assert reasons["prompts/bad.txt"].startswith("invalid UTF-8 at byte offset 3")
    assert reasons["prompts/blob.txt"].startswith("binary file")
    assert "4,000-byte limit" in reasons["prompts/huge.txt"]
    assert list(ids(result)) == ["prompts/ok.txt"]


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_symlink_loops_and_links_outside_are_skipped(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write(root, "prompts/real.txt")
    outside = write(tmp_path, "secret.txt", "outside\n")
    (root / "prompts/leak.txt").symlink_to(outside)
    (root / "prompts/loop.txt").symlink_to(root / "prompts/loop.txt")
    (root / "prompts/alias.txt").symlink_to(root / "prompts/real.txt")
    (root / "prompts/selfdir").symlink_to(root / "prompts", target_is_directory=True)
    result = discover(root)
    reasons = skipped(result)
    assert "outside the workspace" in reasons["prompts/leak.txt"]
    assert reasons["prompts/loop.txt"] in ("symlink loop", "broken symlink")
    assert sorted(ids(result)) == ["prompts/alias.txt", "prompts/real.txt"]


def test_manifest_globs_and_excludes(tmp_path: Path) -> None:
    write(tmp_path, "llm/a.txt")
    write(tmp_path, "llm/drafts/b.txt")
    write(tmp_path, "prompts/c.txt")
    manifest = parse_manifest('[discovery]\ninclude = ["llm/**"]\nexclude = ["**/drafts/**"]\n')
    assert list(ids(discover(tmp_path, manifest))) == ["llm/a.txt"]


def test_manifest_file_itself_is_not_a_prompt(tmp_path: Path) -> None:
    write(tmp_path, "llm-cost.toml", "[defaults]\n")
    manifest = parse_manifest('[discovery]\ninclude = ["**/*"]\n')
    assert ids(discover(tmp_path, manifest)) == {}


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_a_root_reached_through_a_symlink_keeps_the_callers_paths(tmp_path: Path) -> None:
    real = tmp_path / "real"
    write(real, "prompts/a.txt")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    result = discover(link)
    [prompt] = result.prompts
    assert prompt.absolute_path == link / "prompts/a.txt"  # matches the editor's URIs
    assert result.skipped == ()


def test_gitignore_files_above_the_root_apply_inside_a_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write(repo, ".git/info/exclude", "*.local.txt\n")
    write(repo, ".gitignore", "*.draft.txt\nservice/prompts/generated/\n")
    root = repo / "service"
    write(root, "prompts/main.txt")
    write(root, "prompts/idea.draft.txt")
    write(root, "prompts/mine.local.txt")
    write(root, "prompts/generated/x.txt")
    assert list(ids(discover(root))) == ["prompts/main.txt"]
