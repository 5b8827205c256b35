"""Server state: one `Folder` (a core `Workspace`) per workspace folder, settings, the work queue.

Every read or change of a Workspace runs on one worker thread, in arrival order, so the event
loop stays responsive while a folder indexes and no two handlers touch a Workspace at once.
Features are functions of this state; what a feature keeps (a diff's base) lives on its Folder.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from llmcost_lsp import __version__
from llmcost_lsp.core.check import FindingsMemo
from llmcost_lsp.core.code import language_of
from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.manifest import MANIFEST_FILENAME
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.textfile import read_text_file
from llmcost_lsp.core.workspace import Workspace
from llmcost_lsp.server.baseline import Baseline
from llmcost_lsp.server.config import ServerConfig
from llmcost_lsp.server.convert import path_to_uri, uri_to_path
from llmcost_lsp.server.protocol import BoundedReader, Protocol, serve

T = TypeVar("T")
log = logging.getLogger("llmcost_lsp.server")


@dataclass
class Folder:
    """A workspace folder; `workspace` is set once indexing is done (await `ready`)."""

    root: Path
    workspace: Workspace | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    # what each URI was last sent: a refresh publishes only what changed
    published: dict[str, list[types.Diagnostic]] = field(default_factory=dict)
    edits: int = 0  # bumped on every change; a refresh computed for an older value is dropped
    memo: FindingsMemo = field(default_factory=FindingsMemo)  # prompt findings of the last check
    refresh_task: asyncio.Task[None] | None = None
    baseline: Baseline | None = None  # the base of the last `llmcost.diff`: live deltas

    def set_baseline(self, baseline: Baseline | None) -> Baseline | None:
        """Replace the diff's base; returns the old one (to be closed on the worker)."""
        old, self.baseline = self.baseline, baseline
        return old

    def contains(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.root)
        except ValueError:
            return False
        return True

    def relative(self, path: Path) -> str | None:
        return self.workspace.relative(path) if self.workspace else None

    def is_tracked(self, path: Path) -> bool:
        """The manifest, a known prompt, or source code (which may call an LLM): files whose
        text changes an estimate."""
        workspace = self.workspace
        if workspace is None:
            return False
        rel = workspace.relative(path)
        if rel is not None and language_of(rel) is not None:
            return True
        return rel == MANIFEST_FILENAME or workspace.prompt_for_path(path) is not None


class LlmCostServer(LanguageServer):
    """The pygls server plus llm-cost's state; features get it as their first argument."""

    def __init__(self) -> None:
        super().__init__(
            "llmcost-lsp",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=Protocol,
        )
        self.config = ServerConfig()
        self.folders: list[Folder] = []
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmcost-worker")
        self.versions: dict[str, int] = {}
        self.env_settings = Settings.from_env()
        self.background: set[asyncio.Task[Any]] = set()
        self.on_shutdown: list[Callable[[], Any]] = []
        self.exit_code = 0  # what the process exits with (the LSP spec's 1 for exit unannounced)
        # coalesced document changes (features/documents.py): the newest text per URI not yet
        # applied, and the URIs whose apply job is queued on the worker
        self.newest_text: dict[str, str | None] = {}
        self.queued_changes: set[str] = set()

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """LSP on stdio through server/protocol.py's loop: bounded reads, every fault answered."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        reader = BoundedReader(stdin or sys.stdin.buffer, self.thread_pool)
        try:
            protocol = self.protocol
            assert isinstance(protocol, Protocol)
            asyncio.run(serve(self._stop_event, reader, protocol, self.report_server_error))
        except BrokenPipeError:
            log.error("the connection to the client is lost: shutting down")
        except SystemExit as stop:  # the `exit` notification: 1 when no `shutdown` came first
            self.exit_code = stop.code if isinstance(stop.code, int) else 0
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    # -- work queue ----------------------------------------------------------------------------

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` on the worker thread, after everything queued before it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(function, *args))

    def spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        """A background task kept alive until done; its exception is logged, never lost."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.background.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self.background.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.error("background task failed", exc_info=finished.exception())

        task.add_done_callback(done)
        return task

    # -- folders and documents -----------------------------------------------------------------

    def folder_for(self, uri: str) -> Folder | None:
        path = uri_to_path(uri)
        if path is None:
            return None
        matches = [f for f in self.folders if f.contains(path)]
        return max(matches, key=lambda f: len(f.root.parts), default=None)

    async def ready_folder(self, uri: str) -> Folder | None:
        """The indexed folder of `uri`, waiting for indexing to finish."""
        folder = self.folder_for(uri)
        if folder is None:
            return None
        await folder.ready.wait()
        return folder if folder.workspace is not None else None

    def open_text_of(self, uri: str) -> str | None:
        """The editor's text of an open document, else None."""
        if uri not in self.versions:
            return None
        return self.workspace.get_text_document(uri).source

    def open_text(self, path: Path) -> str | None:
        return self.open_text_of(path_to_uri(path))

    def file_text(self, folder: Folder, rel: str | None) -> str | None:
        """A workspace file's text for ranges: the editor's, the prompt's, or the disk's."""
        if rel is None:
            return None
        path = folder.root / rel
        text = self.open_text(path)
        if text is not None:
            return text
        workspace = folder.workspace
        prompt = workspace.prompt_for_path(path) if workspace else None
        if prompt is not None:
            return prompt.text
        try:
            return read_text_file(path, display_path=rel).text
        except (LlmCostError, OSError):
            return None

    # -- settings ------------------------------------------------------------------------------

    @property
    def ci(self) -> bool:
        return self.env_settings.ci if self.config.ci is None else self.config.ci

    def pricing_now(self) -> datetime:
        return self.config.pricing_now or self.env_settings.now()

    def report_server_error(self, error: Exception, source: Any) -> None:
        # Out-of-band errors (a failed notification handler): log them, no pop-up per keystroke.
        log.error("error in server (%s): %s", getattr(source, "__name__", source), error)
        try:
            self.window_log_message(
                types.LogMessageParams(types.MessageType.Error, f"llm-cost: {error}")
            )
        except Exception:  # the connection itself may be gone
            log.debug("could not send the error to the client", exc_info=True)
