"""Run by test_litellm_guard.py in a subprocess (LiteLLM's import is slow and sets process-wide
state): a real LiteLLM Router with a gpt-4o and a gpt-4o-mini deployment in one group
answering with `mock_response` (no network), the llm-cost hook installed, `calls` requests of
prompt `answer`, one without a prompt id, then one under a guard whose budget is used up.
Prints what happened as JSON.

python litellm_router_driver.py ROOT TIGHT_ROOT LEDGER CALLS
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # offline: its bundled map

import litellm

from llmcost_lsp.core.ledger.api import make_guard
from llmcost_lsp.integrations.litellm import BudgetExceeded, BudgetRouterHook


def router(hook: BudgetRouterHook) -> Any:
    litellm.callbacks = [hook]  # LiteLLM's callbacks are process-wide
    deployments = [
        {"model_name": "answer",
         "litellm_params": {"model": f"openai/{model}", "api_key": "unused", "mock_response": "ok"}}
        for model in ("gpt-4o", "gpt-4o-mini")
    ]  # fmt: skip
    return litellm.Router(model_list=deployments)


async def ask(routed: Any, **metadata: str) -> str:
    response = await routed.acompletion(
        model="answer", messages=[{"role": "user", "content": "q"}], metadata=metadata
    )
    await asyncio.sleep(0.05)  # success callbacks run after the response returns
    return str(response.model)


async def main(root: Path, tight: Path, ledger: str, calls: int) -> dict[str, Any]:
    routed = router(BudgetRouterHook(make_guard(root, ledger)))
    models = [await ask(routed, prompt_id="answer") for _ in range(calls)]
    untouched = await ask(routed)
    refusing = router(BudgetRouterHook(make_guard(tight, ledger)))
    try:
        await ask(refusing, prompt_id="answer")
        refused = None
    except Exception as error:  # the Router may wrap it: its text and whether ours is inside
        chain, seen = [], error
        while seen is not None:
            chain.append(type(seen).__name__)
            seen = seen.__cause__ or seen.__context__
        refused = {"text": str(error), "ours": BudgetExceeded.__name__ in chain}
    return {"models": models, "untouched": untouched, "refused": refused}


if __name__ == "__main__":
    root, tight, ledger, calls = sys.argv[1:5]
    print(json.dumps(asyncio.run(main(Path(root), Path(tight), ledger, int(calls)))))
