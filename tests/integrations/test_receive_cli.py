"""`llm-cost actuals receive`: the real command in its own process, fed by the real OTLP/HTTP
exporter, stopped with Ctrl-C (SIGINT) or SIGTERM, which flush what it received into the
ledger. The receiver never outlives its test (the `background` fixture, processes.py)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llmcost_lsp.core.ledger.store import open_store

from .conftest import require
from .processes import stop as stop_process


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_receive_command_records_exported_spans(
    tmp_path: Path, stop: signal.Signals, background: Callable[..., subprocess.Popen[Any]]
) -> None:
    require("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    ledger = tmp_path / "ledger.sqlite3"
    port = _free_port()
    # SIGINT ignored at start, as for a command a shell runs in the background: Ctrl-C (and a
    # service manager's SIGTERM) must still stop it through its flush
    server = background(
        [sys.executable, "-m", "llmcost_lsp.cli.main", "actuals", "receive", "--ledger",
         str(ledger), "--bind", f"127.0.0.1:{port}"],
        stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    try:
        assert server.stderr is not None
        banner = server.stderr.readline()
        assert f"http://127.0.0.1:{port}/v1/traces" in banner
        provider = TracerProvider()
        exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces")
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracer = provider.get_tracer("svc")
        for index in range(5):
            with tracer.start_as_current_span("chat gpt-4o") as span:
                span.set_attributes(
                    {"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
                     "gen_ai.response.id": f"chatcmpl-{index}", "gen_ai.prompt.name": "search",
                     "gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 300,
                     "gen_ai.usage.cache_read.input_tokens": 1024}
                )  # fmt: skip
        provider.shutdown()
    finally:
        _, err = stop_process(server, stop)
    assert server.returncode == 0, err
    assert "5 calls written" in err
    with open_store(str(ledger)) as store:
        rows = list(store.iter_rows())
    assert [r.cost_pusd for r in rows] == [4_720_000_000] * 5  # 176x2.5 + 1024x1.25 + 300x10


def test_receive_refuses_a_bad_bind(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", "actuals", "receive", "--ledger",
         str(tmp_path / "l.sqlite3"), "--bind", "nonsense"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "is not HOST:PORT" in done.stderr


def test_receive_and_metrics_bind_loopback_unless_told() -> None:
    from llmcost_lsp.cli.main import build_parser

    parser = build_parser(["actuals", "receive"])
    assert parser.parse_args(["actuals", "receive"]).bind == "127.0.0.1:4318"
    parser = build_parser(["actuals", "metrics"])
    assert parser.parse_args(["actuals", "metrics"]).bind == "127.0.0.1:9464"
