"""Reading `llm-cost.toml`: TOML and schema errors as located issues (file:line:column, "did you
mean"), the cross-checks the schema cannot make, and where a workspace's manifest is.

Unknown keys are errors: a typo such as `calls_per_mnth` would otherwise be silently ignored and
the estimate would use a default, which is a wrong number, not a warning.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from llmcost_lsp.core.errors import Location, ManifestError
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.manifest.model import MANIFEST_FILENAME, MANIFEST_LIMIT_BYTES, Manifest
from llmcost_lsp.core.manifest.positions import KeyPath, Span, key_spans, locate
from llmcost_lsp.core.textfile import read_text_file


@dataclass(frozen=True)
class ManifestAnalysis:
    """Everything known about a manifest text: the model when valid, and every located issue."""

    manifest: Manifest | None
    issues: tuple[Issue, ...]

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.severity == "error")


class ManifestSchemaError(ManifestError):
    """The manifest does not parse or fails the schema; `issues` lists every problem, located."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        first = issues[0]
        super().__init__(first.message, location=first.location, code=first.code, hint=first.hint)
        self.issues = tuple(issues)

    def __str__(self) -> str:
        lines = [
            f"{i.location}: {i.message}" + (f" ({i.hint})" if i.hint else "") for i in self.issues
        ]
        return "\n".join(lines)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _syntax_issue(error: tomllib.TOMLDecodeError, text: str, path: str) -> Issue:
    message = str(error)
    match = _TOML_POSITION.search(message)
    if match:
        location = Location(path=path, line=int(match.group(1)), column=int(match.group(2)))
        message = message[: match.start()]
    else:  # "(at end of document)": point at the end of the last line
        lines = text.split("\n")
        location = Location(path=path, line=len(lines), column=len(lines[-1]) + 1)
        message = re.sub(r"\s*\(at end of document\)\s*$", " at the end of the file", message)
    return Issue("toml-syntax", f"TOML syntax error: {message}", location, "error")


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def format_key_path(key_path: Sequence[str | int]) -> str:
    """`prompts.search.calls_per_month`, `rules[0].suggest`, `pricing.overrides."gpt-4.1"`."""
    text = ""
    for part in key_path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            shown = part if _BARE_KEY.match(part) else '"' + part.replace('"', '\\"') + '"'
            text += f".{shown}" if text else shown
    return text


