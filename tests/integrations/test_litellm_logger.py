"""The LiteLLM `CustomLogger`, driven by the real LiteLLM: real `completion`/`acompletion`
calls (sync, async, streamed, failing) to a fake OpenAI and Anthropic API on 127.0.0.1, so
LiteLLM's own response parsing, usage shape and callback dispatch are what the logger meets.

LiteLLM runs in a subprocess: importing it costs 5-12 CPU-s and sets process-wide state
(callbacks, logging handlers, a .env read) the rest of the suite must not inherit. It is
installed into the same environment (the `litellm` extra): it adds packages and changes none
of the versions the other tests use (`pip install --dry-run`, `pip check`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from llmcost_lsp.core.ledger.store import open_store

from .conftest import require_installed

REPO = Path(__file__).resolve().parents[2]

# an OpenAI chat completion: prompt_tokens includes the 1,024 cached tokens
OPENAI_USAGE = {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
                "prompt_tokens_details": {"cached_tokens": 1024}}  # fmt: skip
# an Anthropic message: input_tokens excludes both caches; 500 + 300 written at two TTLs
ANTHROPIC_USAGE = {"input_tokens": 12, "output_tokens": 120, "cache_read_input_tokens": 4000,
                   "cache_creation_input_tokens": 800,
                   "cache_creation": {"ephemeral_5m_input_tokens": 500,
                                      "ephemeral_1h_input_tokens": 300}}  # fmt: skip


def _chat(reply_id: str) -> dict[str, Any]:
    return {"id": reply_id, "object": "chat.completion", "created": 1,
            "model": "gpt-4o-2024-08-06", "usage": OPENAI_USAGE,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "ok"}}]}  # fmt: skip


def _stream(reply_id: str) -> bytes:
    chunk = {"id": reply_id, "object": "chat.completion.chunk", "created": 1,
             "model": "gpt-4o-2024-08-06"}  # fmt: skip
    events = [
        {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "o"}}]},
        {**chunk, "choices": [{"index": 0, "delta": {"content": "k"}, "finish_reason": "stop"}]},
        {**chunk, "choices": [], "usage": OPENAI_USAGE},  # stream_options.include_usage
    ]
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: [DONE]\n\n"


@pytest.fixture
def provider() -> Iterator[str]:
    """A fake OpenAI + Anthropic API: the `x-reply-id` header picks a chat reply's id (the
    script's retry repeats one); model `broken` answers 500."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            reply_id = self.headers.get("x-reply-id") or "chatcmpl-1"
            kind, payload = "application/json", b""
            if body.get("model") == "broken":
                self.send_response(500)
                payload = b'{"error": {"message": "overloaded", "type": "server_error"}}'
            elif self.path.endswith("/messages"):
                self.send_response(200)
                payload = json.dumps(
                    {"id": "msg_1", "type": "message", "role": "assistant",
                     "model": "claude-sonnet-4-6", "stop_reason": "end_turn",
                     "content": [{"type": "text", "text": "ok"}], "usage": ANTHROPIC_USAGE}
                ).encode()  # fmt: skip
            elif body.get("stream"):
                self.send_response(200)
                kind, payload = "text/event-stream", _stream(reply_id)
            else:
                self.send_response(200)
                payload = json.dumps(_chat(reply_id)).encode()
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


