"""A LangChain callback handler that records every chat model call in the ledger.

    handler = LedgerCallbackHandler()
    chain.invoke(inputs, config={"callbacks": [handler], "metadata": {"prompt_id": "search"}})

The prompt id (and `user`, `session`, `project`, `tags`) come from the run's metadata, which
LangChain gives to `on_chat_model_start` only: the handler keeps them per run id until
`on_llm_end` brings the usage (`AIMessage.usage_metadata`, read by the one normaliser,
langchain-anthropic's `ephemeral_*` cache writes included).
"""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from llmcost_lsp.core.ledger.recorder import Recorder

_MAX_OPEN_RUNS = 10_000


class LedgerCallbackHandler(BaseCallbackHandler):
    def __init__(self, recorder: Recorder | None = None, *, prompt_key: str = "prompt_id") -> None:
        self._recorder = recorder
        self._prompt_key = prompt_key
        self._runs: dict[UUID, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @property
    def recorder(self) -> Recorder:
        if self._recorder is None:
            from llmcost_lsp.core.ledger.api import default_recorder

            self._recorder = default_recorder()
        return self._recorder

    def _remember(self, run_id: UUID, metadata: dict[str, Any] | None) -> None:
        with self._lock:
            if len(self._runs) >= _MAX_OPEN_RUNS:  # runs that never ended must not leak
                self._runs.clear()
            self._runs[run_id] = dict(metadata or {})

    def on_chat_model_start(
        self, serialized: Any, messages: Any, *, run_id: UUID, metadata: Any = None, **_: Any
    ) -> None:
        self._remember(run_id, metadata)

    def on_llm_start(
        self, serialized: Any, prompts: Any, *, run_id: UUID, metadata: Any = None, **_: Any
    ) -> None:
        self._remember(run_id, metadata)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **_: Any) -> None:
        with self._lock:
            self._runs.pop(run_id, None)

    def on_llm_end(self, response: Any, *, run_id: UUID, **_: Any) -> None:
        try:
            with self._lock:
                metadata = self._runs.pop(run_id, {})
            for generations in response.generations:
                for generation in generations:
                    self._record(getattr(generation, "message", None), metadata)
        except Exception:  # never break the caller's chain
            return

    def _record(self, message: Any, metadata: dict[str, Any]) -> None:
        usage = getattr(message, "usage_metadata", None)
        if not usage:
            return
        info = getattr(message, "response_metadata", None) or {}
        tags = metadata.get("tags")
        self.recorder.record(
            usage,
            prompt_id=metadata.get(self._prompt_key),
            response_id=info.get("id") or getattr(message, "id", None),
            model=info.get("model_name") or info.get("model") or metadata.get("ls_model_name"),
            provider=info.get("model_provider") or metadata.get("ls_provider"),
            user=metadata.get("user"),
            session=metadata.get("session"),
            project=metadata.get("project"),
            tags=tags if isinstance(tags, dict) else None,
            source="langchain",
            mode=metadata.get("mode"),
        )
