"""pytest-lsp fixtures: the real server over stdio, driven with recorded VS Code and Neovim
client capabilities, on a temp copy of examples/ with the price DB's clock pinned."""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_helpers import wait_for
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from clock import suite_now

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
CLIENTS = ["visual-studio-code", "neovim"]


def pinned_now() -> str:
    """The suite's clock (tests/conftest.py), for the server's `pricingNow` setting."""
    return suite_now().isoformat()


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        return offsets[position.line] + position.character  # ASCII in these tests

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))[::-1]:
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


def apply_workspace_edit(edit: types.WorkspaceEdit) -> list[Path]:
    """Apply an edit to the files on disk, as an editor would (then saved); returns the files."""
    from llmcost_lsp.server.convert import uri_to_path

    touched: list[Path] = []
    for uri, edits in (edit.changes or {}).items():
        path = uri_to_path(uri)
        assert path is not None
        path.write_text(apply_text_edits(path.read_text(), list(edits)))
        touched.append(path)
    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            path = uri_to_path(change.uri)
            assert path is not None
            if not path.exists():
                path.write_text("")
            touched.append(path)
        elif isinstance(change, types.TextDocumentEdit):
            path = uri_to_path(change.text_document.uri)
            assert path is not None
            edits = [e for e in change.edits if isinstance(e, types.TextEdit)]
            path.write_text(apply_text_edits(path.read_text(), edits))
            touched.append(path)
    return touched


def make_client() -> LanguageClient:
    client = pytest_lsp.make_test_lsp_client()
    client.applied_edits: list[types.WorkspaceEdit] = []  # type: ignore[misc]
    client.registrations: list[types.Registration] = []  # type: ignore[misc]

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        client.applied_edits.append(params.edit)  # type: ignore[attr-defined]
        apply_workspace_edit(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def inlay_refresh(params: None) -> None:
        client.inlay_refreshes = getattr(client, "inlay_refreshes", 0) + 1  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def code_lens_refresh(params: None) -> None:
        client.lens_refreshes = getattr(client, "lens_refreshes", 0) + 1  # type: ignore[attr-defined]

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def message_request(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        wanted = getattr(client, "choose", None)
        for action in params.actions or []:
            if action.title == wanted:
                return action
        return None

    return client


SERVER = ClientServerConfig(
    server_command=[sys.executable, "-m", "llmcost_lsp", "--log-level", "warning"],
    client_factory=make_client,
)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(EXAMPLES, root)
    return root


Initialize = Callable[..., Any]


@pytest_lsp.fixture(config=SERVER, params=CLIENTS)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient) -> AsyncIterator[Any]:
    """A started server; call `await start(root, **options)` to initialize it on a folder."""
    started: list[bool] = []

    async def start(
        root: Path,
        capabilities: types.ClientCapabilities | None = None,
        *,
        wait_indexed: bool = True,
        **options: Any,
    ) -> types.InitializeResult:
        init = {"pricingNow": pinned_now(), "debounceMs": 10, "persistentCache": False}
        init.update(options)
        result = await lsp_client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities or pytest_lsp.client_capabilities(request.param),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                initialization_options=init,
            )
        )
        started.append(True)
        if wait_indexed:
            await wait_for(lambda: bool(progress_ended(lsp_client)), timeout=30)
        return result

    lsp_client.start = start  # type: ignore[attr-defined]
    lsp_client.client_name = request.param  # type: ignore[attr-defined]
    yield
    if started:
        await lsp_client.shutdown_session()


def progress_ended(client: LanguageClient) -> list[Any]:
    return [
        value
        for values in client.progress_reports.values()
        for value in values
        if isinstance(value, types.WorkDoneProgressEnd)
    ]
