"""Repository content cannot break or inject into our outputs (reliability probe 2.8, 4.2, 6.6;
issue 21 item 3): FOCUS CSV records, GitHub workflow commands, the PR comment's Markdown, and
JSON for file names that are not UTF-8."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "diff"))
from diff_gitrepo import GitRepoBuilder

from llmcost_lsp.cli.main import main
from llmcost_lsp.present import markdown_code, markdown_text

PRICE_DATE = "2026-11-23"
INJECTION = "inj\n::error file=evil.py,line=1::INJECTED ANNOTATION\n.txt"
HEADING = "n`\n\n### Injected heading @octocat [link](https://evil.example)\n\n`.txt"
SHADY_ID = (
    "x` @octocat @acme/everyone [Approve here](https://evil.example/login) "
    "![](https://evil.example/pixel.png) `y"
)
pytestmark = pytest.mark.skipif(os.name == "nt", reason="these file names are POSIX-only")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args, "--price-date", PRICE_DATE])
    out, err = capsys.readouterr()
    return code, out, err


def _workspace(root: Path, names: list[str], manifest: str = "") -> Path:
    (root / "prompts").mkdir(parents=True)
    for name in names:
        (root / "prompts" / name).write_text("Answer the question about {topic}.\n")
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1_000\noutput_tokens = 100\n' + manifest
    )
    return root


def test_a_carriage_return_in_a_name_or_id_cannot_split_a_focus_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Probe 4.2: `prompts/\\r=2.txt` split the record and started a new one with `=…` in
    column A, while --validate said the file conforms (an id with a CR is refused: below)."""
    ws = _workspace(tmp_path / "ws", ["\r=2.txt", "plain.txt", 'q"uote,\r.txt'])
    out = tmp_path / "e.csv"
    code, _, err = _run(capsys, "export", "focus", str(ws), "--period", "2026-11", "--validate",
                        "-o", str(out))  # fmt: skip
    assert code == 0 and "conforms to FOCUS 1.2" in err
    records = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8"), newline="")))
    assert len({len(r) for r in records}) == 1, "every record has the header's width"
    assert len(records) == 1 + 2 * 3  # an input and an output row per prompt
    assert not any(r[0].startswith(("=", "+", "-", "@")) for r in records)
    cells = {cell for r in records for cell in r}
    assert {"prompts/\r=2.txt", 'prompts/q"uote,\r.txt'} <= cells


@pytest.mark.parametrize("command", ["estimate", "check", "export"])
def test_a_control_character_in_a_manifest_id_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """Probe 3.11b: `[prompts."ok\\r=1+1"]` was accepted and fed the CR into every output."""
    ws = _workspace(
        tmp_path / "ws", ["plain.txt"], '\n[prompts."ok\\r=1+1"]\npath = "prompts/plain.txt"\n'
    )
    args = ["export", "focus", str(ws), "--period", "2026-11"] if command == "export" else [
        command, str(ws)]  # fmt: skip
    code, out, err = _run(capsys, *args)
    assert code == 2
    assert (
        "llm-cost.toml:6:1: error: schema: prompts prompt id 'ok\\r=1+1' must not contain "
        "control characters" in out + err
    )
    assert "\r" not in out + err  # shown escaped, as every output shows it


def test_a_source_file_with_a_control_character_in_its_name_is_skipped_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A call's id is `path::function`: the file name would carry the CR into every output."""
    ws = _workspace(tmp_path / "ws", ["plain.txt"])
    call = 'import openai\nopenai.chat.completions.create(model="gpt-4o", messages=[{"role": ' \
        '"user", "content": "Hi"}])\n'  # fmt: skip
    (ws / "app\r=1.py").write_text(call)
    (ws / "app.py").write_text(call)
    code, out, _ = _run(capsys, "estimate", str(ws), "--format", "json", "--show-skipped")
    data = json.loads(out)
    assert code == 0
    assert {p["id"] for p in data["prompts"]} == {"app.py::<module>", "plain"}
    assert {"path": "app\r=1.py", "reason": "the file name has control characters: calls not "
            "read (rename the file)"} in [{k: s[k] for k in ("path", "reason")}
                                          for s in data["skipped"]]  # fmt: skip