def _data_path(data: Any, loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """Keep the parts of a pydantic error location that exist in the data (drop union tags)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        in_mapping = isinstance(current, Mapping) and part in current
        in_list = (
            isinstance(current, list | tuple) and isinstance(part, int) and part < len(current)
        )
        if in_mapping or in_list:
            path.append(part)
            current = current[part]
        elif isinstance(current, Mapping) and isinstance(part, str) and not part[:1].isupper():
            path.append(part)  # a missing key: still part of the path
            current = None
    return tuple(path)


def _model_at(key_path: Sequence[str | int]) -> type[BaseModel] | None:
    """The schema table class at a data path, to list the keys it accepts."""
    annotation: Any = Manifest
    for part in key_path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not isinstance(part, str) or part not in annotation.model_fields:
                return None
            annotation = annotation.model_fields[part].annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        elif typing.get_origin(annotation) is tuple:
            annotation = typing.get_args(annotation)[0]
        else:
            return None
    annotation = _unwrap(annotation)
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0] if len(members) == 1 else annotation
            if len(members) != 1:
                return annotation
        else:
            return annotation


_PHRASES = {
    "greater_than_equal": "must be ≥ {ge}",
    "less_than_equal": "must be ≤ {le}",
    "greater_than": "must be > {gt}",
    "less_than": "must be < {lt}",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be an array",
    "tuple_type": "must be an array",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "missing": "is required",
    "literal_error": "must be one of {expected}",
    "too_short": "must not be empty",
    "decimal_type": 'must be a decimal string such as "12.50"',
}


def _bound(value: Any) -> Any:
    """1,000,000,000,000 for a limit, not Decimal('1000000000000')."""
    text = str(value).removeprefix("Decimal('").removesuffix("')")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return value
    return f"{number:,}" if number == number.to_integral_value() and abs(number) >= 1000 else text


def _phrase(error: Mapping[str, Any]) -> str:
    """pydantic's message, rephrased as the end of `<key> …` in the manifest's terms."""
    template = _PHRASES.get(str(error["type"]))
    if template is not None:
        context = {key: _bound(value) for key, value in (error.get("ctx") or {}).items()}
        try:
            return template.format(**context)
        except (KeyError, IndexError):
            pass
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _schema_issues(
    error: ValidationError,
    data: Mapping[str, Any],
    positions: Mapping[KeyPath, Span],
    path: str,
) -> list[Issue]:
    issues: list[Issue] = []
    for item in error.errors():
        key_path = _data_path(data, item["loc"])
        location = locate(positions, key_path, path)
        if item["type"] == "extra_forbidden" and key_path:
            key, parent = key_path[-1], key_path[:-1]
            model = _model_at(parent)
            known = sorted(model.model_fields) if model else []
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            where = f"[{format_key_path(parent)}]" if parent else "the top level"
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else (f"known keys: {', '.join(known)}" if known else None)
            )
            issues.append(
                Issue(
                    "unknown-key", f"unknown key {str(key)!r} in {where}", location, "error", hint
                )
            )
            continue
        shown = format_key_path(key_path) or "manifest"
        issues.append(Issue("schema", f"{shown} {_phrase(item)}", location, "error"))
    issues.sort(key=lambda i: (i.location.line or 0, i.location.column or 0))
    return issues


def _cross_checks(manifest: Manifest, positions: Mapping[KeyPath, Span], path: str) -> list[Issue]:
    issues: list[Issue] = []
    names = sorted(manifest.scenarios)

    def check_scenario(name: str | None, key_path: KeyPath) -> None:
        if name is None or name in manifest.scenarios:
            return
        close = difflib.get_close_matches(name, names, n=1)
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else (
                f"defined scenarios: {', '.join(names)}"
                if names
                else "add a [scenarios.<name>] table"
            )
        )
        issues.append(
            Issue(
                "unknown-scenario",
                f"{format_key_path(key_path)} names scenario {name!r}, which is not defined",
                locate(positions, key_path, path),
                "error",
                hint,
            )
        )

    check_scenario(manifest.defaults.scenario, ("defaults", "scenario"))
    for prompt_id, entry in manifest.prompts.items():
        check_scenario(entry.scenario, ("prompts", prompt_id, "scenario"))
    return issues


MAX_NESTING = 64
_OPENERS = re.compile(r"""[\[{\]}"'#\n\\]""")


def _too_deep(text: str, path: str) -> Issue | None:
    """A located error for arrays or inline tables nested deeper than MAX_NESTING (a manifest
    needs three or four): 5,000 levels once ended in a RecursionError traceback. Counts the
    brackets outside strings and comments; a header line's `[[…]]` nests nothing."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return None
    depth, line, quote, comment, escaped = 0, 1, "", False, False
    line_begin = 0
    for match in _OPENERS.finditer(text):
        char = match.group()
        if char == "\n":
            line, comment, line_begin = line + 1, False, match.end()
            if quote in ('"', "'"):
                quote = ""  # a one-line string cannot go on: tomllib reports it
            continue
        if comment:
            continue
        if quote:
            if char == "\\" and quote == '"':
                escaped = not escaped
                continue
            if char == quote and not escaped:
                quote = ""
            escaped = False
            continue
        if char in "\"'":
            quote = char
        elif char == "#":
            comment = True
        elif char in "[{" and not (
            char == "[" and depth == 0 and not text[line_begin : match.start()].strip()
        ):  # a table header's brackets nest nothing
            depth += 1
            if depth > MAX_NESTING:
                column = match.start() - text.rfind("\n", 0, match.start())
                return Issue(
                    "toml-syntax",
                    f"arrays or inline tables nested more than {MAX_NESTING} deep",
                    Location(path, line, column),
                    "error",
                )
        elif char in "]}" and depth:
            depth -= 1
    return None


def analyze_manifest(text: str, path: str = MANIFEST_FILENAME) -> ManifestAnalysis:
    """Parse and validate manifest text. Never raises for bad input: issues say what and where."""
    deep = _too_deep(text, path)
    if deep is not None:
        return ManifestAnalysis(None, (deep,))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return ManifestAnalysis(None, (_syntax_issue(error, text, path),))
    except ValueError as error:  # an integer past Python's 4,300-digit conversion limit
        long = re.search(r"[0-9_]{4000,}", text)
        start = long.start() if long else 0
        line = text.count("\n", 0, start) + 1
        column = start - text.rfind("\n", 0, start)
        where = Location(path, line, column)
        message = f"a number too long to read ({error})".replace(
            "; use sys.set_int_max_str_digits() to increase the limit", ""
        )
        return ManifestAnalysis(None, (Issue("toml-syntax", message, where, "error"),))
    positions = key_spans(text)
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as error:
        return ManifestAnalysis(None, tuple(_schema_issues(error, data, positions, path)))
    manifest._path = path
    manifest._positions = positions
    issues = _cross_checks(manifest, positions, path)
    if any(issue.severity == "error" for issue in issues):
        return ManifestAnalysis(None, tuple(issues))
    return ManifestAnalysis(manifest, tuple(issues))


def parse_manifest(text: str, path: str = MANIFEST_FILENAME) -> Manifest:
    """A valid Manifest, or ManifestSchemaError listing every located problem."""
    analysis = analyze_manifest(text, path)
    if analysis.manifest is None:
        raise ManifestSchemaError(analysis.errors or analysis.issues)
    return analysis.manifest


def load_manifest(file: Path, display_path: str | None = None) -> Manifest:
    """Read (UTF-8, size-limited) and validate a manifest file."""
    shown = display_path or str(file)
    text = read_text_file(file, MANIFEST_LIMIT_BYTES, display_path=shown, what="the manifest").text
    return parse_manifest(text, shown)


def find_manifest(root: Path) -> Path | None:
    """`<root>/llm-cost.toml` when it exists (no upward search: the workspace root decides)."""
    candidate = root / MANIFEST_FILENAME
    return candidate if candidate.is_file() else None


def find_manifest_upward(start: Path) -> Path | None:
    """The nearest llm-cost.toml in `start` or a folder above it, as ruff finds pyproject.toml.

    The search stops at the repository's top (the folder holding `.git`): a manifest above the
    repository belongs to something else."""
    current = Path(os.path.abspath(start))
    while True:
        candidate = current / MANIFEST_FILENAME
        if candidate.is_file():
            return candidate
        if (current / ".git").exists() or current.parent == current:
            return None
        current = current.parent
