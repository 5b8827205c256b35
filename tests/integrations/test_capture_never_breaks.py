"""The in-process capture paths with the real libraries: the span processor's prompt id (from
`gen_ai.prompt.name` or a configurable attribute), spans without usage left alone, the
Anthropic SDK's second span counted once; and no capture path breaks the app's call when the
app's own llm-cost.toml does not load (its calls are then recorded at list prices)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from llmcost_lsp.core.ledger.api import make_recorder
from llmcost_lsp.core.ledger.store import open_store

from .conftest import require

REPO = Path(__file__).resolve().parents[2]
USAGE = {"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
         "gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 300,
         "gen_ai.usage.cache_read.input_tokens": 1024}  # fmt: skip


def test_span_processor_prompt_ids_and_spans_without_usage(tmp_path: Path) -> None:
    require("opentelemetry.sdk")
    from opentelemetry.sdk.trace import TracerProvider

    from llmcost_lsp.integrations.otel import LedgerSpanProcessor

    ledger = str(tmp_path / "ledger.sqlite3")
    standard, custom = make_recorder(ledger), make_recorder(ledger)
    by_name, by_attribute = TracerProvider(), TracerProvider()
    by_name.add_span_processor(LedgerSpanProcessor(standard))
    by_attribute.add_span_processor(LedgerSpanProcessor(custom, prompt_attribute="app.prompt"))
    for provider, tag in ((by_name, "n"), (by_attribute, "a")):
        tracer = provider.get_tracer("app")
        with tracer.start_as_current_span("GET /search") as span:  # no usage: not a call
            span.set_attribute("http.route", "/search")
        # an instrumentation's span and the Anthropic SDK's own, one response id
        for name in ("chat gpt-4o", "anthropic.messages.create"):
            with tracer.start_as_current_span(name) as span:
                span.set_attributes({**USAGE, "gen_ai.response.id": f"{tag}-1",
                                     "gen_ai.prompt.name": "search/answer",
                                     "app.prompt": "search/custom"})  # fmt: skip
        provider.shutdown()
    standard.close()
    custom.close()
    with open_store(ledger) as store:
        rows = sorted(store.iter_rows(), key=lambda row: row.request_key)
    assert [(r.request_key, r.prompt_id) for r in rows] == [
        ("a-1", "search/custom"), ("n-1", "search/answer")
    ]  # fmt: skip
    assert {r.cost_pusd for r in rows} == {4_720_000_000}
    assert standard.stats().duplicates + custom.stats().duplicates == 2


APP = """
import json
from opentelemetry.sdk.trace import TracerProvider
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from openai.types.chat import ChatCompletion
from llmcost_lsp.core.ledger.api import default_recorder, record
from llmcost_lsp.integrations.langchain import LedgerCallbackHandler
from llmcost_lsp.integrations.otel import LedgerSpanProcessor
from llmcost_lsp.integrations.sdk import record_response

usage = {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
         "prompt_tokens_details": {"cached_tokens": 1024}}
provider = TracerProvider()
provider.add_span_processor(LedgerSpanProcessor())
with provider.get_tracer("app").start_as_current_span("chat gpt-4o") as span:
    span.set_attributes(%(span)s)
model = GenericFakeChatModel(messages=iter([AIMessage(
    "ok", usage_metadata={"input_tokens": 1200, "output_tokens": 300, "total_tokens": 1500,
                          "input_token_details": {"cache_read": 1024}},
    response_metadata={"model_name": "gpt-4o", "id": "lc-1"})]))
reply = model.invoke("hi", config={"callbacks": [LedgerCallbackHandler()]})
completion = ChatCompletion.model_validate({
    "id": "sdk-1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "ok"}}], "usage": usage})
record_response(completion, prompt_id="search")
record(usage, model="gpt-4o", response_id="api-1", prompt_id="search")
provider.shutdown()
recorder = default_recorder()
recorder.close()
print(json.dumps({"reply": reply.content, "written": recorder.stats().written}))
"""


def test_a_manifest_that_does_not_load_breaks_no_call(tmp_path: Path) -> None:
    require("opentelemetry.sdk", "langchain_core", "openai")
    (tmp_path / "llm-cost.toml").write_text('[pricing.overrides."gpt-4o"\ninput = "2.00"\n')
    ledger = tmp_path / "ledger.sqlite3"
    env = {**os.environ, "LLMCOST_LEDGER": str(ledger)}
    env.pop("LLMCOST_MANIFEST", None)
    span = {**USAGE, "gen_ai.response.id": "otel-1"}
    done = subprocess.run([sys.executable, "-c", APP % {"span": repr(span)}], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == {"reply": "ok", "written": 4}
    assert "the manifest does not load, calls priced at list prices" in done.stderr
    assert "llm-cost.toml:1" in done.stderr  # where the problem is
    with open_store(str(ledger)) as store:
        rows = list(store.iter_rows())
    # gpt-4o at list prices (176 x 2.5 + 1024 x 1.25 + 300 x 10), not the broken contract's
    assert sorted(r.request_key for r in rows) == ["api-1", "lc-1", "otel-1", "sdk-1"]
    assert {r.cost_pusd for r in rows} == {4_720_000_000}
    assert not any((r.price_id or "").endswith("+contract") for r in rows)
