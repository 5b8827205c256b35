"""A webhook receiver on 127.0.0.1 for the alert tests: records every request, answers from a
script (status, headers, or "hang" until the test ends), and checks the HMAC signature the way
a receiver would (401 on a wrong one)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    signature_ok: bool | None  # None: the server has no secret

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Hook:
    secret: bytes | None = None
    script: list[tuple[int | str, dict[str, str]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *answers: int | str | tuple[int, dict[str, str]]) -> None:
        """Next answers in order: a status, (status, headers), or "hang"; then 200."""
        for item in answers:
            self.script.append(item if isinstance(item, tuple) else (item, {}))

    def verify(self, headers: dict[str, str], body: bytes) -> bool | None:
        if self.secret is None:
            return None
        stamp = headers.get("x-llmcost-timestamp", "")
        expected = hmac.new(self.secret, stamp.encode() + b"." + body, hashlib.sha256)
        return hmac.compare_digest(
            headers.get("x-llmcost-signature", ""), "sha256=" + expected.hexdigest()
        )


def _handler(hook: Hook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            ok = hook.verify(headers, body)
            hook.received.append(Received(self.path, headers, body, ok))
            status, extra = hook.script.pop(0) if hook.script else (200, {})
            if status == "hang":
                hook.release.wait(30)  # the client gives up first
                return
            if ok is False:
                status = 401
            self.send_response(int(status))
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def serve(hook: Hook) -> Iterator[Hook]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hook))
    server.daemon_threads = True
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        hook.release.set()
        server.shutdown()
        server.server_close()
