"""Read the price data the `genai-prices` package ships into our price-file shape (plain dicts).

Used by the build (`pricing/build.py`) and by `llm-cost pricing update --from genai-prices`;
never at run time of an estimate. The package is imported lazily and read duck-typed, so a
newer genai-prices with the same data classes works without a change here.

What is kept: token prices (input, output, cache read, cache write 5 m / 1 h), long-context
tiers, the price history (`StartDateConstraint`), batch/flex/priority variants, and DeepSeek-style
time-of-day prices (the peak price is the standard one, the other an `off_peak` mode). What is
left out, with the reason recorded: models with no token price (images, audio, per request).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from llmcost_lsp.core.pricing.naming import HOST_NAMES, maker_of

# genai-prices provider id -> (our provider for first-party models, host or None)
HOSTS: dict[str, tuple[str | None, str | None]] = {
    "openai": ("openai", None),
    "anthropic": ("anthropic", None),
    "google": ("google", None),
    "mistral": ("mistral", None),
    "deepseek": ("deepseek", None),
    "x-ai": ("xai", None),
    "cohere": ("cohere", None),
    "perplexity": ("perplexity", None),
    "voyageai": ("voyage", None),
    "azure": (None, "azure"),
    "aws": (None, "bedrock"),
    "groq": (None, "groq"),
    "together": (None, "together"),
    "fireworks": (None, "fireworks"),
    "openrouter": (None, "openrouter"),
}
# first-party providers come first: a bare name goes to the first model that claims it
PRIORITY = tuple(HOSTS)
PRICE_KEYS = {
    "input_mtok": "input",
    "output_mtok": "output",
    "cache_read_mtok": "cache_read",
    "cache_write_mtok": "cache_write_5m",
    "cache_write_1h_mtok": "cache_write_1h",
}
VARIANT_MODES = {
    ("processing", "batch"): "batch",
    ("service_tier", "flex"): "flex",
    ("service_tier", "priority"): "priority",
}
_ID_OK = re.compile(r"^[a-z0-9][a-z0-9._\-:/@]*$")


@dataclass
class Skipped:
    """A genai-prices model the DB leaves out, and why."""

    provider: str
    model: str
    reason: str


@dataclass
class Imported:
    """A model read from genai-prices, before cross-checking; `entry` is the price-file dict."""

    genai_provider: str
    genai_id: str
    entry: dict[str, Any]
    prefixes: list[str] = field(default_factory=list)
    matcher: Any = None  # genai-prices' model, to test names against its match rules
    deprecated: bool = False


def _text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _price_at(price: Any, threshold: int | None) -> Decimal:
    """A flat price, or a tiered one's price for prompts above `threshold` (None: the base)."""
    if hasattr(price, "tiers"):
        chosen = Decimal(price.base)
        for tier in sorted(price.tiers, key=lambda t: t.start):
            if threshold is not None and threshold >= tier.start:
                chosen = Decimal(tier.price)
        return chosen
    return Decimal(price)


def _thresholds(prices: dict[str, Any]) -> list[int]:
    starts: set[int] = set()
    for price in prices.values():
        for tier in getattr(price, "tiers", None) or ():
            starts.add(int(tier.start))
    return sorted(starts)


def _token_prices(model_price: Any) -> dict[str, Any]:
    values = getattr(model_price, "__dict__", {})
    return {ours: values[key] for key, ours in PRICE_KEYS.items() if values.get(key) is not None}


def price_table(prices: dict[str, Any]) -> dict[str, Any]:
    """genai-prices' per-field (maybe tiered) prices -> our base prices plus whole-set tiers."""
    table: dict[str, Any] = {name: _text(_price_at(p, None)) for name, p in prices.items()}
    tiers = []
    for start in _thresholds(prices):
        tier: dict[str, Any] = {"above_input_tokens": start}
        tier.update({name: _text(_price_at(p, start)) for name, p in prices.items()})
        tiers.append(tier)
    if tiers:
        table["tiers"] = tiers
    return table


def _constraint_kind(conditional: Any) -> tuple[str, Any]:
    constraint = getattr(conditional, "constraint", None)
    if constraint is None:
        return "always", None
    if hasattr(constraint, "start_date"):
        return "from", constraint.start_date
    if hasattr(constraint, "start_time"):
        return "daily", (constraint.start_time, constraint.end_time)
    return "unknown", None


