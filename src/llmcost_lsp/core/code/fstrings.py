"""Python 3.12 f-strings (PEP 701) read by an older parser.

From Python 3.12 an f-string's expressions may hold backslashes, comments and newlines
(`f"{'\\n'.join(lines)}"`); Python 3.11's `ast` rejects the whole file. The tokenizer of 3.11
still reads such an f-string as one string token, so a file that fails to parse only because
of them is read again with each of those f-strings rewritten: every `{expression}` becomes
`{name}`, the name made from the expression's text as a hole's name is (`{'\\n'.join(lines)}` →
`{n_join_lines}`), and the literal text stays as it is. The prompt text is the same, its holes
are variables as they would be on 3.12, and lines do not move.

Not read this way: an f-string that reuses its own quote inside an expression
(`f"{x["key"]}"`), which 3.11's tokenizer splits; the file is then reported as not parsed.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import sys
import tokenize

from llmcost_lsp.core.code.text import hole_name

_PREFIX = re.compile(r"[A-Za-z]*")
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def parse_python(text: str) -> ast.Module:
    """`ast.parse`, and before Python 3.12 a second try with PEP 701 f-strings rewritten;
    raises the first SyntaxError when that does not parse either."""
    try:
        return ast.parse(text)
    except SyntaxError:
        if sys.version_info >= (3, 12):
            raise
        rewritten = rewrite_fstrings(text)
        if rewritten is None:
            raise
        try:
            return ast.parse(rewritten)
        except SyntaxError:
            pass
        raise


def rewrite_fstrings(text: str) -> str | None:
    """The text with each f-string that does not parse on its own rewritten (None: there is
    none, or the file does not tokenize)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    for token in tokens:
        if token.type != tokenize.STRING:
            continue
        prefix = _PREFIX.match(token.string)
        if prefix is None or "f" not in prefix.group(0).lower():
            continue
        try:
            ast.parse(token.string, mode="eval")
            continue
        except SyntaxError:
            pass
        replaced = _rewrite(token.string, len(prefix.group(0)))
        if replaced is None:
            return None
        start = starts[token.start[0] - 1] + token.start[1]
        end = starts[token.end[0] - 1] + token.end[1]
        edits.append((start, end, replaced))
    if not edits:
        return None
    for start, end, replaced in reversed(edits):
        text = text[:start] + replaced + text[end:]
    return text


def _rewrite(literal: str, prefix_length: int) -> str | None:
    """One f-string token with its replacement fields as plain names."""
    quote = literal[prefix_length : prefix_length + 3]
    if quote not in ('"""', "'''"):
        quote = quote[0]
    body_start = prefix_length + len(quote)
    body = literal[body_start : len(literal) - len(quote)]
    out: list[str] = []
    position = 0
    while position < len(body):
        char = body[position]
        if body.startswith(("{{", "}}"), position):
            out.append(body[position : position + 2])
            position += 2
        elif char == "{":
            end = _field_end(body, position + 1)
            if end is None:
                return None
            expression = _expression(body[position + 1 : end])
            name = hole_name(expression) if expression.strip() else "v_"
            if not name.isidentifier() or keyword.iskeyword(name):
                name = f"v_{name}" if f"v_{name}".isidentifier() else "v_"
            out.append("{" + name + "\n" * expression.count("\n") + "}")
            position = end + 1
        else:
            out.append(char)
            position += 1
    return literal[:body_start] + "".join(out) + quote


def _field_end(body: str, start: int) -> int | None:
    """The index of the `}` closing the replacement field that starts at `start` (nested
    brackets, strings and comments in the expression skipped)."""
    depth = 0
    position = start
    while position < len(body):
        char = body[position]
        if char in "'\"":
            position = _string_end(body, position)
            if position < 0:
                return None
            continue
        if char == "#":
            newline = body.find("\n", position)
            position = len(body) if newline < 0 else newline
            continue
        if char in _CLOSERS:
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return position if char == "}" else None
            depth -= 1
        position += 1
    return None


def _string_end(body: str, start: int) -> int:
    """The index after the string literal starting at `start` (-1: not closed)."""
    quote = body[start : start + 3] if body[start : start + 3] in ('"""', "'''") else body[start]
    position = start + len(quote)
    while position < len(body):
        if body[position] == "\\":
            position += 2
            continue
        if body.startswith(quote, position):
            return position + len(quote)
        position += 1
    return -1


def _expression(field: str) -> str:
    """A replacement field's expression: without its `=`, `!conversion` and `:format`."""
    depth = 0
    position = 0
    while position < len(field):
        char = field[position]
        if char in "'\"":
            end = _string_end(field, position)
            position = len(field) if end < 0 else end
            continue
        if char in _CLOSERS:
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and (
            char == ":" or (char == "!" and field[position + 1 : position + 2] != "=")
        ):
            field = field[:position]
            break
        position += 1
    stripped = field.rstrip()
    if stripped.endswith("=") and not stripped.endswith(("==", "!=", "<=", ">=")):
        field = stripped[:-1]  # `{x=}`
    return field
