"""`llmcost-lsp --check`: the server's findings without an editor, exactly as published."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import codes, wait_for
from lsprotocol import types

from llmcost_lsp.server import check_mode
from llmcost_lsp.server.convert import uri_to_path

SEVERITY = {
    types.DiagnosticSeverity.Error: "error",
    types.DiagnosticSeverity.Warning: "warning",
    types.DiagnosticSeverity.Information: "info",
}


def _messy(ws: Path) -> None:
    """A workspace with findings of many kinds, in the manifest and in prompt files."""
    manifest = ws / "llm-cost.toml"
    text = manifest.read_text()
    text = text.replace('model = "claude-haiku-4-5"', 'model = "claude-haiku-4-55"')
    text = text.replace(
        "calls_per_month = 30_000", "calls_per_month = 30_000\nmax_tokens = 9_000_000"
    )
    manifest.write_text(text)
    triage = ws / "prompts/support/triage.txt"
    triage.write_text(triage.read_text() + "\nMention {{unsized_thing}} too.\n")
    (ws / "prompts/blob.txt").write_bytes(b"\x00binary")


def _shell_json(*command: str, cwd: Path) -> tuple[int, dict[str, Any]]:
    """`--format json` of a shell run as a user would, from the workspace's parent folder."""
    env = {**os.environ, "CI": "true"}
    done = subprocess.run(
        [sys.executable, "-m", *command, "--format", "json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, json.loads(done.stdout)


def _diagnostic_keys(data: dict[str, Any], ws: Path) -> set[tuple[object, ...]]:
    """What an editor shows for a JSON document: every finding where it is written, and a
    finding about a prompt (not info) on the prompt's file too."""
    shown = set()
    for i in data["issues"]:
        message = i["message"] + (f"\nhint: {i['hint']}" if i["hint"] else "")
        shown.add((i["path"], i["line"] or 1, i["column"] or 1, i["severity"], i["code"], message))
        if i["about"] and i["severity"] != "info":
            about = (i["about"]["path"], i["about"]["line"], 1, i["severity"], i["code"], message)
            shown.add(about)
    return shown


@pytest.mark.parametrize("scenario", ["launch", "nope"])
async def test_check_lsp_check_and_the_published_diagnostics_agree(
    client: Any, ws: Path, scenario: str
) -> None:
    """One analysis: `llm-cost check`, `llmcost-lsp --check` and the server's diagnostics show
    the same findings on a messy workspace, in one JSON shape; an unknown scenario is the same
    located finding everywhere."""
    _messy(ws)
    await client.start(ws, scenario=scenario)
    manifest = ws / "llm-cost.toml"
    await wait_for(lambda: "unknown-model" in codes(client, manifest))
    await wait_for(lambda: (ws / "prompts/blob.txt").as_uri() in client.diagnostics)
    published = set()
    for uri, diagnostics in client.diagnostics.items():
        path = uri_to_path(uri)
        assert path is not None
        for d in diagnostics:
            published.add(
                (
                    path.relative_to(ws).as_posix(),
                    d.range.start.line + 1,
                    d.range.start.character + 1,
                    SEVERITY[d.severity],  # type: ignore[index]
                    d.code,
                    d.message,
                )
            )
    name = ws.name
    cli_code, cli = _shell_json("llmcost_lsp.cli.main", "check", name, "-s", scenario,
                                cwd=ws.parent)  # fmt: skip
    lsp_code, lsp = _shell_json("llmcost_lsp", "--check", name, "-s", scenario, cwd=ws.parent)
    assert cli == lsp
    assert cli["schema"] == "llm-cost.check/2"
    assert cli_code == lsp_code == cli["exit_code"] == (1 if scenario == "launch" else 2)
    assert _diagnostic_keys(cli, ws) == published
    found = {i["code"] for i in cli["issues"]}
    assert {"unknown-model", "unsized-variable", "binary"} <= found
    if scenario == "launch":
        assert "budget-exceeded" in found
    else:
        [unknown] = [i for i in cli["issues"] if i["code"] == "unknown-scenario"]
        assert (unknown["path"], unknown["line"]) == ("llm-cost.toml", 63)  # +1: _messy
        assert cli["scenario"] == "baseline"


def test_both_shells_print_the_same_text(ws: Path) -> None:
    _messy(ws)
    runs = [
        subprocess.run(
            [sys.executable, "-m", *command, ws.name, "-s", "launch", "--show-info"],
            cwd=ws.parent,
            env={**os.environ, "CI": "true"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        for command in (("llmcost_lsp.cli.main", "check"), ("llmcost_lsp", "--check"))
    ]
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stdout.startswith(f"{ws.name}/llm-cost.toml:")
    summary = [line for line in runs[0].stderr.splitlines() if " error" in line]
    assert summary == [line for line in runs[1].stderr.splitlines() if " error" in line]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true"}  # a stale bundled DB only warns in CI
    return subprocess.run(
        [sys.executable, "-m", "llmcost_lsp", "--check", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_text_and_github_formats_and_exit_codes(ws: Path) -> None:
    launch = _run(".", "--scenario", "launch", cwd=ws)
    assert launch.returncode == 1, launch.stderr
    first = launch.stdout.splitlines()[0]
    assert first.startswith("llm-cost.toml:32:1: error: budget-exceeded: prompt 'search/answer'")
    assert "(scenario launch)" in launch.stderr
    # a breach is printed once, where it is written (an editor shows it on the prompt too)
    assert "prompts/search/answer.prompt.md:1:1: error: budget-exceeded" not in launch.stdout
    # + 2 deprecated-model warnings: gpt-4o and gpt-4o-mini retire on 2027-01-14 (price DB)
    assert launch.stderr.startswith("2 errors, 4 warnings · ")
    github = _run(".", "--scenario", "launch", "--format", "github", cwd=ws)
    assert github.stdout.startswith(
        "::error file=llm-cost.toml,line=32,col=1,title=llm-cost budget-exceeded::"
    )
    assert _run(".", "--scenario", "nope", cwd=ws).returncode == 2
    manifest = ws / "llm-cost.toml"
    manifest.write_text(manifest.read_text().replace("[defaults]", "[defaults", 1))
    broken = _run(".", cwd=ws)
    assert broken.returncode == 2
    assert "llm-cost.toml:6:" in broken.stdout and "toml-syntax" in broken.stdout


def test_clean_workspace_exits_zero(ws: Path) -> None:
    result = _run(str(ws), cwd=ws.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stderr


def test_a_crash_exits_with_its_own_code_and_one_line(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(check_mode, "findings_for", bug)
    err = io.StringIO()
    code = check_mode.run_check(str(ws), out=io.StringIO(), err=err)
    assert code == 70
    assert err.getvalue().count("\n") == 1
    assert "llmcost-lsp: internal error, a bug in llm-cost: ZeroDivisionError" in err.getvalue()
    verbose = io.StringIO()
    assert check_mode.run_check(str(ws), verbose=True, out=io.StringIO(), err=verbose) == 70
    assert "Traceback" in verbose.getvalue()
