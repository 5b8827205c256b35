"""LiteLLM: budgets before the call inside a LiteLLM `Router` (`pip install
'llm-cost[litellm]'`).

`BudgetRouterHook` is a `CustomLogger` whose `async_filter_deployments` — the Router's
deployment-filter hook, run on every request before a deployment is picked — makes the decision
`choose_model()` makes (core/ledger/guard.py): it reserves the call's estimate on the prompt's
model, or, when that would break a budget, on the first cheaper model of the manifest's
`[[rules]] suggest` that one of the group's deployments serves, and keeps only that model's
deployments. A refused call raises `BudgetExceeded` with the reason, before any provider is
called. The success and failure events settle the reservation with the response's usage, or
give it back. Requests without a prompt id in their `metadata` pass untouched.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from llmcost_lsp.core.ledger.guard import Guard
from llmcost_lsp.core.ledger.guard_decision import Decision

try:
    from litellm.integrations.custom_logger import CustomLogger
except ImportError as error:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "the LiteLLM router hook needs litellm: pip install 'llm-cost[litellm]'"
    ) from error

METADATA_KEY = "llm_cost_decision"  # set in the request's metadata: which decision it holds
_MAX_OPEN = 10_000  # decisions waiting for their outcome; older ones are released


class BudgetExceeded(Exception):
    """The call would break a budget and no model the rules suggest fits (the Router raises
    it to the caller; no provider was called)."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


def _litellm_model(deployment: Mapping[str, Any]) -> str:
    params = deployment.get("litellm_params")
    name = params.get("model") if isinstance(params, Mapping) else None
    return str(name or deployment.get("model_name") or "")


class BudgetRouterHook(CustomLogger):  # type: ignore[misc,unused-ignore]
    """Register with `litellm.callbacks = [BudgetRouterHook()]` (or a Router's `callbacks`);
    send the prompt id in each request's `metadata={"prompt_id": ...}`."""

    def __init__(self, guard: Guard | None = None, *, prompt_key: str = "prompt_id") -> None:
        super().__init__()
        self._guard = guard
        self.prompt_key = prompt_key
        self._open: OrderedDict[str, Decision] = OrderedDict()

    @property
    def guard(self) -> Guard:
        if self._guard is None:
            from llmcost_lsp.core.ledger.api import default_guard

            self._guard = default_guard()
        return self._guard

    def _model_id(self, name: str) -> str:
        """The price DB's id of a LiteLLM model name (`openai/gpt-4o` → `gpt-4o`)."""
        db = self.guard.plan().workspace.db
        for candidate in (name, name.split("/", 1)[-1]):
            if candidate and candidate in db:
                return db.resolve(candidate).id
        return name

    async def async_filter_deployments(
        self,
        model: str,
        healthy_deployments: list[Any],
        messages: Any,
        request_kwargs: dict[str, Any] | None = None,
        parent_otel_span: Any = None,
    ) -> list[Any]:
        metadata = (request_kwargs or {}).get("metadata")
        prompt_id = metadata.get(self.prompt_key) if isinstance(metadata, dict) else None
        if not isinstance(metadata, dict) or not prompt_id or not healthy_deployments:
            return healthy_deployments
        earlier = metadata.pop(METADATA_KEY, None)  # a retry: the failed try's reservation
        if earlier in self._open:
            self._open.pop(earlier).release()
        by_model: dict[str, list[Any]] = {}
        for deployment in healthy_deployments:
            by_model.setdefault(self._model_id(_litellm_model(deployment)), []).append(deployment)
        own = self.guard.plan().priced(str(prompt_id), None).model
        preferred = None if own in by_model else next(iter(by_model))
        decision = self.guard.choose(str(prompt_id), preferred, among=by_model.keys())
        if not decision.allowed:
            raise BudgetExceeded(decision)
        key = uuid.uuid4().hex
        self._open[key] = decision
        while len(self._open) > _MAX_OPEN:
            self._open.popitem(last=False)[1].release()
        metadata[METADATA_KEY] = key
        if decision.checked and decision.model in by_model:
            return by_model[decision.model]
        return healthy_deployments  # unchecked (fail-open) or no budget: LiteLLM picks

    def _take(self, kwargs: Mapping[str, Any]) -> Decision | None:
        params = kwargs.get("litellm_params")
        metadata = params.get("metadata") if isinstance(params, Mapping) else None
        if not isinstance(metadata, Mapping):
            metadata = kwargs.get("metadata")
        key = metadata.get(METADATA_KEY) if isinstance(metadata, Mapping) else None
        return self._open.pop(key, None) if isinstance(key, str) else None

    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        decision = self._take(kwargs)
        if decision is None:
            return
        usage = getattr(response_obj, "usage", None)
        if usage is None:
            decision.release()  # no usage to count: unknown, not $0
            return
        decision.settle(usage, response_id=getattr(response_obj, "id", None),
                        model=getattr(response_obj, "model", None), source="litellm")  # fmt: skip

    async def async_log_failure_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        decision = self._take(kwargs)
        if decision is not None:
            decision.release()
