"""`record(...)`: hand a call's usage to a bounded buffer and return; a background thread
normalises, prices and writes it. Nothing here blocks or raises into the caller.

The buffer holds at most `capacity` calls (waiting or being retried). When the store is down
(PostgreSQL unreachable, SQLite locked, disk full) batches stay buffered and are retried with
back-off; past the capacity new calls are dropped and counted in `stats().dropped`. A malformed
usage is counted in `rejected` (with the last reason). `close()` (also run at exit) flushes.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from llmcost_lsp.core.ledger.otlp import SpanUsage, call_row
from llmcost_lsp.core.ledger.price import Pricer
from llmcost_lsp.core.ledger.rows import CallRow, day_of, make_row, parse_day
from llmcost_lsp.core.ledger.store import SqlStore, WriterStats
from llmcost_lsp.core.ledger.usage import Usage, normalise_usage

log = logging.getLogger(__name__)
DEFAULT_CAPACITY = 100_000
_BATCH = 2_000


@dataclass(frozen=True)
class RecorderStats:
    recorded: int  # calls handed to record()
    written: int  # rows inserted in the ledger
    duplicates: int  # calls already in the ledger (same response id)
    dropped: int  # calls lost because the buffer was full
    rejected: int  # malformed usage that could not be read
    write_errors: int  # failed write attempts (each retried)
    pending: int  # calls waiting in the buffer
    last_error: str | None


class _Pending(NamedTuple):
    """A call as record() took it (a tuple: the cheapest object to build on the app's thread)."""

    usage: Any
    ts: int
    key: str | None
    prompt_id: str | None
    project: str | None
    user_id: str | None
    session_id: str | None
    tags: Mapping[str, Any] | None
    source: str
    mode: str | None
    model: str | None
    provider: str | None


_new_pending = tuple.__new__


class Recorder:
    """A bounded buffer in front of a ledger store, drained by one daemon thread."""

    def __init__(
        self,
        store_factory: Callable[[], SqlStore],
        pricer_factory: Callable[[], Pricer],
        *,
        capacity: int = DEFAULT_CAPACITY,
        flush_interval_s: float = 0.2,
        max_backoff_s: float = 5.0,
        clock: Callable[[], float] | None = None,
        project: str | None = None,
    ) -> None:
        """`clock` gives the time of a call in Unix seconds (default: `Settings.now()`, which
        LLMCOST_NOW pins); `project` is the project of calls recorded without one."""
        self.project = project
        self._store_factory = store_factory
        self._pricer_factory = pricer_factory
        self._store: SqlStore | None = None
        self._pricer: Pricer | None = None
        self.capacity = capacity
        self._queue: deque[_Pending] = deque()
        self._retry: list[CallRow] = []
        self._interval = flush_interval_s
        self._max_backoff = max_backoff_s
        if clock is None:
            from llmcost_lsp.core.settings import Settings

            # the one clock: LLMCOST_NOW when pinned, else the system clock it would read
            clock = Settings.from_env().clock()
        self._clock = clock
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._recorded = self._written = self._duplicates = 0
        self._dropped = self._rejected = self._write_errors = 0
        self._last_error: str | None = None
        self._id = uuid.uuid4().hex
        self._started = int(self._clock() * 1_000_000)
        self._thread = threading.Thread(target=self._run, name="llm-cost-ledger", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # -- the caller's side: constant time, never raises ------------------------------------

    def record(
        self,
        usage: Any,
        *,
        prompt_id: str | None = None,
        response_id: str | None = None,
        model: str | None = None,
        provider: str | None = None,
        user: str | None = None,
        session: str | None = None,
        project: str | None = None,
        tags: Mapping[str, Any] | None = None,
        source: str = "api",
        mode: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Queue one call; False when it was dropped (buffer full or recorder closed).

        `usage` is a `Usage` or any usage object `normalise_usage` reads (OpenAI, Anthropic,
        LangChain, Gemini, Bedrock ...); it is read on the writer thread, not here."""
        try:
            self._recorded += 1
            if self._closed or len(self._queue) + len(self._retry) >= self.capacity:
                self._dropped += 1
                return False
            ts = int((at.timestamp() if at else self._clock()) * 1_000_000)
            # tuple.__new__: a named tuple's own __new__ is a Python call, ~1 µs on this path
            self._queue.append(
                _new_pending(_Pending, (usage, ts, response_id, prompt_id,
                                        project or self.project, user, session, tags, source,
                                        mode, model, provider))
            )  # fmt: skip
            if self._idle.is_set():
                self._idle.clear()
            return True
        except Exception:  # never break the caller
            self._dropped += 1
            return False

    def stats(self) -> RecorderStats:
        return RecorderStats(
            self._recorded, self._written, self._duplicates, self._dropped, self._rejected,
            self._write_errors, len(self._queue) + len(self._retry), self._last_error,
        )  # fmt: skip

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything queued so far is written (True) or `timeout_s` passes."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self._queue and not self._retry and self._idle.is_set():
                return True
            self._wake.set()
            self._idle.wait(min(0.05, max(0.0, deadline - time.monotonic())))
        return not self._queue and not self._retry

    def close(self, timeout_s: float = 5.0) -> None:
        """Flush what can be flushed within `timeout_s`, then stop the writer thread, which
        closes its store (only that thread ever touches the connection). Calls still buffered
        when the store cannot take them are counted as dropped."""
        if self._closed:
            return
        self.flush(timeout_s)
        self._closed = True
        self._wake.set()
        self._thread.join(timeout_s)
        atexit.unregister(self.close)

    # -- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            self._drop_store()
            lost = len(self._queue) + len(self._retry)
            if lost:  # closed while the store was down: say what was lost
                self._dropped += lost
                self._queue.clear()
                self._retry = []
            self._idle.set()

    def _loop(self) -> None:
        backoff = 0.0
        while True:
            self._wake.wait(self._interval if backoff == 0 else backoff)
            self._wake.clear()
            if self._closed and not self._queue and not self._retry:
                return
            try:
                ok = self._drain()
            except Exception as error:  # a bug must not kill the thread
                log.exception("ledger writer")
                self._last_error = f"{type(error).__name__}: {error}"
                ok = False
            if ok:
                backoff = 0.0
                if not self._queue and not self._retry:
                    self._idle.set()
            else:
                if self._closed:
                    return
                backoff = min(self._max_backoff, max(0.1, backoff * 2))

    def _drain(self) -> bool:
        while self._queue or self._retry:
            batch = self._retry
            self._retry = []
            while self._queue and len(batch) < _BATCH:
                row = self._row(self._queue.popleft())
                if row is not None:
                    batch.append(row)
            if not batch:
                continue
            try:
                store = self._open()
                result = store.write(batch, self._saved_stats(batch))
            except Exception as error:
                self._retry = batch  # kept, retried after a back-off
                self._write_errors += 1
                self._last_error = f"{type(error).__name__}: {error}"
                self._drop_store()
                return False
            self._written += result.inserted
            self._duplicates += result.duplicates
        return True

    def _saved_stats(self, batch: list[CallRow]) -> WriterStats:
        """The counters saved with a batch (the store adds the batch's own outcome). Saved
        under the recorder's project, else the batch's: with row-level security a writer
        may write only its project's rows."""
        import os
        import socket

        return WriterStats(
            self._id, self.project or (batch[0].project if batch else ""),
            socket.gethostname()[:128], os.getpid(), self._started,
            int(self._clock() * 1_000_000), self._recorded, self._written, self._duplicates,
            self._dropped, self._rejected, self._write_errors,
        )  # fmt: skip

    def _open(self) -> SqlStore:
        if self._store is None:
            self._store = self._store_factory()
        return self._store

    def _drop_store(self) -> None:
        # a broken connection is reopened on the next attempt
        if self._store is not None:
            with contextlib.suppress(Exception):
                self._store.close()
            self._store = None

    def _row(self, item: _Pending) -> CallRow | None:
        try:
            usage = item.usage
            if isinstance(usage, SpanUsage):
                call = usage.call()
                if call is None:
                    return None
                if not call.ts:  # a span without an end time: when it was recorded
                    call = replace(call, ts=item.ts)
                if not call.project and item.project:  # the recorder's project by default
                    call = replace(call, project=item.project)
                if self._pricer is None:
                    self._pricer = self._pricer_factory()
                return call_row(call, self._pricer, item.source)
            if not isinstance(usage, Usage):
                usage = normalise_usage(usage, model=item.model, provider=item.provider)
            elif item.model and not usage.model:
                usage = replace(usage, model_responded=item.model)
            if self._pricer is None:
                self._pricer = self._pricer_factory()
            price = self._pricer.price(usage, parse_day(day_of(item.ts)), item.mode)
            key = item.key or usage.response_id
            request_key = key or None
            return make_row(
                usage,
                price,
                request_key=request_key or f"uuid:{uuid.uuid4().hex}",
                ts=item.ts,
                price_db=self._pricer.version,
                prompt_id=item.prompt_id,
                project=item.project,
                user_id=item.user_id,
                session_id=item.session_id,
                tags=item.tags,
                source=item.source,
                mode=item.mode,
            )
        except Exception as error:
            self._rejected += 1
            self._last_error = f"{type(error).__name__}: {error}"
            return None
