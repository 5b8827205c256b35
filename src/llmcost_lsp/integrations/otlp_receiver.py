"""An OTLP/HTTP trace receiver (`llm-cost actuals receive`): services in any language export
their GenAI spans to it and it records them in the ledger. Binds 127.0.0.1 by default.

POST /v1/traces with `application/x-protobuf` (the exporters' default; decoded with
`opentelemetry-proto`) or `application/json`, optionally gzip-encoded. A malformed body gets
400 with the reason; spans whose usage is impossible are counted as rejected, the rest kept.
"""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llmcost_lsp.core.ledger.otlp import OtlpError, spans_of_request
from llmcost_lsp.core.ledger.recorder import Recorder
from llmcost_lsp.core.ledger.usage import UsageError

MAX_BODY_BYTES = 16 * 1024 * 1024
TRACES_PATH = "/v1/traces"


def decode_request(body: bytes, content_type: str) -> Any:
    """The ExportTraceServiceRequest in a body, as the protobuf JSON mapping (a dict)."""
    if "json" in content_type:
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise OtlpError(f"body is not JSON: {error}") from None
    from google.protobuf.json_format import MessageToDict
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    message = ExportTraceServiceRequest()
    try:
        message.ParseFromString(body)
    except DecodeError as error:
        raise OtlpError(f"body is not an OTLP protobuf trace request: {error}") from None
    # ids are bytes: MessageToDict writes base64; OTLP JSON (and our span keys) use hex
    data = MessageToDict(message)
    for r_index, resource in enumerate(message.resource_spans):
        for s_index, scope in enumerate(resource.scope_spans):
            for p_index, span in enumerate(scope.spans):
                target = data["resourceSpans"][r_index]["scopeSpans"][s_index]["spans"][p_index]
                target["traceId"], target["spanId"] = span.trace_id.hex(), span.span_id.hex()
    return data


class OtlpReceiver:
    """An HTTP server on a thread; `close()` stops it and flushes the recorder."""

    def __init__(
        self,
        recorder: Recorder,
        host: str = "127.0.0.1",
        port: int = 4318,
        *,
        prompt_attribute: str | None = None,
    ) -> None:
        self.recorder = recorder
        self.prompt_attribute = prompt_attribute
        self.accepted = 0
        self.rejected = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet by default
                return

            def do_POST(self) -> None:
                status, text = receiver.handle(self.path, dict(self.headers.items()), self.rfile)
                payload = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    def start(self) -> OtlpReceiver:
        self.thread.start()
        return self

    def handle(self, path: str, headers: dict[str, str], stream: Any) -> tuple[int, str]:
        lower = {k.lower(): v for k, v in headers.items()}
        if path.split("?")[0] != TRACES_PATH:
            return HTTPStatus.NOT_FOUND, json.dumps({"error": f"only {TRACES_PATH} is served"})
        try:
            length = int(lower.get("content-length", "0"))
        except ValueError:
            return HTTPStatus.BAD_REQUEST, json.dumps({"error": "bad Content-Length"})
        if length > MAX_BODY_BYTES:
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, json.dumps({"error": "body too large"})
        body = stream.read(length)
        try:
            if lower.get("content-encoding", "").lower() == "gzip":
                body = gzip.decompress(body)
            request = decode_request(body, lower.get("content-type", "application/x-protobuf"))
            calls = list(spans_of_request(request, self.prompt_attribute))
        except (OtlpError, OSError, EOFError, zlib.error) as error:
            self.rejected += 1
            message = error.message if isinstance(error, OtlpError) else str(error)
            return HTTPStatus.BAD_REQUEST, json.dumps({"error": message})
        rejected = 0
        for call in calls:
            if isinstance(call, UsageError):
                rejected += 1
                continue
            self.recorder.record(
                call.usage,
                response_id=call.key,
                prompt_id=call.prompt_id,
                user=call.user_id,
                session=call.session_id,
                project=call.project,
                tags=call.tags or None,
                source="otlp",
                at=None if not call.ts else _moment(call.ts),
            )
            self.accepted += 1
        self.rejected += rejected
        if rejected:
            # OTLP partial success: the rest was accepted
            return HTTPStatus.OK, json.dumps(
                {"partialSuccess": {"rejectedSpans": str(rejected),
                                    "errorMessage": "impossible token counts"}}
            )  # fmt: skip
        return HTTPStatus.OK, "{}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.recorder.flush(10.0)


def _moment(ts: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts / 1_000_000, UTC)
