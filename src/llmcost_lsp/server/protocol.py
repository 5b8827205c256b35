"""JSON-RPC over stdio that survives a bad client: framing, limits, and answers to every fault.

pygls 2.1.1's stdio loop reads a body of any declared length (`Content-Length: 10^12` killed the
server with MemoryError), never answers a request it cannot parse (the client waits forever),
loses sync on a malformed header, and keeps the finished future of every notification handled
by a coroutine (2.8 KB each: a long editing session grew without bound). This module replaces
that loop and patches the protocol; the rest of pygls is used as it is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger("llmcost_lsp.server.protocol")

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a 20 MB document, JSON-escaped, fits
MAX_HEADER_LINE_BYTES = 64 * 1024
_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)
PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602
REQUEST_FAILED = -32803  # LSP: a valid request that failed; the message says why
_PRUNE_EVERY = 256


class Protocol(LanguageServerProtocol):
    """pygls' LSP protocol with fixes: a notification's future is dropped once done, a second
    `initialize` is answered with an error instead of re-initialising a live session, a request
    after `shutdown` gets an error instead of silence, and a handler cancelled by `exit` stays
    quiet."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_seen = False
        self._notifications: list[Any] = []  # ids of notification futures pygls keeps

    def _execute_handler(  # type: ignore[no-untyped-def]
        self, msg_id, handler, callback, args=None, kwargs=None
    ) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        if getattr(callback, "func", None) == self._send_handler_result:
            return  # a request: pygls drops its future when it answers
        # a notification (or a step of a built-in one): pygls keeps its future forever. Finished
        # ones are dropped here, in batches, never from a done-callback: pygls' shutdown walks
        # the futures and cancels them, and a callback popping one then would break its loop.
        self._notifications.append(msg_id)
        if len(self._notifications) >= _PRUNE_EVERY:
            kept = []
            for key in self._notifications:
                future = self._request_futures.get(key)
                if future is not None and not future.done():
                    kept.append(key)
                else:
                    self._request_futures.pop(key, None)
            self._notifications = kept

    def _run_generator(  # type: ignore[no-untyped-def]
        self, future, *, gen, result_future
    ) -> None:
        if future is not None and future.cancelled():
            # a built-in handler's step cancelled as the loop stops (`exit` while `initialized`
            # still ran): pygls read its result and printed a CancelledError traceback
            result_future.cancel()
            return
        super()._run_generator(future, gen=gen, result_future=result_future)

    def _send_response(  # type: ignore[no-untyped-def]
        self, msg_id, result=None, error=None
    ) -> None:
        if error is not None and error.data is not None:
            # pygls puts the Python traceback (local paths) in every internal error: it is in
            # the server's log, not for the client
            error = types.ResponseError(error.code, error.message)
        super()._send_response(msg_id, result, error)

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        if self._shutdown and method not in (None, types.EXIT) and hasattr(message, "id"):
            # pygls drops it without a word and the client waits: the spec's InvalidRequest
            self.send_error(message.id, INVALID_REQUEST, "the server is shut down")
            return
        super().handle_message(message)

    def _handle_request(self, msg_id: Any, method_name: str, params: Any) -> None:
        if method_name == types.INITIALIZE:
            if self.initialize_seen:
                self.send_error(msg_id, INVALID_REQUEST, "the server is already initialized")
                return
            self.initialize_seen = True
        super()._handle_request(msg_id, method_name, params)

    def send_error(self, msg_id: Any, code: int, message: str) -> None:
        """A JSON-RPC error response (`msg_id` None when the request's id is unknown)."""
        self._send_data(
            {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}
        )


class BoundedReader:
    """Blocking reads of stdin on a thread, each with a size bound, and bytes put back."""

    def __init__(self, stdin: BinaryIO, executor: ThreadPoolExecutor | None = None) -> None:
        self.stdin, self.executor = stdin, executor
        self.back = b""  # read too far (the start of the next message): read again first

    async def readline(self) -> bytes:
        if self.back:
            line, newline, rest = self.back.partition(b"\n")
            if newline:
                self.back = rest
                return line + newline
            self.back = b""
            return line + await self._call(self.stdin.readline, MAX_HEADER_LINE_BYTES)
        return await self._call(self.stdin.readline, MAX_HEADER_LINE_BYTES)

    async def read(self, size: int) -> bytes:
        head, self.back = self.back[:size], self.back[size:]
        if len(head) == size:
            return head
        return head + await self._call(self.stdin.read, size - len(head))

    async def _call(self, function: Callable[[int], bytes], size: int) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, function, size)