APP = """
import asyncio, json, os, sys
import litellm
from litellm.integrations.custom_logger import CustomLogger
from llmcost_lsp.core.ledger.api import default_recorder
from llmcost_lsp.integrations.litellm_logger import LedgerLogger

base = sys.argv[1]
logger = LedgerLogger()  # the default recorder: LLMCOST_LEDGER

class Broken:  # a recorder that raises: LiteLLM and the caller must not notice
    def record(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

class SecondLogger(LedgerLogger):  # LiteLLM keeps one callback instance per class
    pass

broken = SecondLogger(Broken())

class Capture(CustomLogger):  # keeps what LiteLLM hands its loggers
    seen = []

    def log_success_event(self, kwargs, response_obj, start_time, end_time):
        self.seen.append(kwargs)

litellm.callbacks = [logger, broken, Capture()]
ask = [{"role": "user", "content": "Where is my order?"}]
openai = {"api_base": base + "/v1", "api_key": "k", "num_retries": 0}
costs = {}

def chat(reply, **extra):
    response = litellm.completion(model="gpt-4o", messages=ask, **openai, **extra,
                                  extra_headers={"x-reply-id": reply})
    costs[reply] = response._hidden_params.get("response_cost")
    return response

search = {"prompt_id": "search/answer", "tags": {"env": "prod"}}
for n in range(3):
    chat(f"chatcmpl-{n}", metadata=search)
chat("chatcmpl-0", metadata=search)  # the same reply again (a replayed request)
stream = litellm.completion(model="gpt-4o", messages=ask, stream=True,
                            extra_headers={"x-reply-id": "chatcmpl-s"},
                            stream_options={"include_usage": True},
                            metadata={"prompt_id": "search/stream"}, **openai)
text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
claude = litellm.completion(model="anthropic/claude-sonnet-4-6", messages=ask, max_tokens=200,
                            api_base=base, api_key="k", num_retries=0,
                            metadata={"prompt_id": "support/triage", "user": "ann"})
costs["claude"] = claude._hidden_params.get("response_cost")
# the same call as a logger sees it without a response object: only the standard logging
# payload (its usage_object), as LiteLLM built it for the Anthropic call above
import time
while not any("claude" in str(k.get("model")) for k in Capture.seen):
    time.sleep(0.05)
real = next(k for k in Capture.seen if "claude" in str(k.get("model")))
payload = {**real["standard_logging_object"], "id": "payload-1"}
params = {**real["litellm_params"], "metadata": {"prompt_id": "support/payload"}}
replay = {**real, "standard_logging_object": payload, "litellm_params": params}
logger.log_success_event(replay, None, None, None)

async def later():
    reply = await litellm.acompletion(model="gpt-4o", messages=ask,
                                      extra_headers={"x-reply-id": "chatcmpl-a"},
                                      metadata={"prompt_id": "search/async"}, **openai)
    await asyncio.sleep(0.5)  # LiteLLM logs async successes on the loop, after returning
    return reply

asyncio.run(later())
try:
    litellm.completion(model="openai/broken", messages=ask, **openai,
                       metadata={"prompt_id": "search/answer"})
    failure = None
except Exception as error:
    failure = type(error).__module__.split(".")[0] + "." + type(error).__name__
time.sleep(1.0)  # LiteLLM runs sync success handlers in a thread pool
recorder = default_recorder()
recorder.flush(30)
stats = recorder.stats()
print(json.dumps({"costs": costs, "text": text, "failure": failure,
                  "failures": logger.failures, "errors": logger.errors,
                  "broken_errors": broken.errors, "written": stats.written,
                  "duplicates": stats.duplicates, "rejected": stats.rejected,
                  "dropped": stats.dropped}))
recorder.close()
"""


def test_litellm_calls_land_in_the_ledger_priced_like_the_estimate(
    tmp_path: Path, provider: str
) -> None:
    require_installed("litellm")
    ledger = tmp_path / "ledger.sqlite3"
    env = {**os.environ, "LLMCOST_LEDGER": str(ledger), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "LITELLM_TELEMETRY": "False", "PYTHONPATH": str(REPO / "src")}  # fmt: skip
    env.pop("LLMCOST_MANIFEST", None)
    done = subprocess.run([sys.executable, "-c", APP, provider], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["text"] == "ok"  # the caller's stream was not disturbed
    # the failing call raised LiteLLM's own error to the caller, and nothing was recorded
    assert report["failure"] == "litellm.InternalServerError"
    assert report["failures"] == 1
    # the recorder that raised on every call: swallowed and counted, never reached the caller
    assert report["broken_errors"] == 7 and report["errors"] == 0, report  # 7 successes
    assert (report["written"], report["duplicates"]) == (7, 1)  # the replay counted once
    assert report["rejected"] == report["dropped"] == 0

    with open_store(str(ledger)) as store:
        rows = {row.request_key: row for row in store.iter_rows()}
    assert {r.source for r in rows.values()} == {"litellm"}
    by_prompt: dict[str | None, list[Any]] = {}
    for row in rows.values():
        by_prompt.setdefault(row.prompt_id, []).append(row)
    assert sorted(by_prompt, key=str) == [
        "search/answer", "search/async", "search/stream", "support/payload", "support/triage"
    ]  # fmt: skip
    # gpt-4o: 176 x 2.5 + 1024 x 1.25 + 300 x 10 per Mtok = $0.00472, the same as LiteLLM's
    # own response_cost; the stream and the async call are one call each
    for prompt in ("search/answer", "search/stream", "search/async"):
        assert {r.cost_pusd for r in by_prompt[prompt]} == {4_720_000_000}, prompt
    assert len(by_prompt["search/answer"]) == 3
    assert {r.model_id for r in by_prompt["search/answer"]} == {"gpt-4o"}
    assert report["costs"]["chatcmpl-1"] == pytest.approx(0.00472)
    (triage,) = by_prompt["support/triage"]
    # LiteLLM's Anthropic usage: prompt_tokens 4,812 already includes the cache; the 1-hour
    # writes priced at the 1-hour rate: 12x3 + 4000x0.3 + 500x3.75 + 300x6 + 120x15 = $0.006711
    assert (triage.input_tokens, triage.cache_read_tokens) == (4812, 4000)
    assert (triage.cache_write_5m_tokens, triage.cache_write_1h_tokens) == (500, 300)
    assert triage.cost_pusd == 6_711_000_000
    assert report["costs"]["claude"] == pytest.approx(0.006711)  # LiteLLM agrees
    assert triage.user_id == "ann"
    # read from the standard logging payload alone: the same components, the same cost
    (alone,) = by_prompt["support/payload"]
    assert alone.usage() == triage.usage() and alone.cost_pusd == triage.cost_pusd
    assert [json.loads(r.tags)["env"] for r in by_prompt["search/answer"]] == ["prod"] * 3
