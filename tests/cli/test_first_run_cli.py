"""A first run on a repository nobody configured: the table marks what is not exact, the notes
say why, and the last line says what was found and what was not."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main


def test_zero_config_table_marks_unsized_inputs_and_template_logic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "src/agent/chat.prompty": (
            "---\nmodel:\n  api: chat\n  configuration:\n    type: openai\n"
            "    name: gpt-4o-mini\n---\nsystem:\nYou help {{customer}}.\n"
            "{% for item in cart %}- {{item.name}}\n{% endfor %}\nuser:\n{{question}}\n"
        ),
        "data/patterns/summarize/system.md": "# IDENTITY and PURPOSE\nYou summarize.\n",
        "data/patterns/summarize/README.md": "How to use this pattern.\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert main(["estimate", str(tmp_path), "--show-skipped"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("chat "))
    assert "+?" in row  # the input is more than shown
    assert "+? 1 prompt with template variables without a size (customer, item.name, question)" in (
        out
    )
    assert "1 prompt with template loops or conditionals" in out
    assert "skipped data/patterns/summarize/README.md: documentation, not a prompt" in out
    assert out.splitlines()[-1] == (
        "2 prompts found: 0 estimated, 1 need volumes, 1 need a model, 1 with unsized variables; "
        "1 file skipped (--show-skipped)"
    )
