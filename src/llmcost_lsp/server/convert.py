"""Core values to protocol values: paths and URIs, locations and ranges, issues and diagnostics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from llmcost_lsp.core.errors import Location
from llmcost_lsp.core.issues import Issue

SOURCE = "llm-cost"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


def uri_to_path(uri: str) -> Path | None:
    """The file of a `file:` URI (None for other schemes, e.g. an unsaved buffer)."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None


def path_to_uri(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


_encoding = {"name": "utf-16"}  # negotiated at `initialize`; one client per server process


def set_position_encoding(name: str) -> None:
    _encoding["name"] = name if name in ("utf-8", "utf-16", "utf-32") else "utf-16"


def units(text: str) -> int:
    """Length of `text` in the position units agreed with the client (UTF-16 by default)."""
    name = _encoding["name"]
    if name == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    if name == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def chars_in_units(line: str, count: int, encoding: object) -> int:
    """Code points in the first `count` code units of `line` in `encoding` (clamped to the
    line's length): the inverse of `units`, for a document's own negotiated encoding."""
    if encoding == types.PositionEncodingKind.Utf32 or line.isascii():
        return min(count, len(line))
    if encoding == types.PositionEncodingKind.Utf16 and max(line) <= "\uffff":
        return min(count, len(line))
    seen = 0
    for index, char in enumerate(line):
        if seen >= count:
            return index
        code = ord(char)
        if encoding == types.PositionEncodingKind.Utf8:
            seen += 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
        else:
            seen += 2 if code > 0xFFFF else 1
    return len(line)


def to_range(location: Location, line_text: Callable[[int], str | None]) -> types.Range:
    """A 1-based core location as a 0-based range; without an end, to the end of its line."""
    line = max((location.line or 1) - 1, 0)
    text = line_text(line) or ""
    column = max((location.column or 1) - 1, 0)
    start = types.Position(line, units(text[:column]))
    if location.end_line is not None and location.end_column is not None:
        end_line = max(location.end_line - 1, line)
        end_text = text if end_line == line else (line_text(end_line) or "")
        end = types.Position(end_line, units(end_text[: max(location.end_column - 1, 0)]))
        if (end.line, end.character) > (start.line, start.character):
            return types.Range(start, end)
    end_char = units(text)
    if end_char <= start.character:
        end_char = start.character + 1 if not text else end_char
        if end_char <= start.character:
            start = types.Position(line, 0)
    return types.Range(start, types.Position(line, max(end_char, start.character)))


def to_diagnostic(
    issue: Issue, line_text: Callable[[int], str | None], data: Any = None
) -> types.Diagnostic:
    """`data`: what a code action needs later (`{"promptId": ...}`); the client sends it back."""
    message = issue.message + (f"\nhint: {issue.hint}" if issue.hint else "")
    return types.Diagnostic(
        range=to_range(issue.location, line_text),
        message=message,
        severity=_SEVERITY[issue.severity],
        code=issue.code,
        source=SOURCE,
        data=data,
    )


def line_getter(text: str | None) -> Callable[[int], str | None]:
    """Line `n` (0-based) of `text` without its line break, found without splitting it all."""
    starts = [0]  # offsets of the lines found so far

    def get(line: int) -> str | None:
        if text is None or line < 0:
            return None
        while len(starts) <= line:
            newline = text.find("\n", starts[-1])
            if newline < 0:
                return None
            starts.append(newline + 1)
        end = text.find("\n", starts[line])
        found = text[starts[line] :] if end < 0 else text[starts[line] : end]
        if starts[line] == len(text) and line > 0:
            return None
        return found.rstrip("\r")

    return get
