from __future__ import annotations

import os
import stat
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.core.errors import ManifestError
from llmcost_lsp.core.manifest.edit import PromptStub, add_prompts, set_value, write_atomic

COMMENTED = """\
# Acme prompts — owned by #ml-platform
[defaults]
model = "gpt-4o-mini"   # cheapest that passes evals
calls_per_month = 10_000

[prompts.search]        # the main search answer
path = "prompts/search.txt"
output_tokens = 180     # p50 from logs, 2026-10

# Launch week assumptions
[scenarios.launch]
calls_multiplier = "3"  # marketing's estimate
"""

EXPECTED = """\
# Acme prompts — owned by #ml-platform
[defaults]
model = "gpt-4o-mini"   # cheapest that passes evals
calls_per_month = 10_000

[prompts.search]        # the main search answer
path = "prompts/search.txt"
output_tokens = 180     # p50 from logs, 2026-10

[prompts."support/triage"]
path = "prompts/support/triage.txt"

[prompts.classify]
path = "prompts/classify.prompt"

# Launch week assumptions
[scenarios.launch]
calls_multiplier = "3"  # marketing's estimate
"""


def test_add_prompts_golden_keeps_every_comment_and_byte() -> None:
    stubs = [
        PromptStub("search", "prompts/search.txt"),  # already there: untouched
        PromptStub("support/triage", "prompts/support/triage.txt"),
        PromptStub("classify", "prompts/classify.prompt"),
    ]
    assert add_prompts(COMMENTED, stubs) == EXPECTED


def test_add_prompts_is_a_no_op_when_nothing_is_missing() -> None:
    assert add_prompts(COMMENTED, [PromptStub("search", "x.txt")]) == COMMENTED
    # the same path under another id is not added twice
    assert add_prompts(COMMENTED, [PromptStub("other", "prompts/search.txt")]) == COMMENTED


def test_add_prompts_to_a_manifest_without_prompts_appends() -> None:
    text = "[defaults]\nmodel = 'gpt-4o'  # note"
    result = add_prompts(text, [PromptStub("a b", "prompts/a b.txt")])
    assert result.startswith(text + "\n")
    assert tomllib.loads(result)["prompts"] == {"a b": {"path": "prompts/a b.txt"}}


def test_add_prompts_keeps_crlf_line_endings() -> None:
    text = COMMENTED.replace("\n", "\r\n")
    result = add_prompts(text, [PromptStub("classify", "prompts/classify.prompt")])
    assert '\r\n[prompts.classify]\r\npath = "prompts/classify.prompt"\r\n' in result
    assert result.count("\n") == result.count("\r\n")


@pytest.mark.parametrize(
    "text",
    [
        'prompts.search.path = "s.txt"  # dotted keys at the root\n[defaults]\nmodel = "x"\n',
        'prompts = { search = { path = "s.txt" } }\n',
        '[prompts]\nsearch = { path = "s.txt" }\n\n[budgets]\nmonthly_usd = "1"\n',
    ],
)
def test_add_prompts_handles_other_shapes_of_the_prompts_table(text: str) -> None:
    result = add_prompts(text, [PromptStub("new", "n.txt")])
    data = tomllib.loads(result)
    assert data["prompts"] == {"search": {"path": "s.txt"}, "new": {"path": "n.txt"}}


def test_add_prompts_refuses_invalid_toml() -> None:
    with pytest.raises(ManifestError):
        add_prompts("[defaults\n", [PromptStub("a", "a.txt")])


def test_set_value_changes_one_key_and_keeps_comments() -> None:
    result = set_value(
        COMMENTED, ["prompts", "search", "model"], "claude-haiku-4-5", comment="llm-cost: switched"
    )
    assert 'model = "claude-haiku-4-5" # llm-cost: switched\n' in result
    assert result.replace('model = "claude-haiku-4-5" # llm-cost: switched\n', "") == COMMENTED
    replaced = set_value(COMMENTED, ["defaults", "calls_per_month"], 25_000)
    assert replaced == COMMENTED.replace("calls_per_month = 10_000", "calls_per_month = 25000")


def test_set_value_creates_tables_and_keeps_money_exact() -> None:
    result = set_value(COMMENTED, ["budgets", "monthly_usd"], Decimal("1200.50"))
    assert result.startswith(COMMENTED)
    assert tomllib.loads(result)["budgets"] == {"monthly_usd": "1200.50"}


def test_write_atomic_keeps_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "llm-cost.toml"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_atomic(target, "new\r\ncontent\n")
    assert target.read_bytes() == b"new\r\ncontent\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["llm-cost.toml"]


def test_write_atomic_creates_a_new_file(tmp_path: Path) -> None:
    write_atomic(tmp_path / "new.toml", "x = 1\n")
    assert (tmp_path / "new.toml").read_text() == "x = 1\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # a table defined out of order
            '[prompts.a]\npath="a"\n\n[budgets]\nmonthly_usd="1"\n\n[prompts.b]  # bee\npath="b"\n',
            '[prompts.a]\npath="a"\n\n[budgets]\nmonthly_usd="1"\n\n[prompts.b]  # bee\npath="b"\n'
            'model = "m" # why\n',
        ),
        ('prompts.b.path = "b"\n', 'prompts.b.path = "b"\nprompts.b.model = "m" # why\n'),
        ('[prompts]\nb = { path = "b" }\n', '[prompts]\nb = { path = "b", model = "m"}\n'),
        ('[prompts.b]\npath="b"\nmodel="old"\n', '[prompts.b]\npath="b"\nmodel="m" # why\n'),
    ],
)
def test_set_value_in_every_shape_of_table(text: str, expected: str) -> None:
    result = set_value(text, ["prompts", "b", "model"], "m", comment="why")
    assert result == expected
    assert tomllib.loads(result)["prompts"]["b"] == {"path": "b", "model": "m"}
