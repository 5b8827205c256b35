"""One text's token count for people and machines: `llm-cost tokens` as a one-row table or
JSON (`llm-cost.tokens/1`)."""

from __future__ import annotations

import json

from llmcost_lsp.core.numbers import plain_decimal
from llmcost_lsp.core.pricing.db import ModelEntry
from llmcost_lsp.core.tokens.spec import TokenCount
from llmcost_lsp.present.table import render_table

JSON_SCHEMA = "llm-cost.tokens/1"


def count_table(model: str, count: TokenCount) -> str:
    method: str = count.method
    if count.error_band_pct is not None:
        method = f"approximate (±{plain_decimal(count.error_band_pct)}%)"
    row = [model, count.tokenizer, method, f"{count.tokens:,}"]
    return render_table(["model", "tokenizer", "method", "tokens"], [row], right_align=[3])


def count_json(entry: ModelEntry, count: TokenCount, shown: str, size: int, chars: int) -> str:
    """`shown`: the file as named (or `<stdin>`); `size` its bytes, `chars` its characters."""
    band = count.error_band_pct
    report = {
        "schema": JSON_SCHEMA,
        "model": entry.id,
        "provider": entry.provider,
        "tokenizer": count.tokenizer,
        "tokens": count.tokens,
        "method": count.method,
        "error_band_pct": None if band is None else plain_decimal(band),
        "input": {"path": shown, "bytes": size, "characters": chars},
    }
    return json.dumps(report, indent=2, ensure_ascii=False)
