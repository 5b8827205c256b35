"""Nothing hangs or eats the machine (reliability probe 2.4, 2.9, 5.9, 5.10; issue 21 item 2).

FIFOs, devices and pathological globs come from the repository a pull request controls. Every
read refuses what is not a regular file before reading, and globs match without backtracking.
Each test carries a timeout: a regression is a hang, reported as a failure instead of eating CI.
"""

from __future__ import annotations

import os
from pathlib import Path

import pathspec
import pytest

from llmcost_lsp.cli.main import main
from llmcost_lsp.core.discovery import _collapse_stars, compile_globs, discover
from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.init import plan_init
from llmcost_lsp.core.workspace import Workspace

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX"),
]
LONG_NAME = "a" * 30 + ".txt"


def _prompts(root: Path) -> None:
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "ok.txt").write_text("Say hello.\n")
    (root / "prompts" / LONG_NAME).write_text("Say hello again.\n")


@pytest.mark.parametrize("stars", [12, 50, 5_000])
def test_a_gitignore_line_of_stars_does_not_hang_discovery(tmp_path: Path, stars: int) -> None:
    """Probe 2.9b: `************b` in .gitignore ran past 60 s per 30-character name."""
    _prompts(tmp_path)
    (tmp_path / ".gitignore").write_text("*" * stars + "b\n" + "*" * stars + "ok.txt\n")
    found = [p.path for p in discover(tmp_path).prompts]
    assert found == [f"prompts/{LONG_NAME}"]  # ok.txt is ignored, as git would


def test_a_discovery_exclude_glob_of_stars_does_not_hang(tmp_path: Path) -> None:
    _prompts(tmp_path)
    (tmp_path / "llm-cost.toml").write_text('[discovery]\nexclude = ["************b"]\n')
    workspace = Workspace(tmp_path, use_persistent_cache=False)
    workspace.load()
    assert [p.path for p in workspace.prompts] == [f"prompts/{LONG_NAME}", "prompts/ok.txt"]


def test_globs_match_through_re2_when_it_is_installed() -> None:
    """google-re2 is a dependency: pathspec then matches in linear time for any pattern,
    also the `a*a*a*…b` kind that collapsing stars does not help (probe 2.9c)."""
    pytest.importorskip("re2")
    spec = compile_globs(["a*" * 40 + "b"])
    assert type(spec._backend).__name__.startswith("Re2")
    assert not spec.match_file("a" * 60)
    assert spec.match_file("a" * 60 + "b")


@pytest.mark.parametrize(
    ("pattern", "collapsed"),
    [
        ("************b", "*b"),
        ("a**b", "a*b"),
        ("**/x", "**/x"),
        ("docs/**", "docs/**"),
        ("a/**/b", "a/**/b"),
        ("a/***/b", "a/*/b"),
        ("\\*\\*b", "\\*\\*b"),
        ("plain.txt", "plain.txt"),
    ],
)
def test_collapsed_stars_mean_what_git_means(pattern: str, collapsed: str) -> None:
    assert _collapse_stars(pattern) == collapsed
    names = ["xb", "a/b", "a/c/b", "docs/x", "x", "plain.txt", "**b", "ab", "a/q/r/b"]
    for name in names:
        original = pathspec.GitIgnoreSpec.from_lines([pattern], backend="simple")
        assert compile_globs([pattern]).match_file(name) == original.match_file(name), name


def test_fifos_are_skipped_with_a_reason_never_read(tmp_path: Path) -> None:
    """Probe 2.4, 2.4b: a FIFO named like a prompt, and a symlink to it inside the workspace
    (which hung estimate, init and the language server's only worker)."""
    _prompts(tmp_path)
    os.mkfifo(tmp_path / "prompts" / "x.txt")
    (tmp_path / "prompts" / "y.txt").symlink_to("x.txt")
    result = discover(tmp_path)
    reasons = {s.path: (s.code, s.reason) for s in result.skipped}
    assert reasons["prompts/x.txt"][0] == "not-a-file"
    assert reasons["prompts/y.txt"] == reasons["prompts/x.txt"]
    assert "not a regular file" in reasons["prompts/x.txt"][1]


def test_a_fifo_sample_is_a_located_error(tmp_path: Path) -> None:
    """Probe 2.4c: `variables = { x = { sample = "fifo" } }` hung estimate."""
    _prompts(tmp_path)
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o"\n\n[prompts.ok]\npath = "prompts/ok.txt"\n'
        'variables = { x = { sample = "fifo" } }\n'
    )
    workspace = Workspace(tmp_path, use_persistent_cache=False)
    workspace.load()
    issues = {i.code: i for i in workspace.result("ok").issues}
    assert "not a regular file" in issues["bad-sample"].message
    assert issues["bad-sample"].location.line == 6


def test_a_fifo_manifest_is_an_error_not_a_hang_nor_no_manifest(tmp_path: Path) -> None:
    """Probe 2.4d: `init` hung on a FIFO manifest; `estimate` took it for no manifest."""
    _prompts(tmp_path)
    os.mkfifo(tmp_path / "llm-cost.toml")
    with pytest.raises(InputError, match="not a regular file"):
        plan_init(tmp_path)
    workspace = Workspace(tmp_path, use_persistent_cache=False)
    workspace.load()
    assert [i.code for i in workspace.manifest_issues] == ["not-a-file"]


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
@pytest.mark.parametrize("which", ["db", "sig"])
def test_pricing_verify_refuses_devices_and_fifos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, which: str
) -> None:
    """Probe 5.9/5.10: `pricing verify` on a symlink to /dev/zero grew to 24 GB (kernel OOM
    killer); a FIFO as the DB or its .minisig hung verify and update."""
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
        target = str(tmp_path / "fifo")
    db, sig = tmp_path / "zero.json", tmp_path / "zero.json.minisig"
    db.write_text("{}")
    sig.write_text("untrusted comment: x\n")
    link = db if which == "db" else sig
    link.unlink()
    link.symlink_to(target)
    code = main(["pricing", "verify", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and "not a regular file" in err
    code = main(["pricing", "update", "--from", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and "not a regular file" in err


def test_pricing_verify_has_the_update_size_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Probe 5.8: `update` capped at 5 MiB but `verify` read any size."""
    db = tmp_path / "big.json"
    db.write_bytes(b" " * (5 * 1024 * 1024 + 1))
    (tmp_path / "big.json.minisig").write_text("x\n")
    assert main(["pricing", "verify", str(db)]) == 2
    assert "5242880-byte limit" in capsys.readouterr().err
