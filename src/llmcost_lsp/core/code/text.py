"""Prompt text built from pieces of code: literals, constants and holes.

While a scanner joins pieces (`+`, f-strings, `.strip()`, `dedent`), a hole is carried inside
the text as a marker of private-use characters, so string operations treat it as an opaque
word; `finish` turns the markers into `{name}` placeholders and records where each one is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from llmcost_lsp.core.code.model import CodeMessage, Hole

_OPEN, _CLOSE = "\ue000", "\ue001"
_MARK = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_TEMPLATE_VAR = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NOT_NAME = re.compile(r"\W+")


def hole_name(source: str) -> str:
    """A variable name for a hole's expression: `question` stays, `doc.text` → `doc_text`."""
    name = _NOT_NAME.sub("_", source).strip("_")
    if not name or name[0].isdigit():
        name = f"v_{name}"
    return name[:60]


@dataclass
class Holes:
    """The holes of one file's scan, numbered; markers in texts refer to them."""

    items: list[Hole] = field(default_factory=list)
    # while text imported from another module is read: the place in this file that names it
    # (a hole's line and column are this file's, where diagnostics show them)
    anchor: tuple[int, int] | None = None

    def marker(self, name: str, line: int, column: int) -> str:
        line, column = self.anchor or (line, column)
        self.items.append(Hole(hole_name(name), line, column))
        return f"{_OPEN}{len(self.items) - 1}{_CLOSE}"

    def template(self, text: str, line: int, column: int) -> str:
        """A template string (LangChain, `str.format`): `{name}` becomes a hole, `{{` a brace."""

        def swap(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in ("{{", "}}"):
                return token[0]
            before = text[: match.start()]
            hole_line = line + before.count("\n")
            hole_column = (
                column + match.start() if "\n" not in before else len(before.rpartition("\n")[2])
            )
            return self.marker(match.group(1), hole_line, hole_column)

        return _TEMPLATE_VAR.sub(swap, text)

    def finish(self, role: str, text: str, line: int) -> CodeMessage:
        """The message as counted: markers become `{name}`, located."""
        holes: list[Hole] = []
        offsets: list[tuple[int, int]] = []
        pieces: list[str] = []
        position = 0
        length = 0
        for match in _MARK.finditer(text):
            literal = text[position : match.start()]
            pieces.append(literal)
            length += len(literal)
            hole = self.items[int(match.group(1))]
            marker = "{" + hole.name + "}"
            holes.append(hole)
            offsets.append((length, len(marker)))
            pieces.append(marker)
            length += len(marker)
            position = match.end()
        pieces.append(text[position:])
        return CodeMessage(role, "".join(pieces), line, tuple(holes), tuple(offsets))


def has_text(text: str) -> bool:
    """Whether a piece holds anything but whitespace and holes."""
    return bool(_MARK.sub("", text).strip())
