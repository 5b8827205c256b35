"""End to end, into SQLite and into PostgreSQL: a LangChain fake chat model with real usage
metadata, OpenTelemetry spans exported by the real OTLP/HTTP exporter to our receiver (and seen
by our span processor too), and OpenAI/Anthropic SDK response objects; then `actuals summary`,
`actuals export focus` (conformance-checked) and `calibrate --actuals ledger` on those prompts."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main
from llmcost_lsp.core.focus.conformance import check_table
from llmcost_lsp.core.ledger.api import make_recorder
from llmcost_lsp.core.ledger.store import open_store
from llmcost_lsp.core.manifest import load_manifest
from llmcost_lsp.core.settings import Settings

from .conftest import require

REPO = Path(__file__).resolve().parents[2]
CALLS = 12


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


def _langchain_calls(recorder: object) -> None:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from llmcost_lsp.integrations.langchain import LedgerCallbackHandler

    # langchain-anthropic's real shape: cache_creation 0, the writes under ephemeral_5m
    messages = iter(
        AIMessage(
            content="Billing",
            usage_metadata={
                "input_tokens": 4512, "output_tokens": 120, "total_tokens": 4632,
                "input_token_details": {"cache_read": 4000, "cache_creation": 0,
                                        "ephemeral_5m_input_tokens": 500,
                                        "ephemeral_1h_input_tokens": 0},
            },
            response_metadata={"model_name": "claude-sonnet-4-6", "id": f"msg_lc{index}"},
        )
        for index in range(CALLS)
    )  # fmt: skip
    model = GenericFakeChatModel(messages=messages)
    handler = LedgerCallbackHandler(recorder)  # type: ignore[arg-type]
    for _ in range(CALLS):
        model.invoke(
            "My invoice is wrong",
            config={"callbacks": [handler],
                    "metadata": {"prompt_id": "support/triage", "user": "ann"}},
        )  # fmt: skip


def _sdk_calls(recorder: object) -> None:
    from anthropic.types import Message
    from openai.types.chat import ChatCompletion

    from llmcost_lsp.integrations.sdk import record_response

    for index in range(CALLS):
        completion = ChatCompletion.model_validate(
            {
                "id": f"chatcmpl-{index}", "object": "chat.completion", "created": 1,
                "model": "gpt-4o-2024-08-06", "service_tier": "default",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": "ok"}}],
                "usage": {"prompt_tokens": 2100, "completion_tokens": 180, "total_tokens": 2280,
                          "prompt_tokens_details": {"cached_tokens": 1024}},
            }
        )  # fmt: skip
        record_response(completion, prompt_id="search/answer", recorder=recorder, user="bob")  # type: ignore[arg-type]
    message = Message.model_validate(
        {
            "id": "msg_sdk", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
            "content": [{"type": "text", "text": "Billing"}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 12, "output_tokens": 120, "cache_read_input_tokens": 4000,
                      "cache_creation_input_tokens": 500},
        }
    )  # fmt: skip
    record_response(message, prompt_id="support/triage", recorder=recorder)  # type: ignore[arg-type]


def _otel_calls(recorder: object, endpoint: str) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from llmcost_lsp.integrations.otel import LedgerSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    provider.add_span_processor(LedgerSpanProcessor(recorder))  # type: ignore[arg-type]
    tracer = provider.get_tracer("e2e")
    for index in range(CALLS):
        # the official instrumentation's span and the Anthropic SDK's own: one response id
        for name in ("chat gemini-3-flash-preview", "anthropic.messages.create"):
            with tracer.start_as_current_span(name) as span:
                span.set_attributes(
                    {"gen_ai.provider.name": "gcp.gemini",
                     "gen_ai.request.model": "gemini-3-flash-preview",
                     "gen_ai.response.id": f"gem-{index}", "gen_ai.prompt.name": "classify",
                     "gen_ai.usage.input_tokens": 180, "gen_ai.usage.output_tokens": 2}
                )  # fmt: skip
    provider.shutdown()


def test_every_capture_path_into_the_ledger_then_summary_export_calibrate(
    ledger: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # OpenTelemetry stamps spans with the system clock: run on it, as production does
    monkeypatch.delenv("LLMCOST_NOW", raising=False)
    require("langchain_core", "opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http",
            "openai", "anthropic")  # fmt: skip
    from llmcost_lsp.integrations.otlp_receiver import OtlpReceiver

    root = tmp_path / "examples"
    shutil.copytree(REPO / "examples", root)
    manifest = load_manifest(root / "llm-cost.toml")  # its [pricing.overrides] price the calls
    receiver_recorder = make_recorder(ledger, manifest=manifest)
    receiver = OtlpReceiver(receiver_recorder, "127.0.0.1", 0).start()
    recorder = make_recorder(ledger, manifest=manifest)
    try:
        _langchain_calls(recorder)
        _sdk_calls(recorder)
        _otel_calls(recorder, "http://{}:{}/v1/traces".format(*receiver.address))
    finally:
        receiver.close()
        receiver_recorder.close()
        recorder.close()
    assert receiver.accepted == 2 * CALLS  # every exported span arrived over OTLP/HTTP
    stats, received = recorder.stats(), receiver_recorder.stats()
    assert stats.rejected == received.rejected == stats.dropped == received.dropped == 0
    assert stats.written + received.written == 3 * CALLS + 1  # each response once
    with open_store(ledger) as store:
        triage = [r for r in store.iter_rows() if r.prompt_id == "support/triage"]
        assert len(triage) == CALLS + 1
        # 12x3 + 4000x0.3 + 500x3.75 (5-minute writes, not input) + 120x15 = $0.004911
        assert {r.cost_pusd for r in triage} == {4_911_000_000}
        assert {r.source for r in triage} == {"langchain", "sdk"}

    common = ("--ledger", ledger, "--root", str(root))
    assert main(["actuals", "summary", *common, "--since", "all", "-f", "json"]) == 0
    groups = {g["key"]: g for g in json.loads(capsys.readouterr().out)["groups"]}
    assert set(groups) == {"search/answer", "support/triage", "classify"}
    assert groups["classify"]["calls"] == CALLS
    # gpt-4o at the manifest's contract: 1076x2 + 1024x1 + 180x8 = 4616 -> $0.004616 per call
    assert groups["search/answer"]["cost_usd"] == str(4616 * CALLS / 1_000_000)

    out = tmp_path / "actuals.csv"
    period = Settings.from_env().today().strftime("%Y-%m")
    code = main(["actuals", "export", "focus", *common, "--period", period, "--validate",
                 "-o", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    with open(out, newline="") as handle:
        table = list(csv.reader(handle))
    assert check_table(table[0], table[1:], "1.2") == []
    assert {row[table[0].index("x_Model")] for row in table[1:]} >= {
        "gpt-4o", "claude-sonnet-4-6", "gemini-3-flash-preview"
    }  # fmt: skip

    code = main(["calibrate", str(root), "--actuals", f"ledger:{ledger}", "-f", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    assert report["actuals"]["request_source"] == "ledger"
    by_id = {p["id"]: p for p in report["prompts"]}
    assert set(by_id) == {"search/answer", "support/triage", "classify"}
    assert by_id["support/triage"]["requests"] == str(CALLS + 1)
    assert "support/triage: 88.7% of input tokens were cache hits" in report["notes"]
