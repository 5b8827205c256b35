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
    # nothing has a monthly cost yet: the total is unknown, not $0.00
    assert "Total: ?/month for 2 prompts (scenario baseline); 2 without a monthly cost" in out
    assert "skipped data/patterns/summarize/README.md: documentation, not a prompt" in out
    assert out.splitlines()[-1] == (
        # the prompt that names no model is priced as the assumed default, said in its row
        "2 prompts found: 0 estimated, 2 need volumes, 1 with unsized variables; "
        "1 file skipped (--show-skipped)"
    )


def test_check_folds_repeats_and_all_lists_every_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A kind of warning repeated, and the same error on many prompts (7 × unknown model
    'gpt-9-nope'), are shown 3 times and once with the count; --all lists each."""
    for index in range(10):
        folder = tmp_path / "data" / "patterns" / f"p{index}"
        folder.mkdir(parents=True)
        (folder / "system.md").write_text("You are a helper.\n")
    for index in range(7):
        (tmp_path / "prompts").mkdir(exist_ok=True)
        (tmp_path / "prompts" / f"q{index}.prompt.yml").write_text(
            "model: gpt-9-nope\nmessages:\n  - role: user\n    content: Hi.\n"
        )
    assert main(["check", str(tmp_path)]) == 1  # the unknown models are errors
    out = capsys.readouterr().out
    assert out.count(": warning: no-model:") == 3
    assert "… and 7 more no-model warnings like these (--format json lists every one)" in out
    assert out.count(": error: unknown-model:") == 3
    assert "… and 4 more errors like these: unknown-model: unknown model 'gpt-9-nope'" in out
    main(["check", str(tmp_path), "--all"])
    assert capsys.readouterr().out.count(": error: unknown-model:") == 7
    main(["check", str(tmp_path), "-f", "json"])
    import json

    data = json.loads(capsys.readouterr().out)
    assert sum(i["code"] == "no-model" for i in data["issues"]) == 10
