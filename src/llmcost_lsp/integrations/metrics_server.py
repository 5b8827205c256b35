"""The Prometheus endpoint of `llm-cost actuals metrics`: GET /metrics on a thread, 127.0.0.1
by default. Each scrape renders the ledger as it is (no cache of figures); one scrape at a time
(one store connection). A ledger that cannot be read answers `llmcost_ledger_up 0` with the
reason in a comment, and the store is opened again on the next scrape: the exporter never
dies with its database."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llmcost_lsp.core.ledger.metrics import Exporter

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class MetricsServer:
    def __init__(
        self,
        make_exporter: Callable[[], Exporter],
        now: Callable[[], datetime],
        host: str = "127.0.0.1",
        port: int = 9464,
    ) -> None:
        self._make_exporter = make_exporter
        self._exporter: Exporter | None = None
        self._now = now
        self._lock = threading.Lock()
        self.scrapes = 0
        self.failures = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet by default
                return

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    status, body, kind = HTTPStatus.OK, server.scrape().encode(), CONTENT_TYPE
                elif path == "/":
                    status, kind = HTTPStatus.OK, "text/plain; charset=utf-8"
                    body = b"llm-cost ledger exporter: metrics at /metrics\n"
                else:
                    status, body, kind = HTTPStatus.NOT_FOUND, b"not found\n", "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self.address: tuple[str, int] = self._httpd.server_address[:2]  # type: ignore[assignment]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="llm-cost-metrics", daemon=True
        )

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def scrape(self) -> str:
        with self._lock:
            self.scrapes += 1
            try:
                if self._exporter is None:
                    self._exporter = self._make_exporter()
                text = self._exporter.render(self._now())
                return text + "# TYPE llmcost_ledger_up gauge\nllmcost_ledger_up 1\n"
            except Exception as error:  # any driver error: report it, reopen next time
                self.failures += 1
                self._drop()
                reason = str(error).replace("\n", " ")
                return (
                    f"# the ledger could not be read: {reason}\n"
                    "# HELP llmcost_ledger_up 1 when the last scrape read the ledger.\n"
                    "# TYPE llmcost_ledger_up gauge\nllmcost_ledger_up 0\n"
                )

    def _drop(self) -> None:
        if self._exporter is not None:
            with contextlib.suppress(Exception):  # already broken
                self._exporter.store.close()
            self._exporter = None

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            self._drop()
