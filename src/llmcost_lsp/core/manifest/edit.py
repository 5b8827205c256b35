"""Editing llm-cost.toml without losing a comment: add prompts, set a value, write atomically.

`add_prompts` inserts plain text after the existing `[prompts.*]` tables so every other byte is
unchanged; it checks the result parses to exactly the old document plus the new entries.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import InlineTable, Item, Table

from llmcost_lsp.core.atomic import write_atomic as write_atomic  # re-exported for callers
from llmcost_lsp.core.errors import Location, ManifestError
from llmcost_lsp.core.manifest.positions import table_headers

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
Scalar = str | int | bool | Decimal
Value = Scalar | Sequence[Scalar]


@dataclass(frozen=True)
class PromptStub:
    """A `[prompts.<id>]` table to add, with its `path` (None: a call site in source code,
    named by its id alone) and commented lines after it (the next step: keys to uncomment and
    fill in; comments never change what the manifest says)."""

    id: str
    path: str | None
    notes: tuple[str, ...] = ()


def toml_key(key: str) -> str:
    """A bare key when allowed, else a quoted one."""
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _render(stub: PromptStub, newline: str) -> str:
    notes = "".join(f"# {note}{newline}" for note in stub.notes)
    if stub.path is None:
        return f"[prompts.{toml_key(stub.id)}]{newline}{notes}"
    path = json.dumps(stub.path, ensure_ascii=False)
    return f"[prompts.{toml_key(stub.id)}]{newline}path = {path}{newline}{notes}"


def _loads(text: str, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(f"cannot edit {what}: {error}", code="toml-syntax") from None


def _insertion_line(text: str, lines: list[str]) -> int | None:
    """0-based line index just after the last `[prompts.*]` table (before the next section's
    leading comments), or None when there is no `[prompts…]` header."""
    headers = table_headers(text)
    prompt_lines = [line for line, path in headers if path[:1] == ("prompts",)]
    if not prompt_lines:
        return None
    last = max(prompt_lines)
    following = [line for line, path in headers if line > last and path[:1] != ("prompts",)]
    index = (min(following) - 1) if following else len(lines)
    while index > last and (
        not lines[index - 1].strip() or lines[index - 1].lstrip().startswith("#")
    ):
        index -= 1
    # Comment lines right under the last entry (no blank line between) are its own: `init`'s
    # next-step lines. Leading comments of the next section stay with that section.
    while index < len(lines) and lines[index].lstrip().startswith("#"):
        index += 1
    return index


def add_table_comments(text: str, table: tuple[str, ...], notes: Sequence[str]) -> str:
    """Add `# note` lines at the end of the `[table]` section (after its own comments, before the
    next section's leading comments); unchanged when the table has no header of its own."""
    headers = table_headers(text)
    starts = [line for line, path in headers if path == table]
    if not starts or not notes:
        return text
    lines = text.split("\n")
    following = [line for line, _ in headers if line > starts[0]]
    index = (min(following) - 1) if following else len(lines)
    while index > starts[0] and (
        not lines[index - 1].strip() or lines[index - 1].lstrip().startswith("#")
    ):
        index -= 1
    while index < len(lines) and lines[index].lstrip().startswith("#"):
        index += 1
    newline = "\r\n" if "\r\n" in text else "\n"
    cr = "\r" if newline == "\r\n" else ""
    added = [f"# {note}{cr}" for note in notes]
    result = "\n".join([*lines[:index], *added, *lines[index:]])
    if tomllib.loads(result) != _loads(text, "the manifest"):  # comments only, by construction
        return text
    return result


def _expected(data: dict[str, Any], stubs: Sequence[PromptStub]) -> dict[str, Any]:
    prompts = dict(data.get("prompts", {}))
    for stub in stubs:
        prompts[stub.id] = {"path": stub.path} if stub.path is not None else {}
    return {**data, "prompts": prompts}


def add_prompts(text: str, stubs: Sequence[PromptStub]) -> str:
    """Add the `[prompts.<id>]` tables that are missing (by id or by path); nothing else changes."""
    data = _loads(text, "the manifest")
    existing = data.get("prompts", {})
    known_paths = {str(entry.get("path")) for entry in existing.values() if isinstance(entry, dict)}
    missing = [
        s for s in stubs if s.id not in existing and (s.path is None or s.path not in known_paths)
    ]
    if not missing:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    block = newline.join(_render(stub, newline) for stub in missing)
    expected = _expected(data, missing)
    for candidate in (_insert_after_prompts(text, block, newline), _append(text, block, newline)):
        if candidate is not None and _parses_to(candidate, expected):
            return candidate
    return _add_with_tomlkit(text, missing)


def _insert_after_prompts(text: str, block: str, newline: str) -> str | None:
    lines = text.split("\n")
    index = _insertion_line(text, lines)
    if index is None or index >= len(lines):
        return None
    head = "\n".join(lines[:index]) + "\n"
    tail = "\n".join(lines[index:])
    return f"{head}{newline}{block}{tail}"


def _append(text: str, block: str, newline: str) -> str:
    if not text.strip():
        return block
    if not text.endswith("\n"):
        text += newline
    if not text.endswith(("\n\n", "\r\n\r\n")):
        text += newline
    return text + block


def _parses_to(text: str, expected: dict[str, Any]) -> bool:
    try:
        return tomllib.loads(text) == expected
    except tomllib.TOMLDecodeError:
        return False


def _add_with_tomlkit(text: str, stubs: Sequence[PromptStub]) -> str:
    document = tomlkit.parse(text)
    prompts = document.setdefault("prompts", tomlkit.table(is_super_table=True))
    inline = isinstance(prompts, InlineTable)
    for stub in stubs:
        table = tomlkit.inline_table() if inline else tomlkit.table()
        table["path"] = stub.path
        if not inline:
            for note in stub.notes:
                table.add(tomlkit.comment(note))
        prompts[stub.id] = table
    return document.as_string()


def _item(value: Value) -> Item:
    if isinstance(value, Decimal):
        return tomlkit.item(str(value))  # money stays exact as a string
    if isinstance(value, str | int | bool):
        return tomlkit.item(value)
    return tomlkit.item([str(v) if isinstance(v, Decimal) else v for v in value])


def set_value(text: str, key_path: Sequence[str], value: Value, comment: str | None = None) -> str:
    """Set one key (creating its tables) and keep every other comment and byte of formatting."""
    if not key_path:
        raise ValueError("key_path must name a key")
    _loads(text, "the manifest")
    document = tomlkit.parse(text)
    container: Any = document
    for part in key_path[:-1]:
        if part not in container:
            container[part] = tomlkit.table()
        container = container[part]
        if not hasattr(container, "__setitem__"):
            raise ManifestError(
                f"cannot set {'.'.join(key_path)}: {part} is not a table",
                location=Location(),
                code="manifest-edit",
            )
    item = _item(value)
    if comment:
        user = _user_comment(container.get(key_path[-1]))
        item.comment(f"{comment}{_USER_COMMENT}{user}" if user else comment)
    container[key_path[-1]] = item
    return document.as_string()


_USER_COMMENT = " | "  # between our note and the comment the user had on that line


def _user_comment(item: Any) -> str:
    """The user's own trailing comment on a key about to be rewritten (ours dropped)."""
    trivia = getattr(item, "trivia", None)
    text = (getattr(trivia, "comment", "") or "").lstrip("#").strip()
    if text.startswith(CALIBRATED_MARK):
        text = text.partition(_USER_COMMENT)[2]
    return text


CALIBRATED_MARK = "calibrated "  # how `calibrate --write` starts the comment it leaves


def calibration_notes(text: str) -> dict[tuple[str, ...], str]:
    """Keys whose trailing comment says they were calibrated: key path → the comment text,
    e.g. ("prompts", "search", "calls_per_month") → "calibrated 2026-11-23 from bill.csv".
    For hovers and provenance; never raises (an unparsable manifest has no notes)."""
    try:
        document = tomlkit.parse(text)
    except Exception:
        return {}
    notes: dict[tuple[str, ...], str] = {}

    def walk(container: Container | Table, path: tuple[str, ...]) -> None:
        for key, item in container.items():
            here = (*path, str(key))
            if isinstance(item, Table):
                walk(item, here)
            elif isinstance(item, Item):
                comment = (item.trivia.comment or "").lstrip("#").strip()
                if comment.startswith(CALIBRATED_MARK):
                    notes[here] = comment.partition(_USER_COMMENT)[0]

    walk(document, ())
    return notes
