from __future__ import annotations

import tomllib

import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcost_lsp.core.manifest.positions import key_positions, key_spans, table_headers

TEXT = '''# comment with [brackets] and key = "value"
[defaults]
model = "gpt-4o"  # trailing
notes = """
[not.a.table]
key = 1
"""
literal = \'\'\'a "b" \'\'\'

[prompts."support/triage"]
path = 'prompts/support/triage.txt'
variables = { a = 1, b = { sample = "x.txt" } }
site.tags.team = "t"
arr = [
  "x", # comment ]
  { k = 2 },
]

[[rules]]
when_over_budget = "*"

[[rules]]
suggest = ["a", "b"]
[rules.extra]
x = 1
'''


def test_positions_cover_every_toml_construct() -> None:
    positions = key_positions(TEXT)
    assert positions[("defaults",)] == (2, 1)
    assert positions[("defaults", "model")] == (3, 1)
    assert positions[("defaults", "literal")] == (8, 1)
    assert ("not", "a", "table") not in positions  # inside a multi-line string
    triage = ("prompts", "support/triage")
    assert positions[triage] == (10, 1)
    assert positions[(*triage, "variables", "b", "sample")] == (12, 28)
    assert positions[(*triage, "site", "tags", "team")] == (13, 1)  # dotted keys: first part
    assert positions[(*triage, "arr", 1, "k")] == (16, 5)
    assert positions[("rules", 0, "when_over_budget")] == (20, 1)
    assert positions[("rules", 1, "suggest", 1)] == (23, 17)
    assert positions[("rules", 1, "extra", "x")] == (25, 1)


def test_table_headers_in_order() -> None:
    assert [line for line, _ in table_headers(TEXT)] == [2, 10, 19, 22, 24]
    assert table_headers(TEXT)[-1][1] == ("rules", 1, "extra")


def test_spans_cover_keys_headers_and_values_for_editor_ranges() -> None:
    spans = key_spans(TEXT)
    assert spans[("defaults",)] == (2, 1, 2, 11)  # `[defaults]`
    assert spans[("defaults", "model")] == (3, 1, 3, 6)  # `model`
    assert spans[("prompts", "support/triage", "site", "tags")] == (13, 1, 13, 10)
    assert spans[("rules", 1, "suggest", 0)] == (23, 12, 23, 15)  # `"a"`
    assert spans[("rules", 1)] == (22, 1, 22, 10)  # `[[rules]]`


_keys = st.text(alphabet=st.sampled_from(list("ab_-. #=\"'[]")), min_size=1, max_size=6)
_scalars = st.one_of(
    st.integers(-5, 5), st.booleans(), st.text(alphabet="ab\"'#[]{}=\n\\", max_size=8)
)
_tables = st.recursive(
    st.dictionaries(_keys, _scalars, max_size=3),
    lambda children: st.dictionaries(_keys, st.one_of(_scalars, children), max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_keys, _tables, min_size=1, max_size=3))
def test_every_key_written_by_tomlkit_is_found_on_its_line(data: dict[str, object]) -> None:
    text = tomlkit.dumps(data)
    assert tomllib.loads(text) == data
    positions = key_positions(text)
    lines = text.split("\n")

    def walk(prefix: tuple[str, ...], value: object) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk((*prefix, key), child)
        if prefix:
            line, column = positions[prefix]
            # the key (bare or quoted) starts where the position says, or the table header does
            assert lines[line - 1][column - 1] in "[\"'" or lines[line - 1][
                column - 1 :
            ].startswith(prefix[-1]), (prefix, lines[line - 1])

    walk((), data)