async def serve(
    stop: threading.Event,
    reader: BoundedReader,
    protocol: Protocol,
    report: Callable[[Exception, Any], Any] | None = None,
) -> None:
    """Read framed messages until end of input (or `stop`), and hand each to `protocol`.

    A header block is the lines up to a blank one; the one `Content-Length` (any case, LF or
    CRLF) gives the body's size. Faults are answered and skipped, never fatal: a block without
    a usable length, or a body larger than MAX_MESSAGE_BYTES, is refused and the stream is read
    on until the next `Content-Length` line (also one glued to the end of a body that was
    longer than declared); a body that is not JSON gets -32700, a request whose params do not
    fit its method -32602, each with the request's id when it can be read."""
    pending: bytes | None = None  # a header line found glued to the end of a bad body
    while not stop.is_set():
        length, pending, ended = await _headers(reader, protocol, pending)
        if ended:
            return
        if length is None:
            continue
        body = await reader.read(length)
        if len(body) < length:
            return  # end of input inside a body
        reader.back = _dispatch(body, protocol, report) + reader.back


async def _headers(
    reader: BoundedReader, protocol: Protocol, pending: bytes | None
) -> tuple[int | None, bytes | None, bool]:
    """(body length or None when refused, a glued header line for next time, end of input)."""
    length: bytes | None = None
    seen_any = False
    while True:
        line = pending if pending is not None else await reader.readline()
        pending = None
        if not line:
            return None, None, True
        match = _CONTENT_LENGTH.search(line)
        if match is not None and match.start() > 0:
            # garbage before a header (the rest of a body longer than declared): resync on it
            log.error("skipped %d bytes before a Content-Length header", match.start())
            line = line[match.start() :]
            match = _CONTENT_LENGTH.search(line)
            length, seen_any = None, False
        if match is not None:
            length, seen_any = match.group(1).strip(), True
            continue
        if line.strip():
            seen_any = True  # another header (Content-Type) or garbage
            continue
        if not seen_any:
            continue  # a stray blank line between messages
        break
    if length is None:
        log.error("a message without a Content-Length header: skipped")
        protocol.send_error(None, INVALID_REQUEST, "missing Content-Length header")
        return None, None, False
    try:
        size = int(length)
    except ValueError:
        size = -1
    if size < 0:
        log.error("invalid Content-Length %r: skipped", length[:40])
        protocol.send_error(None, INVALID_REQUEST, f"invalid Content-Length {length[:40]!r}")
        return None, None, False
    if size > MAX_MESSAGE_BYTES:
        log.error(
            "a message of %d bytes is over the %d-byte limit: skipped", size, MAX_MESSAGE_BYTES
        )
        protocol.send_error(
            None,
            INVALID_REQUEST,
            f"message of {size} bytes is over the {MAX_MESSAGE_BYTES}-byte limit",
        )
        return None, None, False  # the body is read on as garbage until the next header
    return size, None, False


def _dispatch(
    body: bytes, protocol: Protocol, report: Callable[[Exception, Any], Any] | None
) -> bytes:
    """Handle one body; returns what followed a complete JSON value in it (a Content-Length
    larger than the message: the start of the next one, to be read again)."""
    rest = b""
    try:
        raw = json.loads(body)
    except json.JSONDecodeError as error:
        if error.msg != "Extra data":
            log.error("a message that is not JSON: %s", error)
            protocol.send_error(None, PARSE_ERROR, f"parse error: {error}")
            return b""
        end = len(error.doc[: error.pos].encode("utf-8"))
        log.error("a Content-Length %d bytes too long: the rest is read again", len(body) - end)
        body, rest = body[:end], body[end:]
        raw = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        log.error("a message that is not JSON: %s", error)
        protocol.send_error(None, PARSE_ERROR, f"parse error: {error}")
        return b""
    if not isinstance(raw, dict):
        protocol.send_error(None, INVALID_REQUEST, "a message must be a JSON object")
        return rest
    msg_id = raw.get("id")
    is_request = "method" in raw and "id" in raw
    try:
        message = protocol.structure_message(raw)
    except JsonRpcInvalidParams:
        if is_request:
            protocol.send_error(msg_id, INVALID_PARAMS, f"invalid params for {raw['method']!r}")
        return rest
    except Exception as error:
        log.exception("cannot read a message")
        if is_request:
            protocol.send_error(msg_id, INVALID_REQUEST, f"cannot read the request: {error}")
        return rest
    try:
        protocol.handle_message(message)
    except Exception as error:
        log.exception("unable to handle a message")
        if report is not None:
            report(error, type(error))
    return rest
