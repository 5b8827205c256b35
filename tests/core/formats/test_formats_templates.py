from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcost_lsp.core.formats import parse_prompt
from llmcost_lsp.core.formats.templates import (
    TextSpan,
    find_variables,
    strip_variables,
    style_for_text,
)


def names(text: str, style: str = "double-brace") -> list[str]:
    return [ref.name for ref in find_variables(TextSpan(text, 1), style)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{name}}", ["name"]),
        ("{{ name }}", ["name"]),
        ("{{{name}}}", ["name"]),
        ("{{- name -}}", ["name"]),
        ("{{user.first_name}}", ["user.first_name"]),
        ("a {{x}} b {{y}} c {{x}}", ["x", "y", "x"]),
    ],
)
def test_double_brace_variables_are_ours(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "${{ github.event.inputs.name }}",  # GitHub Actions
        "{{$input}}",  # Semantic Kernel
        "{{#if ready}}yes{{/if}}",  # Handlebars blocks
        "{{> partial}}",
        "{{.Field}}",  # Go templates
        "{{ name | upper }}",  # Jinja filter: an expression, not a plain name
        "{{ header ? header : 'Notes' }}",  # Vue expression
        "{{else}}",
        "{{this}}",
        "${VAR}",
        "{% for item in items %}",
        "{{ 1 + 2 }}",
    ],
)
def test_other_template_syntaxes_stay_literal(text: str) -> None:
    assert names(text) == []


def test_single_brace_is_python_format_only_without_double_braces() -> None:
    text = 'Review: {review}\nReply as JSON: {"label": ...} ${HOME} {{not here}}'
    assert style_for_text(text) == "double-brace"
    assert names('Review: {review}\nJSON: {"label": 1} ${HOME} {a b}', "single-brace") == ["review"]
    assert style_for_text("Review: {review}") == "single-brace"


def test_copilot_input_variables() -> None:
    text = "Use ${input:methodName} and ${input:threshold:15}; not ${selection}; and {{x}}"
    assert names(text, "copilot") == ["methodName", "threshold", "x"]


def test_positions_are_file_lines_and_columns() -> None:
    span = TextSpan("first\n  second {{b}}\n{{c}}", line=10, column=4, indent=6)
    refs = find_variables(span, "double-brace")
    # The first line starts at column 4 (0-based); later lines are indented by 6.
    assert [(r.name, r.line, r.column) for r in refs] == [("b", 11, 16), ("c", 12, 7)]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}$#/.>| ab_\n-%")), max_size=60))
def test_any_text_is_scanned_without_error_and_refs_point_at_braces(text: str) -> None:
    for style in ("double-brace", "single-brace", "copilot"):
        for ref in find_variables(TextSpan(text, 1), style):  # type: ignore[arg-type]
            line = text.split("\n")[ref.line - 1]
            assert line[ref.column - 1] in "{$"
            assert ref.name in line


def test_strip_variables_leaves_the_literal_text_to_count() -> None:
    text = "Hi {{ name }}, see {{{raw}}} and {{#if x}}{{x}}{{/if}}."
    refs = find_variables(TextSpan(text, 1), "double-brace")
    assert [text[r.offset : r.offset + r.length] for r in refs] == [
        "{{ name }}",
        "{{{raw}}}",
        "{{x}}",
    ]
    assert strip_variables(text, refs) == "Hi , see  and {{#if x}}{{/if}}."


def test_every_parser_gives_offsets_into_its_message_text() -> None:
    cases = {
        "a.txt": "Hi {{ name }}!",
        "a.prompt": "Hi {name}!",
        "a.prompt.md": "---\nmodel: x\n---\nGo ${input:task:what to do} now",
        "a.prompty": "---\nmodel: gpt-4o\n---\nsystem:\nBe brief.\n\nuser:\nQ: {{q}}\n",
        "a.prompt.yml": 'messages:\n  - role: user\n    content: "Q: {{q}} end"\n',
    }
    for path, text in cases.items():
        parsed = parse_prompt(path, text)
        for ref in parsed.variables:
            message = parsed.messages[ref.message_index].text
            marker = message[ref.offset : ref.offset + ref.length]
            assert ref.name in marker and marker[0] in "{$" and marker[-1] == "}", (path, marker)
