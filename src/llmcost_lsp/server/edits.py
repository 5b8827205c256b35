"""Workspace edits: the smallest TextEdit between two texts, and the edit that switches a model."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from llmcost_lsp.core.code.model import ModelRef
from llmcost_lsp.core.manifest import MANIFEST_FILENAME
from llmcost_lsp.core.manifest.edit import set_value
from llmcost_lsp.server.capabilities import takes_document_changes
from llmcost_lsp.server.convert import path_to_uri, units
from llmcost_lsp.server.state import Folder, LlmCostServer


def _position(text: str, offset: int) -> types.Position:
    line = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    return types.Position(line, units(text[line_start:offset]))


def minimal_edit(old: str, new: str) -> types.TextEdit | None:
    """One TextEdit turning `old` into `new`, touching only what differs (None: equal)."""
    if old == new:
        return None
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    start, old_end, new_end = prefix, len(old) - suffix, len(new) - suffix
    return types.TextEdit(
        range=types.Range(_position(old, start), _position(old, old_end)),
        new_text=new[start:new_end],
    )


def text_edit(ls: LlmCostServer, path: Path, old: str, new: str) -> types.WorkspaceEdit | None:
    """A WorkspaceEdit for one file, versioned when the client takes document changes."""
    edit = minimal_edit(old, new)
    if edit is None:
        return None
    uri = path_to_uri(path)
    if takes_document_changes(ls.client_capabilities):
        document = types.OptionalVersionedTextDocumentIdentifier(
            uri=uri, version=ls.versions.get(uri)
        )
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=document, edits=[edit])]
        )
    return types.WorkspaceEdit(changes={uri: [edit]})


def switch_model_edit(
    ls: LlmCostServer, folder: Folder, prompt_id: str, model_id: str
) -> types.WorkspaceEdit | None:
    """Worker-side: edit the model's string literal when the model is written in source code,
    else set `model` in `[prompts.<id>]` of llm-cost.toml, keeping every comment."""
    literal = folder.workspace.model_literal(prompt_id) if folder.workspace else None
    if literal is not None:
        return _code_model_edit(ls, folder, literal[0], literal[1], model_id)
    path = folder.root / MANIFEST_FILENAME
    old = ls.file_text(folder, MANIFEST_FILENAME)
    if old is None:
        return None
    new = set_value(old, ["prompts", prompt_id, "model"], model_id)
    return text_edit(ls, path, old, new)


def _code_model_edit(
    ls: LlmCostServer, folder: Folder, rel: str, literal: ModelRef, model_id: str
) -> types.WorkspaceEdit | None:
    """Replace the model's string literal in source code, keeping its quotes."""
    old = ls.file_text(folder, rel)
    if old is None:
        return None
    lines = old.split("\n")
    if not 0 < literal.line <= len(lines):
        return None
    line = lines[literal.line - 1]
    quoted = line[literal.column : literal.end_column]
    if len(quoted) < 2 or quoted[0] not in "\"'`" or quoted[-1] != quoted[0]:
        return None  # the text moved since it was scanned
    lines[literal.line - 1] = (
        line[: literal.column] + quoted[0] + model_id + quoted[0] + line[literal.end_column :]
    )
    return text_edit(ls, folder.root / rel, old, "\n".join(lines))
