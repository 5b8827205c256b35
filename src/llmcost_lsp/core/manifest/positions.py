"""Where each key of a (valid) TOML document is: key path → line and column.

tomllib and tomlkit do not keep positions, so this small scanner walks the text once. It trusts
that the text already parsed, and records tables, dotted keys, inline tables, arrays and arrays
of tables (`("rules", 0, "suggest")`).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Mapping, Sequence

from llmcost_lsp.core.errors import Location

KeyPath = tuple[str | int, ...]
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.n = len(text)
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self.positions: dict[KeyPath, tuple[int, int]] = {}  # start index, end index
        self.array_tables: dict[KeyPath, int] = {}
        self.headers: list[tuple[int, KeyPath]] = []

    def pos(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def record(self, path: KeyPath, start: int, end: int) -> None:
        self.positions.setdefault(path, (start, end))

    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.text[j] if j < self.n else ""

    def skip_space(self, newlines: bool) -> None:
        while self.i < self.n:
            ch = self.text[self.i]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self.i += 1
            elif ch == "#":
                end = self.text.find("\n", self.i)
                self.i = self.n if end == -1 else end
            else:
                return

    def string(self) -> str:
        text, start = self.text, self.i
        quote = text[start]
        if text.startswith(quote * 3, start):
            end = start + 3
            while True:
                end = text.find(quote * 3, end)
                if end == -1:
                    self.i = self.n
                    return text[start + 3 :]
                if quote == '"' and _escaped(text, end):
                    end += 1
                    continue
                while text.startswith(quote, end + 3):  # up to two quotes may close the string
                    end += 1
                self.i = end + 3
                return text[start + 3 : end]
        end = start + 1
        while end < self.n and text[end] != quote:
            end += 2 if quote == '"' and text[end] == "\\" else 1
        self.i = end + 1
        raw = text[start : end + 1]
        if quote == "'":
            return raw[1:-1]
        try:
            value = json.loads(raw)
        except ValueError:
            return raw[1:-1]
        return value if isinstance(value, str) else raw[1:-1]

    def key(self) -> list[tuple[str, int, int]]:
        """Key parts with the start and end index of each."""
        parts: list[tuple[str, int, int]] = []
        while True:
            self.skip_space(newlines=False)
            start = self.i
            if self.peek() in ('"', "'"):
                name = self.string()
                parts.append((name, start, self.i))
            else:
                match = _BARE.match(self.text, self.i)
                if not match:
                    return parts
                parts.append((match.group(), start, match.end()))
                self.i = match.end()
            self.skip_space(newlines=False)
            if self.peek() != ".":
                return parts
            self.i += 1

    def value(self, path: KeyPath) -> None:
        ch = self.peek()
        if ch in ('"', "'"):
            self.string()
        elif ch == "{":
            self.i += 1
            while self.i < self.n:
                self.skip_space(newlines=True)
                if self.peek() == "}":
                    self.i += 1
                    return
                self.key_value(path)
                self.skip_space(newlines=True)
                if self.peek() == ",":
                    self.i += 1
        elif ch == "[":
            self.i += 1
            index = 0
            while self.i < self.n:
                self.skip_space(newlines=True)
                if self.peek() == "]":
                    self.i += 1
                    return
                start = self.i
                self.value((*path, index))
                self.record((*path, index), start, self.i)
                index += 1
                self.skip_space(newlines=True)
                if self.peek() == ",":
                    self.i += 1
        else:
            match = _SCALAR_END.search(self.text, self.i)
            self.i = self.n if match is None else max(match.start(), self.i + 1)

    def key_value(self, table: KeyPath) -> None:
        parts = self.key()
        if not parts:  # not valid TOML: skip the line rather than loop forever
            end = self.text.find("\n", self.i)
            self.i = self.n if end == -1 else end + 1
            return
        path = table
        first = parts[0][1]
        for name, _, end in parts:
            path = (*path, name)
            self.record(path, first, end)
        self.skip_space(newlines=False)
        if self.peek() == "=":
            self.i += 1
        self.skip_space(newlines=False)
        self.value(path)

    def header(self) -> KeyPath:
        start = self.i
        is_array = self.text.startswith("[[", self.i)
        self.i += 2 if is_array else 1
        parts = self.key()
        self.skip_space(newlines=False)
        self.i += 2 if is_array else 1
        end = self.i
        resolved: KeyPath = ()
        for position, (name, _, _) in enumerate(parts):
            resolved = (*resolved, name)
            self.record(resolved, start, end)
            last = position == len(parts) - 1
            if last and is_array:
                index = self.array_tables.get(resolved, -1) + 1
                self.array_tables[resolved] = index
                resolved = (*resolved, index)
            elif resolved in self.array_tables:
                resolved = (*resolved, self.array_tables[resolved])
        self.record(resolved, start, end)
        self.headers.append((self.pos(start)[0], resolved))
        return resolved

    def run(self) -> dict[KeyPath, tuple[int, int]]:
        """Scan everything; `positions` maps key paths to (start, end) indexes."""
        table: KeyPath = ()
        while True:
            self.skip_space(newlines=True)
            if self.i >= self.n:
                return self.positions
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


Span = tuple[int, int, int, int]


def key_spans(text: str) -> dict[KeyPath, Span]:
    """Every key path (tables, keys, array items) → 1-based (line, column, end_line, end_column).

    A key's span covers the key (dotted keys from their first part); a table's covers its header;
    an array item's covers the value. The end column is exclusive."""
    scanner = _Scanner(text)
    scanner.run()
    return {
        path: (*scanner.pos(start), *scanner.pos(end))
        for path, (start, end) in scanner.positions.items()
    }


def key_positions(text: str) -> dict[KeyPath, tuple[int, int]]:
    """Every key path → its 1-based (line, column)."""
    return {path: span[:2] for path, span in key_spans(text).items()}


def table_headers(text: str) -> list[tuple[int, KeyPath]]:
    """`[table]` and `[[array]]` headers in order: (1-based line, resolved key path)."""
    scanner = _Scanner(text)
    scanner.run()
    return scanner.headers


def locate(
    positions: Mapping[KeyPath, Span], key_path: Sequence[str | int], path: str | None
) -> Location:
    """Where `key_path` was written: its span, else its nearest written parent's, else the file."""
    for end in range(len(key_path), 0, -1):
        found = positions.get(tuple(key_path[:end]))
        if found:
            line, column, end_line, end_column = found
            return Location(path, line, column, end_line, end_column)
    return Location(path=path)
