"""Template variables: exactly which `{{name}}`, `{name}` and `${input:name}` forms are ours.

Ours (sized from the manifest):
- double-brace: `{{name}}`, `{{ name }}`, `{{{name}}}`, `{{- name -}}`, dotted `{{user.name}}`;
  names are `[A-Za-z_][A-Za-z0-9_]*` joined by dots. Not `${{ … }}`, `{{$x}}`, `{{#if}}`,
  `{{/if}}`, `{{> partial}}`, `{{.Field}}`, `{{ x | filter }}`, `{{else}}`, `{{this}}`:
  those stay literal text.
- single-brace (Python `str.format`): `{name}`, only in text files without any `{{`.
- copilot-input: `${input:name}` / `${input:name:placeholder}`, in `.prompt.md` files (which
  also take double-brace variables).
Jinja statements `{% … %}` and comments `{# … #}` are counted as literal text (loops run once).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from llmcost_lsp.core.formats.model import Notice, VariableRef, VariableSyntax

TemplateStyle = Literal["double-brace", "single-brace", "copilot", "none"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_RESERVED = frozenset({"else", "this", "true", "false", "none", "null"})
_DOUBLE = re.compile(r"(\$?)\{\{(\{?)([^{}\n]*)\}\}")
# Starts with the literal brace (no lookbehind) so the scan jumps between braces; the character
# before the brace must not be `{`, `$` or a backslash, checked in `_matches`.
_SINGLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
_COPILOT = re.compile(r"\$\{input:([A-Za-z_][\w-]*)(?::[^}\n]*)?\}")
_JINJA_STATEMENT = re.compile(r"\{%-?\s*(\w+)")


@dataclass(frozen=True)
class TextSpan:
    """Text and where its first character is in the file: lines are 1-based, columns 0-based.

    `indent` is added to the column of every line after the first (YAML block scalars)."""

    text: str
    line: int
    column: int = 0
    indent: int = 0


_NEWLINE = re.compile("\n")
_DOUBLE_OPEN = re.compile(r"\{\{")


def has_double_brace(text: str) -> bool:
    """`"{{" in text`, fast: a one-character test skips long texts without braces, and `re`
    finds a two-character literal ~3× faster than `str.__contains__` (0.3 vs 0.8 ms per MB)."""
    return "{" in text and _DOUBLE_OPEN.search(text) is not None


def style_for_text(text: str) -> TemplateStyle:
    """Plain `.txt`/`.prompt` files: `{{…}}` anywhere means double-brace, else Python format."""
    return "double-brace" if has_double_brace(text) else "single-brace"


def _double_brace_name(dollar: str, inner: str) -> str | None:
    if dollar:
        return None  # `${{ … }}`: GitHub Actions or shell, never ours
    name = inner.strip().strip("-~").strip()
    if _NAME.fullmatch(name) and name.lower() not in _RESERVED:
        return name
    return None


def _matches(text: str, style: TemplateStyle) -> Iterator[tuple[int, int, str, VariableSyntax]]:
    if "{" not in text:
        return  # every syntax needs a brace; skips the regex scan of long plain prompts
    if style == "double-brace":
        for match in _DOUBLE.finditer(text):
            name = _double_brace_name(match.group(1), match.group(3))
            if name is not None:
                end = match.end() + (
                    1 if match.group(2) and text[match.end() : match.end() + 1] == "}" else 0
                )
                yield match.start(), end, name, "double-brace"
    elif style == "single-brace":
        for match in _SINGLE.finditer(text):
            start = match.start()
            if start and text[start - 1] in "{$\\":
                continue
            yield start, match.end(), match.group(1), "single-brace"
    elif style == "copilot":
        found: list[tuple[int, int, str, VariableSyntax]] = [
            (m.start(), m.end(), m.group(1), "copilot-input") for m in _COPILOT.finditer(text)
        ]
        found.extend(_matches(text, "double-brace"))
        yield from sorted(found)


def find_variables(
    span: TextSpan, style: TemplateStyle, message_index: int = 0
) -> list[VariableRef]:
    """Variables of `style` in the span, located in file coordinates (1-based line and column)."""
    found: list[VariableRef] = []
    matches = list(_matches(span.text, style))
    if not matches:
        return found  # most prompts: skip indexing the lines of a long text
    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(span.text)]
    current = 0
    for offset, end, name, syntax in matches:
        while current + 1 < len(line_starts) and line_starts[current + 1] <= offset:
            current += 1
        column = offset - line_starts[current]
        column += span.column if current == 0 else span.indent
        found.append(
            VariableRef(
                name, span.line + current, column + 1, syntax, message_index, offset, end - offset
            )
        )
    return found


def strip_variables(text: str, refs: Iterable[VariableRef]) -> str:
    """The text without its variable markers (`{{name}}` removed), to count the literal part.

    `refs` are the variables found in this very text (their `offset`/`length` index into it)."""
    pieces: list[str] = []
    position = 0
    for ref in sorted(refs, key=lambda r: r.offset):
        if ref.offset < position:
            continue
        pieces.append(text[position : ref.offset])
        position = ref.offset + ref.length
    pieces.append(text[position:])
    return "".join(pieces)


def template_notices(text: str, first_line: int, style: TemplateStyle) -> list[Notice]:
    """One notice per kind of template logic we count as literal text."""
    notices: list[Notice] = []
    if style not in ("double-brace", "copilot"):
        return notices
    statement = _JINJA_STATEMENT.search(text)
    if statement:
        line = first_line + text.count("\n", 0, statement.start())
        notices.append(
            Notice(
                "template-logic",
                f"template statements such as '{{% {statement.group(1)} %}}' are counted as "
                "literal text: loops run once, both branches of a condition count",
                line,
            )
        )
    helper = re.search(r"\{\{[#/>]", text)
    if helper:
        line = first_line + text.count("\n", 0, helper.start())
        notices.append(
            Notice(
                "template-logic",
                "Handlebars blocks such as '{{#each}}' are counted as literal text, once",
                line,
            )
        )
    return notices
