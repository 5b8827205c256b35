"""What the client can do, read from its capabilities with pygls' `get_capability`.

Pure functions of `ClientCapabilities`, so they are unit-tested with the capabilities pytest-lsp
recorded from real editors (tests/server)."""

from __future__ import annotations

from lsprotocol import types
from pygls.capabilities import get_capability


def _has(capabilities: types.ClientCapabilities, field: str) -> bool:
    return bool(get_capability(capabilities, field, False))


def refreshes_inlay_hints(capabilities: types.ClientCapabilities) -> bool:
    return _has(capabilities, "workspace.inlay_hint.refresh_support")


def refreshes_code_lenses(capabilities: types.ClientCapabilities) -> bool:
    return _has(capabilities, "workspace.code_lens.refresh_support")


def pulls_configuration(capabilities: types.ClientCapabilities) -> bool:
    return _has(capabilities, "workspace.configuration")


def shows_progress(capabilities: types.ClientCapabilities) -> bool:
    return _has(capabilities, "window.work_done_progress")


def shows_documents(capabilities: types.ClientCapabilities) -> bool:
    return _has(capabilities, "window.show_document.support")


def registers_file_watchers(capabilities: types.ClientCapabilities) -> bool:
    return _has(capabilities, "workspace.did_change_watched_files.dynamic_registration")


def takes_document_changes(capabilities: types.ClientCapabilities) -> bool:
    """Versioned `documentChanges` in a WorkspaceEdit (else the plain `changes` map)."""
    return _has(capabilities, "workspace.workspace_edit.document_changes")


def creates_files(capabilities: types.ClientCapabilities) -> bool:
    """A WorkspaceEdit may create a file (`CreateFile` among its document changes)."""
    operations = get_capability(capabilities, "workspace.workspace_edit.resource_operations", [])
    return takes_document_changes(capabilities) and types.ResourceOperationKind.Create in (
        operations or []
    )
