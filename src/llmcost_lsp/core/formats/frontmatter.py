"""YAML front matter (`---` … `---`) split from the body, with line numbers kept for both."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from llmcost_lsp.core.formats.model import Notice, Origin

_FENCE = re.compile(r"^(`{3,}|~{3,})\s*[\w.-]*\s*$")
_DELIMITER = re.compile(r"^---\s*$")
_CLOSING = re.compile(r"^(---|\.\.\.)\s*$")
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML mapping plus its node tree, to say on which file line a key sits."""

    data: Mapping[str, Any]
    node: yaml.MappingNode
    first_line: int  # file line of the document's first line

    def get(self, *path: str) -> tuple[Any, int] | None:
        """Value at a key path and its 1-based file line, or None when absent."""
        node: yaml.Node = self.node
        value: Any = self.data
        for key in path:
            if not isinstance(node, yaml.MappingNode) or not isinstance(value, Mapping):
                return None
            child = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if child is None or key not in value:
                return None
            node, value = child, value[key]
        return value, self.first_line + node.start_mark.line

    def first_string(self, paths: Sequence[tuple[str, ...]]) -> tuple[str, Origin] | None:
        """The first non-empty string found at one of `paths` (in order), with its origin."""
        for path in paths:
            found = self.get(*path)
            if found and isinstance(found[0], str | int | float) and str(found[0]).strip():
                return str(found[0]).strip(), Origin(".".join(path), found[1])
        return None

    def first_int(self, paths: Sequence[tuple[str, ...]]) -> tuple[int, Origin] | None:
        """The first integer found at one of `paths` (booleans are not integers)."""
        for path in paths:
            found = self.get(*path)
            if found and isinstance(found[0], int) and not isinstance(found[0], bool):
                return found[0], Origin(".".join(path), found[1])
        return None


def load_yaml(text: str, first_line: int) -> tuple[YamlDocument | None, Notice | None]:
    """Parse a YAML mapping; a notice (with the file line of the problem) instead of raising."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + mark.line if mark else first_line
        problem = error.problem or "syntax error"
        return None, Notice("yaml-error", f"YAML error: {problem}", line)
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        return None, Notice("yaml-error", f"YAML error: {error}", first_line)
    if node is None or data is None:
        return None, None
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, Mapping):
        return None, Notice("yaml-not-mapping", "YAML is not a mapping of keys", first_line)
    return YamlDocument(data, node, first_line), None


@dataclass(frozen=True)
class FrontMatter:
    """The YAML header (None when absent, empty or malformed) and the body after it."""

    document: YamlDocument | None
    body: str
    body_line: int
    present: bool
    notices: tuple[Notice, ...]


def _unwrap_fence(lines: list[str]) -> tuple[list[str], int, Notice | None]:
    """A file wrapped in a ````prompt fence: drop the fence lines, keep line numbers."""
    if len(lines) < 2 or not _FENCE.match(lines[0]) or not _DELIMITER.match(lines[1]):
        return lines, 0, None
    fence = _FENCE.match(lines[0])
    assert fence is not None
    marker = fence.group(1)
    end = len(lines)
    while end > 1 and not lines[end - 1].strip():
        end -= 1
    closing = lines[end - 1].strip()
    if end > 2 and closing[:1] == marker[0] and set(closing) == {marker[0]}:
        body = lines[1 : end - 1]
    else:
        body = lines[1:]
    notice = Notice(
        "fenced-file",
        f"the file is wrapped in a '{lines[0].strip()}' code fence; "
        "the fence lines are not counted",
        1,
    )
    return body, 1, notice


def split_front_matter(text: str) -> FrontMatter:
    """Split `---` YAML `---` from the body. Never raises: problems become notices."""
    lines = text.split("\n")
    lines, skipped, fence_notice = _unwrap_fence(lines)
    notices = [fence_notice] if fence_notice else []
    if not lines or not _DELIMITER.match(lines[0]):
        return FrontMatter(None, "\n".join(lines), 1 + skipped, False, tuple(notices))
    close = next((i for i in range(1, len(lines)) if _CLOSING.match(lines[i])), None)
    if close is None:
        notices.append(
            Notice(
                "front-matter-unclosed",
                "front matter starts with '---' but is never closed; the whole file is counted",
                1 + skipped,
            )
        )
        return FrontMatter(None, "\n".join(lines), 1 + skipped, False, tuple(notices))
    yaml_text = "\n".join(lines[1:close])
    document, notice = load_yaml(yaml_text, first_line=2 + skipped)
    if notice:
        notices.append(Notice(notice.code, f"front matter ignored: {notice.message}", notice.line))
    body = "\n".join(lines[close + 1 :])
    return FrontMatter(document, body, close + 2 + skipped, True, tuple(notices))
