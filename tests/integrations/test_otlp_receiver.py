"""The OTLP/HTTP receiver refuses what is not an OTLP trace request with 400 and the reason,
accepts gzip JSON, answers 404 elsewhere, binds 127.0.0.1, and counts impossible spans."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
from pathlib import Path

from llmcost_lsp.core.ledger.api import make_recorder
from llmcost_lsp.core.ledger.store import open_store

from .conftest import require


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_bad_payloads_and_gzip_json(tmp_path: Path) -> None:
    require("google.protobuf", "opentelemetry.proto")
    from llmcost_lsp.integrations.otlp_receiver import OtlpReceiver

    ledger = str(tmp_path / "l.sqlite3")
    recorder = make_recorder(ledger)
    receiver = OtlpReceiver(recorder, port=0).start()
    host, port = receiver.address
    assert host == "127.0.0.1"
    url = f"http://{host}:{port}/v1/traces"
    proto = {"Content-Type": "application/x-protobuf"}
    try:
        status, body = _post(url, b"\xff\x00garbage", proto)
        assert status == 400 and "not an OTLP protobuf" in str(body["error"])
        status, body = _post(url, b"{nope", {"Content-Type": "application/json"})
        assert status == 400 and "not JSON" in str(body["error"])
        status, body = _post(url, b"[]", {"Content-Type": "application/json"})
        assert status == 400 and "resourceSpans" in str(body["error"])
        status, _ = _post(f"http://{host}:{port}/v1/metrics", b"", proto)
        assert status == 404
        spans = [
            {"traceId": "ab", "spanId": str(i), "endTimeUnixNano": "1795000000000000000",
             "attributes": [
                 {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
                 {"key": "gen_ai.usage.input_tokens", "value": {"intValue": str(tokens)}},
                 {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "5"}}]}
            for i, tokens in enumerate((100, 10**12))
        ]  # fmt: skip
        request = {"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}
        status, body = _post(
            url,
            gzip.compress(json.dumps(request).encode()),
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        assert status == 200
        assert body["partialSuccess"] == {
            "rejectedSpans": "1", "errorMessage": "impossible token counts"
        }  # fmt: skip
    finally:
        receiver.close()
        recorder.close()
    with open_store(ledger) as store:
        assert store.count() == 1
