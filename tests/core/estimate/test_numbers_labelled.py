"""Numbers look exact only when they are: unsized variables are marked and said once per
variable, template logic is said, an output size above max_tokens is a warning, and a finding
about many files stays one short line."""

from __future__ import annotations

import tomllib
from pathlib import Path

from llmcost_lsp.core.discovery import discover
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.workspace import Workspace


def workspace(root: Path, db: PriceDB, files: dict[str, str]) -> Workspace:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    ws = Workspace(root, db=db, use_persistent_cache=False)
    ws.load()
    return ws


def test_an_unsized_variable_is_one_finding_with_a_hint_that_is_valid_toml(
    tmp_path: Path, small_db: PriceDB
) -> None:
    ws = workspace(
        tmp_path,
        small_db,
        {
            "llm-cost.toml": '[defaults]\nmodel = "gpt-4o"\n',
            "prompts/support/triage.txt": "Hi {{item.id}}. Again {{item.id}} and {{item.id}}.\n"
            "Also {{ query }}.\n",
        },
    )
    result = ws.result("support/triage")
    unsized = [i for i in result.issues if i.code == "unsized-variable"]
    assert [i.message.split("'")[1] for i in unsized] == ["item.id", "query"]  # once each
    assert result.unsized == ("item.id", "query")
    hint = unsized[0].hint or ""
    assert 'under [prompts."support/triage".variables] add "item.id" = 100' in hint
    table, fragment = hint.split("under [", 1)[1].split("] add ", 1)
    parsed = tomllib.loads(f"[{table}]\n{fragment}\n")
    assert parsed == {"prompts": {"support/triage": {"variables": {"item.id": 100}}}}


def test_template_loops_and_conditionals_are_said(tmp_path: Path, small_db: PriceDB) -> None:
    ws = workspace(
        tmp_path,
        small_db,
        {
            "llm-cost.toml": '[defaults]\nmodel = "gpt-4o"\n',
            "prompts/cart.j2": "Items:\n{% for item in cart %}- {{ item.name }}\n{% endfor %}\n",
        },
    )
    (notice,) = [i for i in ws.result("cart").issues if i.code == "template-logic"]
    assert notice.severity == "info" and notice.location.line == 2
    assert "loops run once" in notice.message


def test_output_tokens_above_max_tokens_is_a_warning(tmp_path: Path, small_db: PriceDB) -> None:
    ws = workspace(
        tmp_path,
        small_db,
        {
            "llm-cost.toml": "[prompts.answer]\noutput_tokens = 4_000\n",
            "prompts/answer.prompt.yml": (
                "model: gpt-4o\nmodelParameters:\n  max_tokens: 500\n"
                "messages:\n  - role: user\n    content: Answer.\n"
            ),
        },
    )
    result = ws.result("answer")
    (warning,) = [i for i in result.issues if i.code == "output-above-max-tokens"]
    assert warning.severity == "warning"
    assert str(warning.location) == "llm-cost.toml:2:1"
    assert "output_tokens 4,000 for prompt 'answer' is above max_tokens 500" in warning.message
    within = workspace(
        tmp_path / "ok",
        small_db,
        {
            "llm-cost.toml": "[prompts.answer]\noutput_tokens = 400\n",
            "prompts/answer.prompt.yml": (tmp_path / "prompts/answer.prompt.yml").read_text(),
        },
    )
    assert not [i for i in within.result("answer").issues if i.code == "output-above-max-tokens"]


def test_a_collision_of_many_ids_is_one_short_finding(tmp_path: Path) -> None:
    for index in range(200):
        folder = tmp_path / "agents" / f"agent_{index:03}" / "prompts"
        folder.mkdir(parents=True)
        (folder / "system.md").write_text("You are an agent.\n")
    result = discover(tmp_path)
    (issue,) = [i for i in result.issues if i.code == "id-collision"]
    assert issue.message.endswith("and 197 more")
    assert len(issue.message) < 300


def test_hints_name_tables_as_toml_writes_them(tmp_path: Path, small_db: PriceDB) -> None:
    from datetime import date

    from llmcost_lsp.core.check import check_report

    ws = workspace(
        tmp_path,
        small_db,
        {"prompts/support/triage.txt": "Triage.\n", "llm-cost.toml": "[defaults]\n"},
    )
    (no_model,) = [i for i in ws.result("support/triage").issues if i.code == "no-model"]
    assert '[prompts."support/triage"]' in no_model.message
    (tmp_path / "llm-cost.toml").write_text('[defaults]\nmodel = "gpt-4o"\n')
    ws.load()
    checked = check_report(ws.report(), ws.manifest, date(2026, 11, 24))
    (volume,) = [i for i in checked.issues if i.code == "unknown-volume"]
    assert volume.hint == 'set them in [prompts."support/triage"] or [defaults] of llm-cost.toml'