def test_validate_reads_back_the_bytes_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that splits a record is caught by --validate, which parses what was written."""
    from llmcost_lsp.core.focus import export as export_module

    ws = _workspace(tmp_path / "ws", ["\r=2.txt"])
    monkeypatch.setattr(export_module, "_quoted_row", lambda cells: ",".join(cells) + "\n")
    code, _, err = _run(capsys, "export", "focus", str(ws), "--period", "2026-11", "--validate")
    assert code == 1 and "reads back as 4 records, not the 2 rows written" in err


def _github_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


@pytest.mark.parametrize("entry", ["cli", "lsp"])
def test_a_newline_in_a_file_name_cannot_inject_workflow_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str
) -> None:
    """Probe 2.8: `check --format github` (what action.yml runs) printed the file name's
    `::error file=evil.py,line=1::INJECTED ANNOTATION` as a command of its own."""
    ws = _workspace(tmp_path / "ws", [INJECTION, "a,b:c.txt"])
    if entry == "cli":
        _, out, err = _run(capsys, "check", str(ws), "--format", "github")
    else:
        done = subprocess.run(
            [sys.executable, "-m", "llmcost_lsp", "--check", str(ws), "--format", "github"],
            capture_output=True, text=True, timeout=120, env={**os.environ, "CI": "true"},
        )  # fmt: skip
        out, err = done.stdout, done.stderr
    lines = _github_lines(out) + [line for line in _github_lines(err) if line.startswith("::")]
    assert lines and all(line.startswith(("::error ", "::warning ", "::notice")) for line in lines)
    assert not any(line.startswith("::error file=evil.py") for line in lines)
    files = [line.split("file=", 1)[1].split(",line=", 1)[0] for line in lines if "file=" in line]
    escaped = "prompts/inj%0A%3A%3Aerror file=evil.py%2Cline=1%3A%3AINJECTED ANNOTATION%0A.txt"
    assert any(f.endswith(escaped) for f in files)
    assert any(f.endswith("prompts/a%2Cb%3Ac.txt") for f in files)


def test_skipped_file_names_cannot_inject_workflow_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check --format github --show-skipped` lists skipped files as ::notice:: lines."""
    ws = _workspace(tmp_path / "ws", ["ok.txt"])
    (ws / "prompts" / INJECTION.replace(".txt", ".bin")).write_bytes(b"\x00")
    _, out, err = _run(capsys, "check", str(ws), "--format", "github", "--show-skipped")
    lines = [line for line in (out + err).splitlines() if line]
    assert not any(line.startswith("::error file=evil.py") for line in lines)
    assert any("inj%0A%3A%3Aerror" in line or "inj%0A::error" in line for line in lines)


def _rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def test_the_pr_comment_renders_file_names_and_ids_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Probe 6.6: a file name made a heading, a mention and a link; a manifest id made
    @mentions, a phishing link and a tracking image in the bot's sticky comment."""
    repo = GitRepoBuilder(tmp_path / "repo")
    repo.commit({"llm-cost.toml": '[defaults]\nmodel = "gpt-4o"\n', "prompts/a.txt": "Hi.\n"})
    manifest = (
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1_000\noutput_tokens = 100\n\n'
        f'[prompts.{json.dumps(SHADY_ID)}]\npath = "prompts/a.txt"\n'
        'budget_monthly_usd = "0.0001"\n'
    )
    repo.write({"llm-cost.toml": manifest, f"prompts/{HEADING}": "Hello {name}.\n"})
    code, out, _ = _run(capsys, "diff", str(repo.root), "--base", "HEAD", "-f", "markdown")
    assert code == 0
    assert "@octocat" in out.replace("@&#8203;", "@") or "`` x`" in out  # the text is there
    html = _rendered(out)
    assert html.count("<h3>") == 1  # our headline only
    assert "<h4>" in html and "<a " not in html and "<img" not in html
    text_outside_code = html
    while "<code>" in text_outside_code:
        before, _, rest = text_outside_code.partition("<code>")
        text_outside_code = before + rest.partition("</code>")[2]
    assert "@octocat" not in text_outside_code and "@acme" not in text_outside_code
    assert "https://evil" not in text_outside_code


@pytest.mark.parametrize(
    "text",
    ["a`b", "``", "`x` @me [l](https://e.x) ![](i.png) # h", "| cell |", "<b>&amp;</b>", "*_~"],
)
def test_markdown_helpers_render_the_text_itself(text: str) -> None:
    code = _rendered(markdown_code(text))
    assert code.startswith("<p><code>") and "<a " not in code
    plain = _rendered(markdown_text(text))
    assert "<a " not in plain and "<img" not in plain and "<em>" not in plain
    assert "<code>" not in plain and "<b>" not in plain


def test_json_output_stays_valid_utf8_for_file_names_that_are_not(tmp_path: Path) -> None:
    """Probe 2.8: a file named with byte 0xFF put that raw byte into `--format json`."""
    ws = _workspace(tmp_path / "ws", ["ok.txt"])
    (ws / "prompts").joinpath(os.fsdecode(b"bad\xff.txt")).write_text("Hi.\n")
    for command in ("estimate", "check"):
        done = subprocess.run(
            [sys.executable, "-m", "llmcost_lsp.cli.main", command, str(ws), "-f", "json"],
            capture_output=True, timeout=120,
        )  # fmt: skip
        data = json.loads(done.stdout.decode("utf-8"))  # strict UTF-8
        assert data
    text = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", "estimate", str(ws)],
        capture_output=True, timeout=120,
    ).stdout  # fmt: skip
    text.decode("utf-8")
    assert b"\x1b" not in text
