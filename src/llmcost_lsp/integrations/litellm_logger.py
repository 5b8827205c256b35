"""A LiteLLM `CustomLogger` that records every successful call in the ledger.

    litellm.callbacks = [LedgerLogger()]
    litellm.completion(model="gpt-4o", messages=messages, metadata={"prompt_id": "search/answer"})

LiteLLM calls `log_success_event` (sync calls) or `async_log_success_event` (async calls) once
per call, streams once they are complete. The usage is `response_obj.usage` (LiteLLM's
OpenAI-shaped Usage: `prompt_tokens` includes cache reads and writes, Anthropic's TTL split sits
in `prompt_tokens_details.cache_creation_token_details`), else the `usage_object` of the
standard logging payload, else its bare `prompt_tokens`/`completion_tokens`. It is priced by
llm-cost (the estimate's price DB and overrides), not by LiteLLM's `response_cost`. The prompt
id, `user`, `session`, `project` and `tags` come from the request's `metadata` (on the proxy:
the requester's metadata). A reply served from LiteLLM's own cache reached no provider and is
not recorded; a failed call has no usage and is only counted. Nothing here raises into LiteLLM
or the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from llmcost_lsp.core.ledger.recorder import Recorder
from llmcost_lsp.core.ledger.usage import as_mapping, normalise_usage

# where a request's metadata can be, first found wins per key: the SDK's `metadata=`, the
# Responses API's, the proxy's requester metadata and its spend-logs metadata
_METADATA_PATHS = (
    ("litellm_params", "metadata"),
    ("litellm_params", "litellm_metadata"),
    ("standard_logging_object", "metadata", "requester_metadata"),
    ("standard_logging_object", "metadata", "spend_logs_metadata"),
)


def _dig(data: Any, path: tuple[str, ...]) -> Mapping[str, Any]:
    for key in path:
        data = data.get(key) if isinstance(data, Mapping) else None
    return data if isinstance(data, Mapping) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class LedgerLogger(CustomLogger):
    def __init__(self, recorder: Recorder | None = None, *, prompt_key: str = "prompt_id") -> None:
        super().__init__()
        self._recorder = recorder
        self._prompt_key = prompt_key
        self.failures = 0  # calls that failed (no usage: nothing billed, nothing recorded)
        self.cache_hits = 0  # replies LiteLLM served from its own cache
        self.errors = 0  # callbacks that could not be read (never raised to LiteLLM)

    @property
    def recorder(self) -> Recorder:
        if self._recorder is None:
            from llmcost_lsp.core.ledger.api import default_recorder

            self._recorder = default_recorder()
        return self._recorder

    # LiteLLM calls these by keyword: the parameter names are part of its interface

    def log_success_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self._success(kwargs, response_obj)

    async def async_log_success_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self._success(kwargs, response_obj)

    def log_failure_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.failures += 1

    async def async_log_failure_event(
        self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.failures += 1

    def _success(self, kwargs: Any, response_obj: Any) -> None:
        try:
            self._record(kwargs if isinstance(kwargs, Mapping) else {}, response_obj)
        except Exception:  # never break LiteLLM's logging, let alone the caller
            self.errors += 1

    def _record(self, kwargs: Mapping[str, Any], response_obj: Any) -> None:
        payload = kwargs.get("standard_logging_object")
        payload = payload if isinstance(payload, Mapping) else {}
        if payload.get("cache_hit") is True:
            self.cache_hits += 1
            return
        usage: Any = getattr(response_obj, "usage", None)
        if usage is None:
            counts = ("prompt_tokens", "completion_tokens")
            usage = _dig(payload, ("metadata", "usage_object")) or {
                key: payload[key] for key in counts if key in payload
            }
        metadata: dict[str, Any] = {}
        for path in _METADATA_PATHS:
            for key, value in _dig(kwargs, path).items():
                metadata.setdefault(key, value)
        responded = _text(getattr(response_obj, "model", None))
        requested = _text(payload.get("model")) or _text(kwargs.get("model"))
        provider = _text(payload.get("custom_llm_provider"))
        response_id = _text(getattr(response_obj, "id", None)) or _text(payload.get("id"))
        try:
            usage = normalise_usage(
                usage,
                model=responded or requested,
                requested_model=requested,
                provider=provider,
                response_id=response_id,
                service_tier=_text(getattr(response_obj, "service_tier", None)),
            )
        except Exception:  # handed over as it is: the recorder counts it as rejected
            usage = as_mapping(usage) or usage
        tags = metadata.get("tags")
        self.recorder.record(
            usage,
            prompt_id=_text(metadata.get(self._prompt_key)),
            response_id=response_id,
            model=responded or requested,
            provider=provider,
            user=_text(metadata.get("user")) or _text(kwargs.get("user"))
            or _text(payload.get("end_user")),
            session=_text(metadata.get("session")) or _text(payload.get("session_id")),
            project=_text(metadata.get("project")),
            tags=tags if isinstance(tags, Mapping) else None,
            source="litellm",
            mode=_text(metadata.get("mode")),
        )  # fmt: skip
