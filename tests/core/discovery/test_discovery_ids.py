from __future__ import annotations

from pathlib import Path

from llmcost_lsp.core.discovery import DiscoveryResult, discover
from llmcost_lsp.core.manifest import parse_manifest
from llmcost_lsp.core.textfile import content_hash


def write(root: Path, rel: str, content: str = "Hello\n") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


def ids(result: DiscoveryResult) -> dict[str, str]:
    return {p.path: p.id for p in result.prompts}


def test_explicit_path_outside_the_globs_is_included_with_its_key_as_id(tmp_path: Path) -> None:
    write(tmp_path, "src/llm/search.txt")
    write(tmp_path, "prompts/other.txt")
    manifest = parse_manifest('[prompts.main-search]\npath = "./src/llm/search.txt"\n')
    result = discover(tmp_path, manifest)
    assert ids(result) == {"prompts/other.txt": "other", "src/llm/search.txt": "main-search"}
    assert result.by_id()["main-search"].explicit_id


def test_missing_path_is_a_located_error(tmp_path: Path) -> None:
    text = "[defaults]\nmodel = 'gpt-4o'\n\n[prompts.search]\npath = 'prompts/search.txt'\n"
    result = discover(tmp_path, parse_manifest(text))
    [issue] = result.issues
    assert (issue.code, issue.severity) == ("missing-path", "error")
    assert str(issue.location) == "llm-cost.toml:5:1"
    assert "'prompts/search.txt' does not exist" in issue.message


def test_path_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "secret.txt")
    root = tmp_path / "ws"
    root.mkdir()
    result = discover(root, parse_manifest("[prompts.x]\npath = '../secret.txt'\n"))
    assert [i.code for i in result.issues] == ["outside-workspace"]
    assert result.prompts == ()


def test_two_ids_for_one_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "prompts/search.txt")
    text = "[prompts.a]\npath = 'prompts/search.txt'\n\n[prompts.b]\npath = 'prompts/search.txt'\n"
    result = discover(tmp_path, parse_manifest(text))
    [issue] = result.issues
    assert issue.code == "duplicate-id"
    assert issue.location.line == 4
    assert ids(result) == {"prompts/search.txt": "a"}


def test_entry_without_path_binds_to_the_discovered_prompt_of_that_id(tmp_path: Path) -> None:
    write(tmp_path, "prompts/search.txt")
    result = discover(tmp_path, parse_manifest("[prompts.search]\ncalls_per_month = 5\n"))
    assert result.by_id()["search"].explicit_id
    lonely = discover(tmp_path, parse_manifest("[prompts.nothing]\ncalls_per_month = 5\n"))
    [issue] = lonely.issues
    assert issue.code == "unmatched-entry" and issue.location.line == 1


def test_collisions_get_the_shortest_unique_parent_path_and_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "src/prompts/search.txt")
    write(tmp_path, "lib/prompts/search.txt")
    write(tmp_path, "prompts/triage.txt")
    write(tmp_path, "prompts/triage.md")
    manifest = parse_manifest('[discovery]\ninclude = ["**/prompts/**"]\n')
    result = discover(tmp_path, manifest)
    assert ids(result) == {
        "lib/prompts/search.txt": "lib/prompts/search",
        "src/prompts/search.txt": "src/prompts/search",
        "prompts/triage.md": "prompts/triage.md",
        "prompts/triage.txt": "prompts/triage.txt",
    }
    assert sorted(i.code for i in result.issues) == ["id-collision", "id-collision"]
    assert all(i.severity == "warning" for i in result.issues)


def test_explicit_id_wins_over_a_heuristic_one(tmp_path: Path) -> None:
    write(tmp_path, "prompts/search.txt")
    write(tmp_path, "legacy/search_v1.txt")
    manifest = parse_manifest("[prompts.search]\npath = 'legacy/search_v1.txt'\n")
    result = discover(tmp_path, manifest)
    assert ids(result) == {
        "legacy/search_v1.txt": "search",
        "prompts/search.txt": "prompts/search",
    }
    assert [i.code for i in result.issues] == ["id-collision"]


def test_content_hash_is_of_lf_text_and_separate_from_the_id(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts/a.txt").write_bytes(b"one\r\ntwo\r\n")
    (tmp_path / "prompts/b.txt").write_bytes(b"one\ntwo\n")
    result = discover(tmp_path)
    a, b = result.prompts
    assert a.id != b.id
    assert a.content_hash == b.content_hash == content_hash("one\ntwo\n")
    assert a.text == "one\ntwo\n"
