"""`llm-cost pricing list|show`: what the price DB knows, printed exactly as written in it."""

from __future__ import annotations

import argparse
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the core loads lazily, inside `run`
    from llmcost_lsp.core.pricing.db import ModelEntry, ModelPrices, PriceDB, Rates
    from llmcost_lsp.core.tokens.spec import TokenizerSpec

# exact tokenizer backends -> the optional extra that installs them (pyproject.toml)
_EXTRAS = {"llama3": "llama", "llama4": "llama", "mistral-tekken": "mistral", "qwen": "qwen"}
_RATE_FIELDS = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h", "reasoning")
# "write 5m/1h": prompt-cache writes with a 5-minute / 1-hour lifetime
_RATE_HEADERS = ("input", "output", "cache read", "write 5m", "write 1h", "reasoning")


def register(actions: Any) -> None:
    listing = actions.add_parser("list", help="list the models the price DB knows")
    listing.add_argument("--provider", help="only this provider's models (e.g. openai)")
    _common(listing)
    listing.set_defaults(run=run_list)

    show = actions.add_parser("show", help="every price of one model, with sources and dates")
    show.add_argument("model", metavar="MODEL", help="model id or alias, e.g. gpt-4o")
    show.add_argument(
        "--on",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="show the prices in effect on this date (default: today)",
    )
    _common(show)
    show.set_defaults(run=run_show)


def _common(parser: argparse.ArgumentParser) -> None:
    from llmcost_lsp.cli.freshness import add_freshness_flags

    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument(
        "--db", type=Path, metavar="FILE", help="read this price file instead of the installed DB"
    )
    add_freshness_flags(parser)


def _load(args: argparse.Namespace) -> PriceDB:
    """The DB asked for; the one in use is judged by the staleness policy (an explicit file,
    being looked at rather than used for estimates, is not)."""
    from llmcost_lsp.cli.freshness import apply_freshness
    from llmcost_lsp.core.pricing.db import load_price_db

    db_path: Path | None = args.db
    db = load_price_db(db_path)
    if db_path is None:
        apply_freshness(args, db)
    return db


def rate_text(value: Decimal | None) -> str:
    """A price as written in the DB: plain notation, never rounded through a float."""
    return "—" if value is None else format(value, "f")


def _limit(value: int | None) -> str:
    return "unknown" if value is None else f"{tokens(value)} tokens"


def tokens(value: int) -> str:
    return f"{value:,}"


def _today() -> date:
    """Today by the settings' clock (LLMCOST_NOW pins it)."""
    from llmcost_lsp.core.settings import Settings

    return Settings.from_env().today()


# ---- list ----------------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.errors import InputError

    db = _load(args)
    entries = db.models(args.provider)
    if args.provider and not entries:
        raise InputError(
            f"no models of provider {args.provider!r}",
            hint=f"known providers: {', '.join(db.providers())}",
        )
    today = _today()
    rows = [_list_row(entry, today) for entry in entries]
    if args.format == "json":
        print(json.dumps({"db": _db_json(db), "models": rows}, indent=2, ensure_ascii=False))
        return 0
    from llmcost_lsp.present.table import render_table

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
    print(render_table(headers, table_rows, right_align=(2, 3, 4)))
    print(f"\n{len(rows)} models · USD per million input/output tokens, standard processing, "
          f"shortest-prompt tier · price DB {db.origin}, updated {_stamp(db)}")  # fmt: skip
    return 0


def _list_row(entry: ModelEntry, today: date) -> dict[str, Any]:
    from llmcost_lsp.core.errors import PricingError

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


# ---- show ----------------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    db = _load(args)
    entry = db.resolve(args.model)
    on: date = args.on or _today()
    spec = db.tokenizer_for(entry)
    from llmcost_lsp.core.errors import PricingError

    try:
        current: ModelPrices | None = entry.prices_at(on)
    except PricingError:
        current = None
    if args.format == "json":
        print(json.dumps(_show_json(db, entry, spec, current, on), indent=2, ensure_ascii=False))
    else:
        print(_show_text(db, entry, spec, current, on))
    return 0


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
    from llmcost_lsp.present.table import render_table

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


def _db_json(db: PriceDB) -> dict[str, Any]:
    return {"origin": db.origin, "updated_at": _stamp(db), "schema_version": db.schema_version}


def _show_json(
    db: PriceDB, entry: ModelEntry, spec: TokenizerSpec, current: ModelPrices | None, on: date
) -> dict[str, Any]:
    from llmcost_lsp.core.pricing.records import to_json

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
        "db": _db_json(db),
    }
