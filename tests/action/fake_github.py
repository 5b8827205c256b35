"""A fake GitHub REST API on 127.0.0.1 for the action's comment script: issue comments with
pagination (Link headers), create and update, and injectable errors."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE_MAX = 100


@dataclass
class Recorded:
    method: str
    path: str
    authorization: str | None
    body: Any


@dataclass
class FakeGitHub:
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # PR number -> list
    requests: list[Recorded] = field(default_factory=list)
    fail: dict[str, tuple[int, str]] = field(default_factory=dict)  # method -> (status, message)
    next_link_host: str | None = None  # send a "next" link to another host (token leak test)
    url: str = ""
    _next_id: int = 1000

    def add_comment(self, number: int, body: str, login: str = "someone") -> dict[str, Any]:
        self._next_id += 1
        comment = {
            "id": self._next_id,
            "body": body,
            "user": {"login": login},
            "html_url": f"https://github.com/acme/support-bot/pull/{number}"
            f"#issuecomment-{self._next_id}",
        }
        self.comments.setdefault(number, []).append(comment)
        return comment


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length)) if length else None

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            body = self._body() if method != "GET" else None
            parts = urlsplit(self.path)
            state.requests.append(
                Recorded(method, parts.path, self.headers.get("Authorization"), body)
            )
            if method in state.fail:
                status, message = state.fail[method]
                self._send(status, {"message": message})
                return
            listing = re.fullmatch(r"/repos/acme/support-bot/issues/(\d+)/comments", parts.path)
            single = re.fullmatch(r"/repos/acme/support-bot/issues/comments/(\d+)", parts.path)
            if listing and method == "GET":
                number = int(listing.group(1))
                query = parse_qs(parts.query)
                per_page = min(int(query.get("per_page", ["30"])[0]), PAGE_MAX)
                page = int(query.get("page", ["1"])[0])
                items = state.comments.get(number, [])
                chunk = items[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(items):
                    host = state.next_link_host or state.url
                    headers["Link"] = (
                        f'<{host}{parts.path}?per_page={per_page}&page={page + 1}>; rel="next"'
                    )
                self._send(200, chunk, headers)
            elif listing and method == "POST":
                self._send(201, state.add_comment(int(listing.group(1)), body["body"], "bot"))
            elif single and method == "PATCH":
                for items in state.comments.values():
                    for comment in items:
                        if comment["id"] == int(single.group(1)):
                            comment["body"] = body["body"]
                            self._send(200, comment)
                            return
                self._send(404, {"message": "Not Found"})
            else:
                self._send(404, {"message": "Not Found"})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

    return Handler


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    state = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