@dataclass
class _Schedule:
    start: date | None
    prices: dict[str, Any]
    peak: dict[str, Any] | None = None
    windows: list[str] = field(default_factory=list)


def schedules_of(model: Any) -> list[_Schedule]:
    """The price history: an undated first price, dated changes, and daily peak windows."""
    raw = model.prices
    if not isinstance(raw, list):
        return [_Schedule(None, _token_prices(raw))]
    result: list[_Schedule] = []
    peak: dict[str, Any] | None = None
    windows: list[str] = []
    for conditional in raw:
        kind, value = _constraint_kind(conditional)
        prices = _token_prices(conditional.prices)
        if kind == "always":
            result.append(_Schedule(None, prices))
        elif kind == "from":
            result.append(_Schedule(value, prices))
        elif kind == "daily":
            peak = prices
            windows.append(f"{value[0]:%H:%M}-{value[1]:%H:%M} UTC")
    if peak is not None and result:
        # peak windows apply to the newest schedule (genai-prices cannot date them either)
        result[-1].peak, result[-1].windows = peak, windows
    return result


def _variants(model: Any, today: date) -> dict[str, dict[str, Any]]:
    modes: dict[str, dict[str, Any]] = {}
    for variant in getattr(model, "price_variants", None) or ():
        constraint = getattr(variant, "constraint", None)
        start = getattr(constraint, "start_date", None)
        if start is not None and start > today:
            continue
        for key, value in variant.when.items():
            mode = VARIANT_MODES.get((key, value))
            if mode is not None and len(variant.when) == 1:
                modes[mode] = _token_prices(variant.prices)
    return modes


def match_names(match: Any) -> tuple[list[str], list[str]]:
    """Exact names and name prefixes in a genai-prices match clause (regexes are not names)."""
    exact: list[str] = []
    prefixes: list[str] = []

    def walk(clause: Any) -> None:
        if hasattr(clause, "equals"):
            exact.append(clause.equals)
        elif hasattr(clause, "starts_with"):
            prefixes.append(clause.starts_with)
        elif hasattr(clause, "contains"):
            prefixes.append(clause.contains)
        for sub in getattr(clause, "or_", None) or ():
            walk(sub)
        # an `and` narrows names; its parts are not names on their own

    walk(match)
    return exact, prefixes


def _mode_entry(standard: dict[str, Any], mode_prices: dict[str, Any]) -> dict[str, Any] | None:
    """A mode: genai-prices' partial override merged onto the standard prices (as it does), as
    a multiplier when every price is exactly the same short multiple of the standard one."""
    merged = dict(standard)
    merged.update(mode_prices)
    table = price_table(merged)
    mode_flat, base_flat = _flat_prices(table), _flat_prices(price_table(standard))
    if mode_flat == base_flat:
        return None  # the same prices: not a mode of its own
    if set(mode_flat) == set(base_flat) and all(Decimal(v) > 0 for v in base_flat.values()):
        first = next(iter(base_flat))
        ratio = (Decimal(mode_flat[first]) / Decimal(base_flat[first])).quantize(Decimal("0.0001"))
        if all(
            (Decimal(base_flat[k]) * ratio).normalize() == Decimal(v).normalize()
            for k, v in mode_flat.items()
        ):
            return {"multiplier": _text(ratio)}
    return {"prices": table}


def _flat_prices(table: dict[str, Any]) -> dict[str, str]:
    flat = {k: v for k, v in table.items() if k != "tiers"}
    for tier in table.get("tiers", []):
        for k, v in tier.items():
            if k != "above_input_tokens":
                flat[f"{tier['above_input_tokens']}:{k}"] = v
    return flat


def _display(model: Any, host: str | None) -> str:
    name = str(getattr(model, "name", None) or model.id)
    return f"{name} on {HOST_NAMES[host]}" if host else name


def our_id(host: str | None, genai_id: str) -> str:
    name = genai_id.strip().lower()
    return f"{host}/{name}" if host else name


