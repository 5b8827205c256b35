"""An OpenTelemetry SpanProcessor that records every span carrying `gen_ai.usage.*`.

    provider.add_span_processor(LedgerSpanProcessor())

`on_end` only checks for a usage attribute and hands the span's attributes to the recorder's
buffer; reading, pricing and writing happen on the writer thread. The Anthropic SDK emits its
own span beside an instrumentation's: both carry `gen_ai.response.id`, and the ledger keeps one.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from llmcost_lsp.core.ledger.otlp import SpanUsage
from llmcost_lsp.core.ledger.recorder import Recorder

_USAGE_KEYS = frozenset(("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
                         "gen_ai.usage.prompt_tokens", "llm.token_count.prompt"))  # fmt: skip


class LedgerSpanProcessor(SpanProcessor):
    def __init__(self, recorder: Recorder | None = None, *, prompt_attribute: str | None = None):
        self._recorder = recorder
        self._prompt_attribute = prompt_attribute

    @property
    def recorder(self) -> Recorder:
        if self._recorder is None:
            from llmcost_lsp.core.ledger.api import default_recorder

            self._recorder = default_recorder()
        return self._recorder

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        # the hot path of every span in the app: a set test for a span without usage
        attributes = span.attributes
        if not attributes or _USAGE_KEYS.isdisjoint(attributes):
            return
        try:
            # an ended span's attributes are frozen: no copy; its ids are read on the writer
            ids = span.context or "span:?"
            self.recorder.record(
                SpanUsage(attributes, span.end_time, ids, self._prompt_attribute), source="otel"
            )
        except Exception:  # the SDK does not catch a processor's error: the app's span would
            return

    def shutdown(self) -> None:
        self.recorder.flush(5.0)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.recorder.flush(timeout_millis / 1000)
