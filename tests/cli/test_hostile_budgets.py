"""A prompt never silently leaves a budget (reliability probe 2.5, 2.7, 6.3; issue 21 item 1).

A committed prompt over budget fails `check`; one `0xFF` byte, a NUL, a UTF-16 save, a file over
the size limit or a FIFO in its place used to make `check` pass and `diff` call it "removed" with
its budget errors "resolved". Now the prompt the manifest names stays a prompt that cannot be
estimated: an error in `check`, an `unreadable` line in `diff` that fails any --fail-on-increase.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "diff"))
from diff_gitrepo import GitRepoBuilder

from llmcost_lsp.cli.main import main

PRICE_DATE = "2026-11-23"
EXPENSIVE = "Summarise the ticket below for the support lead.\n" + "word " * 150_000 + "\n"
MANIFEST = """\
[defaults]
model = "gpt-4o"
calls_per_month = 1_000
output_tokens = 100

[budgets]
monthly_usd = "50"

[prompts.expensive]
{path}budget_monthly_usd = "1"

[prompts.small]
path = "prompts/small.txt"
"""


def _utf16(path: Path) -> None:
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


BREAKS: dict[str, Callable[[Path], None]] = {
    "one 0xFF byte appended": lambda p: p.write_bytes(p.read_bytes() + b"\xff"),
    "one NUL prepended": lambda p: p.write_bytes(b"\x00" + p.read_bytes()),
    "saved as UTF-16": _utf16,
    "over 2,000,000 bytes": lambda p: p.write_bytes(p.read_bytes() + b"x" * 2_000_000),
    "a FIFO": _fifo,
}
CODES = {
    "one 0xFF byte appended": "invalid UTF-8",
    "one NUL prepended": "binary file",
    "saved as UTF-16": "UTF-16",
    "over 2,000,000 bytes": "2,000,000-byte limit",
    "a FIFO": "not a regular file",
}


def _repo(tmp_path: Path, *, named_by_path: bool) -> GitRepoBuilder:
    repo = GitRepoBuilder(tmp_path / "repo")
    path = 'path = "prompts/expensive.txt"\n' if named_by_path else ""
    repo.commit(
        {
            "llm-cost.toml": MANIFEST.format(path=path),
            "prompts/expensive.txt": EXPENSIVE,
            "prompts/small.txt": "Say hello.\n",
        }
    )
    return repo


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args, "--price-date", PRICE_DATE])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("named_by_path", [True, False], ids=["path", "heuristic-id"])
@pytest.mark.parametrize("how", list(BREAKS))
def test_a_named_prompt_that_stops_reading_fails_check_and_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str, named_by_path: bool
) -> None:
    repo = _repo(tmp_path, named_by_path=named_by_path)
    root = str(repo.root)
    code, out, _ = _run(capsys, "check", root, "-f", "json")
    assert code == 1
    before = {i["code"] for i in json.loads(out)["issues"] if i["severity"] == "error"}
    assert {"budget-exceeded", "workspace-budget-exceeded"} <= before

    BREAKS[how](repo.root / "prompts" / "expensive.txt")

    code, out, _ = _run(capsys, "check", root, "-f", "json")
    errors = [i for i in json.loads(out)["issues"] if i["severity"] == "error"]
    unreadable = [i for i in errors if i["code"] == "unreadable-prompt"]
    assert code == 1, "a one-change pull request must not pass the gate"
    assert len(unreadable) == 1
    assert unreadable[0]["path"].endswith("prompts/expensive.txt")
    assert "'expensive' cannot be estimated" in unreadable[0]["message"]
    assert CODES[how] in unreadable[0]["message"]

    code, out, err = _run(capsys, "diff", root, "--base", "HEAD", "-f", "json",
                          "--fail-on-increase", "10%")  # fmt: skip
    data = json.loads(out)
    assert code == 1 and "cannot be read in the head (expensive)" in err
    rows = {p["id"]: p for p in data["prompts"]}
    assert rows["expensive"]["changes"] == ["unreadable"]
    assert rows["expensive"]["delta"]["monthly_usd"] is None
    assert data["resolved_issues"] == [], "an unknown cost resolves no budget"
    assert "unreadable-prompt" in {i["code"] for i in data["new_issues"]}
    assert data["fail_on_increase"]["exceeded"] is True

    code, out, _ = _run(capsys, "estimate", root, "-f", "json")
    listed = {p["id"]: p for p in json.loads(out)["prompts"]}
    assert listed["expensive"]["estimate"] is None
    assert [i["code"] for i in listed["expensive"]["issues"]] == ["unreadable-prompt"]


def test_an_unnamed_prompt_that_stops_reading_is_unreadable_in_diff_not_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Zero-config: the file is skipped with its reason, and diff never says it left."""
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit({"prompts/a.txt": EXPENSIVE, "prompts/b.txt": "Say hello.\n"})
    BREAKS["one 0xFF byte appended"](repo.root / "prompts" / "a.txt")
    code, out, _ = _run(capsys, "diff", str(repo.root), "--base", "HEAD", "-f", "markdown",
                          "--fail-on-increase", "10%")  # fmt: skip
    assert code == 1
    assert "| `a` | cannot be read in the head |" in out and "removed" not in out
    assert "**Over the limit:** 1 prompt cannot be read in the head (a)" in out


def test_the_editor_applies_the_same_size_limit(tmp_path: Path) -> None:
    """Probe 1.18: the editor estimated a 20 MB buffer the CLI skips; an editor buffer over the
    limit is now not estimated, with the CLI's reason."""
    from llmcost_lsp.core.workspace import Workspace

    (tmp_path / "prompts").mkdir()
    small = tmp_path / "prompts" / "a.txt"
    small.write_text("Say hello.\n")
    workspace = Workspace(tmp_path, use_persistent_cache=False)
    workspace.load()
    workspace.apply_change(small, "x " * 1_000_001)
    result = workspace.result("a")
    assert result.estimate is None
    assert [i.code for i in result.issues] == ["too-large"]
    assert "2,000,000-byte limit" in result.issues[0].message
