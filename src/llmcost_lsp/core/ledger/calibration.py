"""`calibrate --actuals ledger`: the ledger's totals per prompt as calibrate's `Actuals`, one
model per prompt: calls on another model than the one the estimate prices (a runtime switch or
a fallback) are left out and named (with their own cache-hit share), so they never blur tokens
per request, cost or the cache shares calibrate learns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from llmcost_lsp.core.focus.actuals import Actuals, PromptActuals
from llmcost_lsp.core.ledger.price import usd_from_pico
from llmcost_lsp.core.ledger.store import SqlStore
from llmcost_lsp.core.ledger.summary import Period


@dataclass
class LedgerActuals:
    actuals: Actuals
    notes: list[str] = field(default_factory=list)


def _moment(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts / 1_000_000, UTC)


def ledger_actuals(
    store: SqlStore,
    shown: str,
    models: Mapping[str, str | None],
    period: Period,
    *,
    project: str | None = None,
) -> LedgerActuals:
    """`models` maps each workspace prompt to the DB id of the model its estimate prices
    (None when unknown: then every call of the prompt counts)."""
    actuals = Actuals(shown, "ledger")
    actuals.request_source = "ledger"
    actuals.cache_measured = True
    notes: list[str] = []
    for (prompt_id, model), totals in sorted(
        store.prompt_totals(period.since_day, period.until_day, project)
    ):
        actuals.rows_read += 1
        if prompt_id not in models:
            actuals.unmatched_rows += 1
            shown_id = prompt_id or "(no prompt id)"
            if shown_id not in actuals.unmatched_keys and len(actuals.unmatched_keys) < 10:
                actuals.unmatched_keys.append(shown_id)
            continue
        expected = models[prompt_id]
        if expected is not None and model != expected:
            actuals.ignored_rows += 1
            hits = _share(totals.cache_read_tokens, totals.input_tokens)
            notes.append(
                f"{prompt_id}: {totals.calls:,} calls on {model} left out "
                f"(the estimate prices {expected}){f'; their cache hits: {hits}' if hits else ''}"
            )
            continue
        if totals.unpriced:
            actuals.ignored_rows += 1
            notes.append(
                f"{prompt_id}: {totals.calls:,} calls on {model} left out: "
                f"{totals.unpriced:,} of them unpriced, so their cost is unknown"
            )
            continue
        prompt = actuals.prompts.get(prompt_id)
        if prompt is None:
            prompt = actuals.prompts[prompt_id] = PromptActuals(
                prompt_id, start=_moment(totals.first_ts), end=_moment(totals.last_ts)
            )
        prompt.rows += 1
        prompt.requests += totals.calls
        prompt.input_tokens += totals.input_tokens
        prompt.cached_tokens += totals.cache_read_tokens
        prompt.cache_write_tokens += totals.cache_write_tokens
        prompt.output_tokens += totals.output_tokens
        prompt.cost_usd += usd_from_pico(totals.cost_pusd)
    return LedgerActuals(actuals, notes)


def _share(part: int, whole: int) -> str | None:
    if whole <= 0:
        return None
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def cache_hit_ratio(prompt: PromptActuals) -> Decimal | None:
    """Share of input tokens read from the prompt cache, as the bills show it."""
    if prompt.input_tokens <= 0:
        return None
    return prompt.cached_tokens / prompt.input_tokens
