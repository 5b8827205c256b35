"""Which prompt a place in an editor is about: a prompt file, or a `[prompts.<id>]` table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llmcost_lsp.core.code import language_of
from llmcost_lsp.core.manifest import MANIFEST_FILENAME
from llmcost_lsp.core.manifest.positions import table_headers
from llmcost_lsp.core.workspace import Workspace


@dataclass(frozen=True)
class PromptPlace:
    prompt_id: str
    in_manifest: bool
    line: int  # 0-based line the hint goes after: the file's first line or the table header


def manifest_prompt_lines(workspace: Workspace) -> dict[str, int]:
    """0-based line of each prompt entry in the (valid) manifest: its header or its key."""
    manifest = workspace.manifest
    if manifest is None:
        return {}
    lines: dict[str, int] = {}
    for prompt_id in manifest.prompts:
        location = manifest.location_of("prompts", prompt_id)
        if location.line is not None:
            lines[prompt_id] = location.line - 1
    return lines


def prompt_table_at(manifest_text: str, line: int) -> str | None:
    """The id of the `[prompts.<id>]` table (or sub-table) holding 0-based `line`."""
    try:
        headers = table_headers(manifest_text)
    except Exception:  # a half-typed manifest: no table, no hover
        return None
    current: tuple[str | int, ...] | None = None
    for header_line, key_path in headers:
        if header_line - 1 > line:
            break
        current = key_path
    if current and len(current) >= 2 and current[0] == "prompts" and isinstance(current[1], str):
        return current[1]
    return None


def place_at(
    workspace: Workspace, path: Path, line: int, manifest_text: str | None
) -> PromptPlace | None:
    """The prompt at a position: the first line of a prompt file, or inside its manifest table."""
    rel = workspace.relative(path)
    if rel == MANIFEST_FILENAME:
        if manifest_text is None or workspace.manifest is None:
            return None
        prompt_id = prompt_table_at(manifest_text, line)
        if prompt_id is None or workspace.prompt(prompt_id) is None:
            return None
        header = manifest_prompt_lines(workspace).get(prompt_id, line)
        return PromptPlace(prompt_id, True, header)
    calls = call_prompts(workspace, path)
    if calls is not None:
        return next((PromptPlace(pid, False, at) for pid, at in calls if at == line), None)
    prompt = workspace.prompt_for_path(path)
    if prompt is None or line != 0:
        return None
    return PromptPlace(prompt.id, False, 0)


def prompt_places(workspace: Workspace, path: Path) -> list[tuple[str, int]]:
    """(prompt id, 0-based line) of each prompt shown in a file: the manifest's `[prompts.<id>]`
    headers, each LLM call in source code, or a prompt file's first line."""
    if workspace.relative(path) == MANIFEST_FILENAME:
        return sorted(manifest_prompt_lines(workspace).items(), key=lambda item: item[1])
    calls = call_prompts(workspace, path)
    if calls is not None:
        return calls  # the line of each call's `create(`
    prompt = workspace.prompt_for_path(path)
    return [(prompt.id, 0)] if prompt else []


def prompt_at(workspace: Workspace, rel: str, line: int) -> str | None:
    """The prompt at 1-based `line` of workspace file `rel`: the file's own prompt, or in source
    code the call on that line (None elsewhere)."""
    path = workspace.root / rel
    calls = call_prompts(workspace, path)
    if calls is not None:
        return next((prompt_id for prompt_id, at in calls if at == line - 1), None)
    prompt = workspace.prompt_for_path(path)
    return prompt.id if prompt is not None else None


def call_prompts(workspace: Workspace, path: Path) -> list[tuple[str, int]] | None:
    """Source code: (prompt id, 0-based line of its call) for each call's own prompt and each
    prompt file it sends; None for a file that is not source code."""
    rel = workspace.relative(path)
    if rel is None or language_of(rel) is None:
        return None
    places: list[tuple[str, int]] = []
    for site in workspace.code_sites(path):
        ids = [site.prompt_id] if site.prompt_id else []
        ids += [p.id for f in site.files if (p := workspace.prompt_for_path(workspace.root / f))]
        places.extend((prompt_id, site.line - 1) for prompt_id in ids)
    return places
