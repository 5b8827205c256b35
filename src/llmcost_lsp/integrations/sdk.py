"""Record a provider SDK's response object: OpenAI (Chat Completions, Responses), Anthropic
(Messages), Gemini, or anything `normalise_response` reads. No SDK is imported here."""

from __future__ import annotations

from typing import Any

from llmcost_lsp.core.ledger.recorder import Recorder
from llmcost_lsp.core.ledger.usage import normalise_response


def record_response(
    response: Any,
    *,
    prompt_id: str | None = None,
    recorder: Recorder | None = None,
    provider: str | None = None,
    **fields: Any,
) -> bool:
    """Record `response` (its usage, model, id and service tier) against `prompt_id`.

    Never raises: a response without usage is counted as rejected by the recorder."""
    from llmcost_lsp.core.ledger.api import default_recorder

    try:
        target = recorder or default_recorder()
        try:
            usage = normalise_response(response, provider=provider)
        except Exception:  # handed over as it is: the recorder counts it as rejected
            return target.record(response, prompt_id=prompt_id, source="sdk", **fields)
        return target.record(
            usage, prompt_id=prompt_id, response_id=usage.response_id, source="sdk", **fields
        )
    except Exception:  # a bad keyword, a recorder that cannot be made: never the caller's
        return False


record_openai = record_response
record_anthropic = record_response
