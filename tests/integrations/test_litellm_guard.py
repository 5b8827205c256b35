"""The LiteLLM router hook against real LiteLLM: a Router with a gpt-4o and a gpt-4o-mini
deployment in one group (mock responses, no network), driven past a budget. The hook keeps the
prompt's model while its estimate fits, then only the cheaper deployment the manifest's rules
suggest (the swap recorded with its reason), then refuses before any provider is called."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmcost_lsp.core.ledger.api import make_guard

from .conftest import require

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from guard_race import write_workspace

GPT4O_CALL = 225_000_000  # LiteLLM's mock usage (10 input, 20 output tokens) on gpt-4o
ESTIMATE = 2_895_000_000  # the prompt's per-call estimate on gpt-4o


@pytest.fixture()
def litellm() -> Iterator[Any]:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: its bundled map
    require("litellm")
    import litellm

    before = list(litellm.callbacks)
    yield litellm
    litellm.callbacks = before


def _router(litellm: Any, hook: Any) -> Any:
    deployments = [
        {"model_name": "answer",
         "litellm_params": {"model": f"openai/{model}", "api_key": "unused", "mock_response": "ok"}}
        for model in ("gpt-4o", "gpt-4o-mini")
    ]  # fmt: skip
    litellm.callbacks = [hook]  # LiteLLM's callbacks are process-wide
    return litellm.Router(model_list=deployments)


def _ask(router: Any, **metadata: str) -> Any:
    async def ask() -> Any:
        response = await router.acompletion(
            model="answer", messages=[{"role": "user", "content": "q"}], metadata=metadata
        )
        await asyncio.sleep(0.05)  # success callbacks run after the response returns
        return response

    return asyncio.run(ask())


def test_the_router_hook_keeps_swaps_then_refuses(litellm: Any, tmp_path: Path) -> None:
    from llmcost_lsp.integrations.litellm import BudgetExceeded, BudgetRouterHook

    root = write_workspace(tmp_path / "ws", budget="0.005")
    ledger = tmp_path / "l.sqlite3"
    guard = make_guard(root, str(ledger))
    hook = BudgetRouterHook(guard)
    router = _router(litellm, hook)
    models = [_ask(router, prompt_id="answer").model for _ in range(12)]
    # each gpt-4o call reserves $0.002895 and settles at $0.000225: the 11th no longer fits
    assert models == ["gpt-4o"] * 10 + ["gpt-4o-mini"] * 2
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT count(*) FROM reservations").fetchone() == (0,)
        calls = db.execute("SELECT model, cost_pusd, source FROM calls ORDER BY model").fetchall()
        assert calls[:10] == [("gpt-4o", GPT4O_CALL, "litellm")] * 10
        swaps = db.execute(
            "SELECT action, preferred_model, chosen_model, reason, cost_pusd, preferred_cost_pusd "
            "FROM budget_decisions"
        ).fetchall()
    assert len(swaps) == 2
    action, preferred, chosen, reason, cost, preferred_cost = swaps[0]
    assert (action, preferred, chosen) == ("swap", "gpt-4o", "gpt-4o-mini")
    assert reason.startswith("swapped gpt-4o → gpt-4o-mini: prompt:answer budget $0.01")
    assert (cost, preferred_cost) == (13_500_000, GPT4O_CALL)  # the same tokens on gpt-4o

    untouched = _ask(router)  # no prompt id: the hook lets LiteLLM pick
    assert untouched.model in ("gpt-4o", "gpt-4o-mini")

    tight = make_guard(write_workspace(tmp_path / "tight", budget="0.0001"), str(ledger))
    refusing = _router(litellm, BudgetRouterHook(tight))
    with pytest.raises(Exception, match="refused: prompt:answer budget") as raised:
        _ask(refusing, prompt_id="answer")
    assert isinstance(raised.value, BudgetExceeded) or "BudgetExceeded" in repr(raised.value)
