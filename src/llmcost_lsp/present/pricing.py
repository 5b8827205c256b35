"""The price DB for people and machines: `llm-cost pricing list|show` as a table or JSON,
every price printed exactly as written in the DB (never rounded through a float)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from llmcost_lsp.core.errors import PricingError
from llmcost_lsp.core.pricing.db import ModelEntry, ModelPrices, PriceDB, Rates
from llmcost_lsp.core.pricing.records import to_json
from llmcost_lsp.core.tokens.spec import TokenizerSpec
from llmcost_lsp.present.table import render_table

# exact tokenizer backends -> the optional extra that installs them (pyproject.toml)
_EXTRAS = {"llama3": "llama", "llama4": "llama", "mistral-tekken": "mistral", "qwen": "qwen"}
_RATE_FIELDS = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h", "reasoning")
# "write 5m/1h": prompt-cache writes with a 5-minute / 1-hour lifetime
_RATE_HEADERS = ("input", "output", "cache read", "write 5m", "write 1h", "reasoning")


def rate_text(value: Decimal | None) -> str:
    """A price as written in the DB: plain notation, never rounded through a float."""
    return "—" if value is None else format(value, "f")


def _limit(value: int | None) -> str:
    return "unknown" if value is None else f"{tokens(value)} tokens"


def tokens(value: int) -> str:
    return f"{value:,}"


def list_row(entry: ModelEntry, today: date) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": entry.id,
        "provider": entry.provider,
        "display_name": entry.display_name,
        "input": None,
        "output": None,
        "context_window": entry.context_window,
        "deprecated_on": entry.deprecated_on.isoformat() if entry.deprecated_on else None,
        "effective_from": None,
    }
    try:
        prices = entry.prices_at(today)
    except PricingError:  # priced only from a future date
        return row
    rates = prices.rates_for(0)
    row.update(
        input=rate_text(rates.input),
        output=rate_text(rates.output),
        effective_from=prices.effective_from.isoformat(),
    )
    return row


def _list_note(row: dict[str, Any], today: date) -> str:
    notes = []
    if row["deprecated_on"]:
        word = "since" if date.fromisoformat(row["deprecated_on"]) <= today else "from"
        notes.append(f"deprecated {word} {row['deprecated_on']}")
    if row["input"] is None:
        notes.append("no price in effect today")
    return ", ".join(notes)


# ---- list ----------------------------------------------------------------------------------


def list_text(db: PriceDB, entries: Sequence[ModelEntry], today: date) -> str:
    """One row per model: its standard rates of the shortest-prompt tier today, the context
    window, and a note (deprecated, no price in effect)."""
    rows = [list_row(entry, today) for entry in entries]
    headers = ("MODEL", "PROVIDER", "INPUT $/Mtok", "OUTPUT $/Mtok", "CONTEXT", "NOTE")
    table_rows = [
        (
            row["id"],
            row["provider"],
            row["input"] or "—",
            row["output"] or "—",
            tokens(row["context_window"]) if row["context_window"] is not None else "?",
            _list_note(row, today),
        )
        for row in rows
    ]
    return (
        render_table(headers, table_rows, right_align=(2, 3, 4))
        + f"\n\n{len(rows)} models · USD per million input/output tokens, standard processing, "
        f"shortest-prompt tier · price DB {db.origin}, updated {_stamp(db)}"
    )


def list_json(db: PriceDB, entries: Sequence[ModelEntry], today: date) -> str:
    rows = [list_row(entry, today) for entry in entries]
    return json.dumps({"db": db_json(db), "models": rows}, indent=2, ensure_ascii=False)


# ---- show ----------------------------------------------------------------------------------


def prices_in_effect(entry: ModelEntry, on: date) -> ModelPrices | None:
    try:
        return entry.prices_at(on)
    except PricingError:  # priced only from a later date
        return None


def show_json(db: PriceDB, entry: ModelEntry, on: date) -> str:
    """Every fact and price of one model, the rates in effect `on` and its whole history."""
    data = _show_data(db, entry, db.tokenizer_for(entry), prices_in_effect(entry, on), on)
    return json.dumps(data, indent=2, ensure_ascii=False)


def show_text(db: PriceDB, entry: ModelEntry, on: date) -> str:
    """The same for people: facts, the rates in effect by mode and tier, the history."""
    return _show_text(db, entry, db.tokenizer_for(entry), prices_in_effect(entry, on), on)


def rate_rows(prices: ModelPrices) -> list[Rates]:
    """One `Rates` per mode and tier: probe each tier at its threshold and one token above."""
    rows: list[Rates] = []
    for mode in prices.modes():
        spec = prices.mode_spec(mode)
        if spec is not None and spec.prices is not None:
            thresholds = [tier.above_input_tokens for tier in spec.prices.tiers]
        else:
            thresholds = prices.tier_thresholds
        limit = spec.max_input_tokens if spec is not None else None
        probes = [0] + [t + 1 for t in thresholds]
        rows.extend(prices.rates_for(n, mode) for n in probes if limit is None or n <= limit)
    return rows


def _mode_label(prices: ModelPrices, mode: str) -> str:
    spec = prices.mode_spec(mode)
    if spec is None:
        return mode
    label = f"{mode} ×{rate_text(spec.multiplier)}" if spec.multiplier is not None else mode
    if spec.max_input_tokens is not None:
        label += f" (prompts ≤ {tokens(spec.max_input_tokens)} only)"
    return label


def tokenizer_text(spec: TokenizerSpec) -> str:
    if spec.is_tiktoken_exact:
        return f"{spec.family}: exact ({spec.encoding})"
    band, ratio = rate_text(spec.error_band_pct), rate_text(spec.ratio)
    approx = f"approximate ±{band}% ({spec.encoding} × {ratio})"
    if spec.exact_backend:
        extra = _EXTRAS.get(spec.exact_backend, spec.exact_backend)
        return (
            f"{spec.family}: exact with the optional {spec.exact_backend} tokenizer "
            f"(pip install 'llm-cost[{extra}]'), otherwise {approx}"
        )
    return f"{spec.family}: {approx}"


def _stamp(db: PriceDB) -> str:
    return db.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _show_text(
    db: PriceDB, entry: ModelEntry, spec: TokenizerSpec, current: ModelPrices | None, on: date
) -> str:
    deprecated = entry.deprecated_on.isoformat() if entry.deprecated_on else "—"
    if entry.deprecated_on and entry.deprecated_on <= on:
        deprecated += " (deprecated: the provider may retire it)"
    facts = [
        ("aliases", ", ".join(entry.aliases) or "—"),
        ("context window", _limit(entry.context_window)),
        ("max output", _limit(entry.max_output_tokens)),
        ("tokenizer", tokenizer_text(spec)),
        ("deprecated on", deprecated),
    ]
    if entry.hosted_by:
        facts.append(("hosted by", entry.hosted_by))
    if entry.note:
        facts.append(("note", entry.note))
    facts.append(("price DB", f"{db.origin}, updated {_stamp(db)}"))
    width = max(len(key) for key, _ in facts)
    lines = [f"{entry.id} — {entry.display_name} ({entry.provider})", ""]
    lines += [f"{key.ljust(width)}  {value}" for key, value in facts]
    lines.append("")
    if current is None:
        lines.append(f"No price in effect on {on.isoformat()}.")
    else:
        lines.append(
            f"Prices in effect on {on.isoformat()} (since {current.effective_from.isoformat()}), "
            "USD per million tokens:"
        )
        rates = rate_rows(current)
        rows = [
            (
                _mode_label(current, r.mode),
                r.tier,
                *(rate_text(getattr(r, f)) for f in _RATE_FIELDS),
            )
            for r in rates
        ]
        lines.append(render_table(("mode", "tier", *_RATE_HEADERS), rows, range(2, 8)))
        if any(r.cache_write_5m is not None or r.cache_write_1h is not None for r in rates):
            lines.append("(write 5m / write 1h: writing the prompt cache for 5 minutes / 1 hour)")
        lines.append("")
        lines.append(f"source      {current.source}")
        checked = current.checked_on.isoformat()
        if current.crosschecked_with:
            checked += f" · cross-checked with {', '.join(current.crosschecked_with)}"
        lines.append(f"checked on  {checked}")
        if current.note:
            lines.append(f"note        {current.note}")
    if len(entry.history) > 1:
        lines += ["", "Price history (a new price appends; none is overwritten):"]
        history = [
            (
                p.effective_from.isoformat(),
                rate_text(p.rates_for(0).input),
                rate_text(p.rates_for(0).output),
                ", ".join(f"> {tokens(t)}" for t in p.tier_thresholds) or "—",
                "← in effect" if p is current else "",
            )
            for p in entry.history
        ]
        lines.append(
            render_table(("effective from", "input", "output", "tiers", ""), history, (1, 2))
        )
    return "\n".join(lines)


def _rates_json(rates: Rates) -> dict[str, Any]:
    result: dict[str, Any] = {
        "mode": rates.mode,
        "tier": rates.tier,
        "above_input_tokens": rates.above_input_tokens,
    }
    for name in _RATE_FIELDS:
        value = getattr(rates, name)
        result[name] = None if value is None else rate_text(value)
    return result


def db_json(db: PriceDB) -> dict[str, Any]:
    return {"origin": db.origin, "updated_at": _stamp(db), "schema_version": db.schema_version}


def _show_data(
    db: PriceDB, entry: ModelEntry, spec: TokenizerSpec, current: ModelPrices | None, on: date
) -> dict[str, Any]:
    return {
        "id": entry.id,
        "provider": entry.provider,
        "display_name": entry.display_name,
        "aliases": list(entry.aliases),
        "context_window": entry.context_window,
        "max_output_tokens": entry.max_output_tokens,
        "deprecated_on": entry.deprecated_on.isoformat() if entry.deprecated_on else None,
        "hosted_by": entry.hosted_by,
        "note": entry.note,
        "tokenizer": {
            "family": spec.family,
            "method": "exact" if spec.is_tiktoken_exact else "approximate",
            "encoding": spec.encoding,
            "exact_backend": spec.exact_backend,
            "ratio": None if spec.ratio is None else rate_text(spec.ratio),
            "error_band_pct": None
            if spec.error_band_pct is None
            else rate_text(spec.error_band_pct),
            "source": spec.source,
        },
        "on": on.isoformat(),
        "in_effect": None
        if current is None
        else {
            "effective_from": current.effective_from.isoformat(),
            "source": current.source,
            "checked_on": current.checked_on.isoformat(),
            "crosschecked_with": current.crosschecked_with,
            "note": current.note,
            "rates": [_rates_json(r) for r in rate_rows(current)],
        },
        "history": [to_json(p.schedule, exclude_none=True) for p in entry.history],
        "db": db_json(db),
    }
