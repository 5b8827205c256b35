"""The CLI's manners, as ruff and uv have them: colour only on a terminal (NO_COLOR, FORCE_COLOR),
-q, a progress line on stderr, a capped table with --all, the same finding on many prompts said
once with a count, -o FILE, one --format vocabulary, shell completion."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main

REPO = Path(__file__).resolve().parents[2]
ESC = "\x1b["
COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # a colour (SGR) sequence; the progress line's erase is not


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    return done.stdout, done.stderr


def _on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """Everything the command writes to a pseudo-terminal (stdout and stderr together)."""
    command = [sys.executable, "-m", "llmcost_lsp.cli.main", *args]
    leader, follower = pty.openpty()
    done = subprocess.Popen(command, stdout=follower, stderr=follower, cwd=REPO,
                            env={**os.environ, "TERM": "xterm", **env})  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    done.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_on_a_terminal_none_with_no_color_or_a_pipe() -> None:
    args = ("check", "examples", "-s", "launch")
    assert f"{ESC}1;31merror{ESC}0m" in _on_a_terminal(*args, env={})
    assert not COLOUR.search(_on_a_terminal(*args, env={"NO_COLOR": "1"}))
    piped, _ = _cli(*args)
    assert ESC not in piped and ": error: budget-exceeded" in piped
    forced, _ = _cli(*args, env={"FORCE_COLOR": "1"})
    assert f"{ESC}1;31merror{ESC}0m" in forced
    json_out, _ = _cli(*args, "-f", "json", env={"FORCE_COLOR": "1"})
    assert ESC not in json_out  # what programs read is never coloured


def test_quiet_prints_the_report_and_nothing_else() -> None:
    out, err = _cli("check", "examples", "-s", "launch", "-q", "--allow-stale")
    assert out.startswith("examples/llm-cost.toml:32:1: error: budget-exceeded")
    assert err == ""
    out, err = _cli("estimate", "examples", "-q", "--allow-stale")
    assert "Total: $" in out and "prompts found" not in out and err == ""


@pytest.fixture
def many(tmp_path: Path) -> Path:
    """60 prompts, 55 of them on the same model the price DB does not know."""
    root = tmp_path / "many"
    (root / "prompts").mkdir(parents=True)
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1000\noutput_tokens = 10\n'
    )
    for index in range(60):
        model = "gpt-4o" if index < 5 else "gpt-44-turbo"
        text = f"---\nmodel: {model}\n---\nPrompt {index}: " + "word " * index + "\n"
        (root / "prompts" / f"p{index:02}.prompt.md").write_text(text)
    return root


def test_repeated_problems_are_said_once_with_a_count_and_all_lists_them(
    many: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["estimate", str(many), "--allow-stale"]) == 0
    out, err = capsys.readouterr()
    assert err.count("unknown model 'gpt-44-turbo'") == 4  # 3 located, 1 with the count
    assert "… and 52 more errors like these: unknown-model: unknown model 'gpt-44-turbo'" in err
    # the table: the 50 most expensive, then one line for the rest, then the total
    assert "… and 10 more prompts: ?/month together" in out
    assert out.index("p04") < out.index("p00")  # most expensive first when capped
    main(["estimate", str(many), "--all", "--allow-stale"])
    out, err = capsys.readouterr()
    assert err.count("unknown model 'gpt-44-turbo'") == 55 and "more prompts" not in out
    main(["check", str(many), "--allow-stale"])
    out, _ = capsys.readouterr()
    assert out.count("unknown-model") == 4
    main(["check", str(many), "--allow-stale", "--all"])
    assert capsys.readouterr().out.count("unknown-model") == 55


def test_progress_is_drawn_on_a_terminal_only(many: Path) -> None:
    shown = _on_a_terminal("estimate", str(many), "--allow-stale", env={})
    assert "\r\x1b[2Kllm-cost: estimated 60/60 prompts" in shown
    assert "llm-cost: estimated" not in _on_a_terminal("estimate", str(many), "-q", env={})
    _, err = _cli("estimate", str(many), "--allow-stale")
    assert "\r" not in err  # a pipe or a CI log gets no redraws


@pytest.mark.parametrize("command", ["estimate", "check", "diff"])
def test_o_writes_the_report_to_a_file(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.json"
    extra = ["--base", "HEAD"] if command == "diff" else []
    code = main([command, str(REPO / "examples"), *extra, "-f", "json", "-o", str(target)])
    assert code in (0, 1)
    assert capsys.readouterr().out == ""
    assert target.read_text().startswith('{\n  "schema": "llm-cost.')


def test_one_format_vocabulary_with_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("estimate", "check", "diff"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "text: for people" in text and "json: for programs" in text
    # `table` (the old name) still works and means text
    assert main(["estimate", str(REPO / "examples"), "-f", "table", "-q", "--allow-stale"]) == 0
    assert "PER MONTH" in capsys.readouterr().out


def test_bash_completion_completes_commands_options_and_values(tmp_path: Path) -> None:
    script, _ = _cli("completion", "bash")
    (tmp_path / "c.bash").write_text(script)

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{w}'" for w in words)
        probe = (f"source {tmp_path}/c.bash; COMP_WORDS=({line}); "
                 f"COMP_CWORD={len(words) - 1}; _llm_cost; echo \"${{COMPREPLY[@]}}\"")  # fmt: skip
        done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
        return done.stdout.split()

    assert complete("llm-cost", "es") == ["estimate"]
    assert complete("llm-cost", "check", "--format", "") == ["text", "json", "github"]
    assert "rollback" in complete("llm-cost", "pricing", "")
    assert complete("llm-cost", "completion", "f") == ["fish"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_load(shell: str, tmp_path: Path) -> None:
    if shutil.which(shell) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{shell} is not installed (.ci/run installs it)")
        pytest.skip(f"{shell} is not installed")
    script, _ = _cli("completion", shell)
    path = tmp_path / f"c.{shell}"
    path.write_text(script)
    if shell == "zsh":
        probe = f"source {path} && print -r -- ${{_comps[llm-cost]}}"
        done = subprocess.run(["zsh", "-fc", probe], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "_llm_cost" in done.stdout
    else:
        probe = f"source {path}; complete -C'llm-cost es'"
        done = subprocess.run(["fish", "-c", probe], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("estimate")


def test_prompts_without_a_volume_are_named_ten_at_a_time(
    many: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (many / "llm-cost.toml").write_text('[defaults]\nmodel = "gpt-4o"\n')  # no volume at all
    for path in (many / "prompts").iterdir():
        path.write_text(path.read_text().replace("gpt-44-turbo", "gpt-4o"))
    main(["estimate", str(many), "--allow-stale"])
    out = capsys.readouterr().out
    assert out.count(": calls_per_month and output_tokens unknown") == 10
    assert "? … and 50 more prompts without a volume (--all lists every one)" in out
    main(["estimate", str(many), "--allow-stale", "--all"])
    assert capsys.readouterr().out.count(": calls_per_month and output_tokens unknown") == 60