def read_providers(
    providers: Iterable[Any], *, today: date, source_label: str
) -> tuple[list[Imported], list[Skipped]]:
    """Every token-priced model of the providers we carry, as price-file dicts."""
    imported: list[Imported] = []
    skipped: list[Skipped] = []
    by_id = {p.id: p for p in providers}
    for genai_provider in PRIORITY:
        provider = by_id.get(genai_provider)
        if provider is None:
            continue
        first_party, host = HOSTS[genai_provider]
        url = (getattr(provider, "pricing_urls", None) or [""])[0]
        for model in provider.models:
            model_host = host
            maker = first_party or maker_of(model.id, host or genai_provider)
            if genai_provider == "google" and model.id.startswith("claude"):
                model_host, maker = "vertex", "anthropic"  # Anthropic's models on Vertex AI
            item, reason = _read_model(
                model, genai_provider, maker, model_host, url, today, source_label
            )
            if item is None:
                skipped.append(Skipped(genai_provider, model.id, reason))
            else:
                imported.append(item)
    return imported, skipped


def _read_model(
    model: Any,
    genai_provider: str,
    maker: str,
    host: str | None,
    url: str,
    today: date,
    source_label: str,
) -> tuple[Imported | None, str]:
    exact, prefixes = match_names(model.match)
    genai_id = model.id
    if genai_id.endswith("-latest") and genai_id[: -len("-latest")] in prefixes:
        # genai-prices names some retired families by their moving name
        # (`claude-3-7-sonnet-latest` covers every `claude-3-7-sonnet…`): the family is the id
        genai_id = genai_id[: -len("-latest")]
    model_id = our_id(host, genai_id)
    if not _ID_OK.match(model_id):
        return None, "id is not a plain model name (e.g. OpenRouter's `~` moving slugs)"
    if not url.startswith("https://"):
        return None, "no https price page"
    history = schedules_of(model)
    current = [s for s in history if s.start is None or s.start <= today]
    if not current:
        return None, "every price starts in the future"
    if not any("input" in s.prices for s in history):
        return None, "no per-token input price (image, audio or per-request pricing)"
    kind = "chat"
    schedules = []
    for number, schedule in enumerate(history):
        prices = dict(schedule.prices)
        if "input" not in prices:
            return None, "a schedule without an input price"
        if "output" not in prices or "embed" in model.id.lower():
            # an embedding call returns vectors, not tokens: no output is ever billed, even
            # where the source lists an output price for the model
            kind = "embedding"
            prices["output"] = Decimal(0)
        standard = schedule.peak or prices
        if schedule.peak is not None and "output" not in standard:
            standard = {**standard, "output": Decimal(0)}
        entry: dict[str, Any] = {
            "effective_from": schedule.start.isoformat() if schedule.start else None,
            "source": url,
            "checked_on": today.isoformat(),
            "crosschecked_with": [source_label],
        }
        entry.update(price_table(standard))
        modes: dict[str, Any] = {}
        if number == len(history) - 1:
            for mode, mode_prices in _variants(model, today).items():
                built = _mode_entry(standard, mode_prices)
                if built is not None:
                    modes[mode] = built
        if schedule.peak is not None:
            off = _mode_entry(standard, prices)
            if off is not None:
                off["note"] = (
                    "Off-peak: outside the peak windows "
                    f"({', '.join(schedule.windows)}); the standard price is the peak price"
                )
                modes["off_peak"] = off
        if modes:
            entry["modes"] = modes
        notes = []
        if schedule.peak is not None:
            notes.append(
                f"Peak-hour price ({', '.join(schedule.windows)}); the off_peak mode prices "
                "the other hours"
            )
        if notes:
            entry["note"] = "; ".join(notes)
        schedules.append(entry)
    aliases = [our_id(host, name) for name in exact if name.strip().lower() != genai_id.lower()]
    entry = {
        "id": model_id,
        "provider": maker,
        "display_name": _display(model, host),
        "aliases": aliases,
        "kind": kind,
        "tokenizer": "",
        "context_window": getattr(model, "context_window", None),
        "max_output_tokens": None,
        "deprecated_on": None,
        "hosted_by": host,
        "prices": schedules,
    }
    comments = getattr(model, "price_comments", None)
    if comments:
        entry["note"] = str(comments)
    return (
        Imported(
            genai_provider,
            model.id,
            entry,
            prefixes=[p.lower() for p in prefixes],
            matcher=model,
            deprecated=bool(getattr(model, "deprecated", False)),
        ),
        "",
    )


def iter_names(entry: dict[str, Any]) -> Iterator[str]:
    yield entry["id"]
    yield from entry.get("aliases", [])
