"""Build a price DB from genai-prices, cross-checked against LiteLLM, with hand-kept corrections.

One build path for both uses: the maintainers' `python pricing/build.py` (which writes the
bundled `data/prices.json` and the report in `pricing/README.md`) and a user's
`llm-cost pricing update --from genai-prices` (which rebuilds from the genai-prices package they
have installed). Neither runs while estimating.

Order of the steps, and why:
1. read genai-prices (every token-priced model of the providers we carry);
2. apply the corrections file (facts both sources lack or get wrong, each with a source and date);
3. take names, context windows and retirement dates from LiteLLM where its prices agree;
4. compare every current price with LiteLLM and record who agrees (per schedule);
5. give each name to exactly one model (first-party first), check every model against the schema.
"""

from __future__ import annotations

import contextlib
import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from llmcost_lsp.core.pricing import genai_source, litellm_source
from llmcost_lsp.core.pricing.genai_source import Imported
from llmcost_lsp.core.pricing.model import SCHEMA_VERSION, ModelSchema, PriceFileSchema
from llmcost_lsp.core.pricing.names import (
    FIRST_PARTY_PREFIXES,
    HOST_PREFIXES,
    SNAPSHOT_SUFFIX,
    NameIndex,
)
from llmcost_lsp.core.pricing.naming import (
    BEDROCK_REGION,
    generation,
    same_generation,
)

KNOWN_PREFIXES = {*FIRST_PARTY_PREFIXES, *HOST_PREFIXES}


@dataclass
class Disagreement:
    model: str
    litellm_key: str
    field: str
    ours: str
    theirs: str
    resolution: str


@dataclass
class BuildReport:
    """What the build did, for pricing/README.md and `pricing status`."""

    genai_version: str
    litellm_version: str | None
    built_on: date
    models: int = 0
    providers: int = 0
    hosts: dict[str, int] = field(default_factory=dict)
    embeddings: int = 0
    retired: int = 0
    in_both: int = 0
    only_genai: int = 0
    agreeing_figures: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)
    aliases_from_litellm: int = 0


# -- tokenizer families ------------------------------------------------------------------------


def _claude_version(name: str) -> tuple[int, ...]:
    numbers = generation(name)
    return tuple(n for n in numbers if n < 100)[:2]


def tokenizer_family(model_id: str, maker: str) -> str:
    """Which `tokenizers` family counts a model's tokens (exact where the vocabulary is public)."""
    name = model_id.rsplit("/", 1)[-1].lower()
    name = BEDROCK_REGION.sub("", name).removeprefix("openai.").removeprefix("anthropic.")
    if maker == "openai":
        if re.match(r"(gpt-4o|gpt-4\.[15]|gpt-[5-9]|o[1-9]|chatgpt|gpt-oss|codex|gpt-realtime"
                    r"|gpt-audio|computer-use)", name):  # fmt: skip
            return "o200k"
        if re.match(r"(gpt-4|gpt-3\.5|gpt-35|text-embedding)", name):
            return "cl100k"
        return "generic"
    if maker == "anthropic":
        return "claude-2026" if _claude_version(name) >= (4, 7) else "claude"
    if maker == "google":
        return "gemini"
    if maker == "xai":
        return "grok"
    if maker == "amazon":
        return "nova"
    if maker == "cohere":
        return "cohere"
    if maker == "deepseek" and "distill" not in name:
        return "deepseek"
    if maker == "meta":
        if re.search(r"llama-?4", name):
            return "llama4"
        if re.search(r"llama-?3", name):
            return "llama3"
        return "generic"
    if maker == "mistral":
        if re.search(r"mixtral|7b|8x|tiny|saba", name):
            return "generic"  # older vocabularies: not Tekken
        return "mistral-tekken"
    return "generic"


# -- corrections -------------------------------------------------------------------------------


def load_corrections(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _require(item: dict[str, Any], where: str) -> None:
    for key in ("source", "checked_on"):
        if not item.get(key):
            raise ValueError(f"{where}: every correction needs `{key}`")


def apply_corrections(
    models: dict[str, dict[str, Any]],
    corrections: dict[str, Any],
    report: BuildReport,
    today: date,
) -> None:
    """Facts the sources lack or get wrong. Each names its source and the day it was checked."""
    for item in corrections.get("model", []):
        _require(item, f"[[model]] {item.get('id')}")
        model = models.get(item["id"])
        if model is None:
            report.corrections.append(f"{item['id']}: not in genai-prices, correction unused")
            continue
        for key in ("context_window", "max_output_tokens", "tokenizer", "display_name"):
            if key in item:
                model[key] = item[key]
        first = model["prices"][0]
        if "launched" in item and first["effective_from"] is None:
            first["_from"] = (item["launched"], item.get("launch_source"), None)
        elif "vouched_from" in item and first["effective_from"] is None:
            # checked by hand on that day; the launch date itself is not verified
            first["_from"] = (
                item["vouched_from"],
                None,
                f"Launch date not verified: this DB vouches for the price from "
                f"{item['vouched_from']}, the day it was first checked.",
            )
        if "note" in item:
            model["note"] = item["note"]
    for item in corrections.get("price", []):
        _require(item, f"[[price]] {item.get('model')}")
        model = models[item["model"]]
        schedule = current_schedule(model, today)
        table = schedule
        mode = item.get("mode", "standard")
        if mode != "standard":
            table = schedule.setdefault("modes", {}).setdefault(mode, {})
            if "multiplier" in table:
                raise ValueError(f"[[price]] {item['model']}: mode {mode} is a multiplier")
            table = table.setdefault("prices", {})
        old = table.get(item["field"])
        table[item["field"]] = item["value"]
        for tier in table.get("tiers", []):
            tier_value = item.get("tiers", {}).get(str(tier["above_input_tokens"]))
            if tier_value is not None:
                tier[item["field"]] = tier_value
        _add_note(schedule, f"{item['field']} ({mode}) corrected: {item['reason']} "
                  f"(source: {item['source']}, checked {item['checked_on']})")  # fmt: skip
        report.corrections.append(
            f"{item['model']} {mode} {item['field']}: {old} -> {item['value']} ({item['reason']})"
        )
    for item in corrections.get("mode_limit", []):
        _require(item, f"[[mode_limit]] {item.get('model')}")
        spec = current_schedule(models[item["model"]], today).get("modes", {}).get(item["mode"])
        if spec is not None:
            spec["max_input_tokens"] = item["max_input_tokens"]
            spec["note"] = item["reason"]
            report.corrections.append(
                f"{item['model']} {item['mode']}: not offered above "
                f"{item['max_input_tokens']:,} input tokens ({item['reason']})"
            )
    for item in corrections.get("retired", []):
        _require(item, f"[[retired]] {item.get('model')}")
        if item["model"] in models:
            models[item["model"]]["deprecated_on"] = item["on"].isoformat()
            report.corrections.append(
                f"{item['model']}: retired on {item['on']} ({item['source']})"
            )
    for item in corrections.get("latest", []):
        _require(item, f"[[latest]] {item.get('name')}")
        model = models.get(item["model"])
        if model is not None:
            model.setdefault("moving_aliases", {})[item["name"]] = item["pinned"]
    for item in corrections.get("min_cache", []):
        _require(item, f"[[min_cache]] {item.get('provider') or item.get('model')}")


def current_schedule(model: dict[str, Any], today: date) -> dict[str, Any]:
    """The schedule in effect on the build day (an undated first schedule counts as started)."""
    schedules: list[dict[str, Any]] = model["prices"]
    started = [
        s for s in schedules
        if s["effective_from"] is None or date.fromisoformat(s["effective_from"]) <= today
    ]  # fmt: skip
    return started[-1] if started else schedules[0]


def _add_note(schedule: dict[str, Any], text: str) -> None:
    schedule["note"] = f"{schedule['note']} {text}" if schedule.get("note") else text


def _min_cache(corrections: dict[str, Any], model: dict[str, Any]) -> int | None:
    for item in corrections.get("min_cache", []):
        if item.get("model") == model["id"]:
            return int(item["tokens"])
    for item in corrections.get("min_cache", []):
        pattern = item.get("pattern")
        if item.get("provider") == model["provider"] and (
            pattern is None or re.search(pattern, model["id"])
        ):
            return int(item["tokens"])
    return None


# -- LiteLLM -----------------------------------------------------------------------------------


def _bare(name: str, host: str | None) -> str:
    return name.split("/", 1)[1] if host and name.startswith(f"{host}/") else name


def _litellm_entry(map_: dict[str, Any], imported: Imported) -> tuple[str, dict[str, Any]] | None:
    entry = imported.entry
    host = entry["hosted_by"]
    names = [_bare(n, host) for n in genai_source.iter_names(entry)]
    return litellm_source.find(map_, host or entry["provider"], names)


def harvest_litellm(
    models: dict[str, dict[str, Any]],
    items: list[Imported],
    map_: dict[str, Any],
    label: str,
    report: BuildReport,
    today: date,
) -> None:
    """Compare each model's current prices with LiteLLM; take context windows, retirement dates
    and the dated names genai-prices' match rules cover, where LiteLLM's prices agree."""
    for item in items:
        entry = item.entry
        found = _litellm_entry(map_, item)
        if found is None:
            report.only_genai += 1
            continue
        key, theirs = found
        report.in_both += 1
        current = current_schedule(entry, today)
        agreed, differences = litellm_source.compare(current, theirs)
        report.agreeing_figures += agreed
        if differences:
            for difference in differences:
                report.disagreements.append(
                    Disagreement(
                        entry["id"],
                        key,
                        difference.field,
                        _fmt(difference.ours),
                        _fmt(difference.theirs),
                        "genai-prices kept (primary source)",
                    )
                )
            _add_note(
                current,
                f"{label} differs: "
                + ", ".join(
                    f"{d.field} {_fmt(d.theirs)} (here {_fmt(d.ours)})" for d in differences
                )
                + ".",
            )
        elif agreed:
            current["crosschecked_with"].append(label)
        if entry.get("context_window") is None and isinstance(theirs.get("max_input_tokens"), int):
            entry["context_window"] = theirs["max_input_tokens"]
        if entry.get("max_output_tokens") is None and isinstance(
            theirs.get("max_output_tokens"), int
        ):
            entry["max_output_tokens"] = theirs["max_output_tokens"]
        retired = theirs.get("deprecation_date")
        if entry.get("deprecated_on") is None and isinstance(retired, str):
            with contextlib.suppress(ValueError):  # a malformed date is no date
                entry["deprecated_on"] = date.fromisoformat(retired).isoformat()
        minimum = theirs.get("prompt_cache_min_tokens")
        if isinstance(minimum, int) and minimum > 0:
            entry["min_cache_tokens"] = minimum
    _harvest_names(items, map_, report, today)


def _harvest_names(
    items: list[Imported], map_: dict[str, Any], report: BuildReport, today: date
) -> None:
    """LiteLLM's first-party keys that genai-prices' match rules give to one of our models (e.g.
    dated snapshots), when LiteLLM prices them the same: added as aliases of that model."""
    by_provider: dict[str, list[Imported]] = {}
    for item in items:
        if item.entry["hosted_by"] is None:
            by_provider.setdefault(item.entry["provider"], []).append(item)
    prefixes = {"gemini/": "google", "mistral/": "mistral", "xai/": "xai", "deepseek/": "deepseek"}
    first_party = {"openai": "openai", "anthropic": "anthropic", "cohere_chat": "cohere",
                   "cohere": "cohere", "perplexity": "perplexity"}  # fmt: skip
    ids = {item.entry["id"]: item.entry for item in items}
    for key, theirs in map_.items():
        if not isinstance(theirs, dict):
            continue
        provider = first_party.get(str(theirs.get("litellm_provider")))
        name = key
        for prefix, owner in prefixes.items():
            if key.startswith(prefix):
                provider, name = owner, key[len(prefix) :]
        if provider is None or "/" in name:
            continue
        name = name.lower()
        target = str(theirs.get("alias_of") or "").lower().rsplit("/", 1)[-1]
        if target in ids and name.endswith("latest"):
            # LiteLLM's moving names ("claude-opus-latest" -> claude-opus-5-5)
            ids[target].setdefault("moving_aliases", {}).setdefault(name, target)
            continue
        if "input_cost_per_token" not in theirs:
            continue
        for item in by_provider.get(provider, []):
            matcher = item.matcher
            if matcher is None or not matcher.is_match(name):
                continue
            entry = item.entry
            if name == entry["id"] or name in entry["aliases"]:
                break
            _agreed, differences = litellm_source.compare(current_schedule(entry, today), theirs)
            if not differences and same_generation(name, entry["id"]):
                entry["aliases"].append(name)
                report.aliases_from_litellm += 1
            break  # genai-prices takes the first model that matches


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else format(value.normalize(), "f")


# -- names -------------------------------------------------------------------------------------


def assign_names(items: list[Imported], corrections: dict[str, Any]) -> None:
    """Every name to one model: ids first, then first-party aliases, then a host's bare names
    (`llama-3.3-70b-versatile` on Groq) when no earlier model claims them."""
    taken: dict[str, str] = {}
    for item in items:
        taken[item.entry["id"]] = item.entry["id"]
    for item in items:  # a moving name belongs to its correction, never to a stale exact alias
        for name in item.entry.get("moving_aliases", {}):
            taken.setdefault(name, item.entry["id"])
    # names a first-party model's prefixes cover (`claude-3.5-sonnet-20240620`) stay with it
    first_party = [
        prefix for item in items if item.entry["hosted_by"] is None for prefix in item.prefixes
    ]

    def covered(name: str) -> bool:
        return any(
            name.startswith(p) and SNAPSHOT_SUFFIX.match(name[len(p) :]) for p in first_party
        )

    extra: dict[str, list[str]] = {}
    for alias in corrections.get("alias", []):
        _require(alias, f"[[alias]] {alias.get('name')}")
        extra.setdefault(alias["model"], []).append(alias["name"].lower())
    for item in items:
        entry = item.entry
        host = entry["hosted_by"]
        wanted = [*entry["aliases"], *extra.get(entry["id"], [])]
        if host is not None:
            # a host's bare names (`llama-3.3-70b-versatile`), never one that reads as another
            # host's or provider's prefixed name (OpenRouter's `openai/gpt-4o` is OpenAI's)
            # OpenRouter is called with its `vendor/model` slugs; its bare names would only
            # shadow the providers' own
            bare = [] if host == "openrouter" else [
                _bare(name, host) for name in [entry["id"], *entry["aliases"]]
            ]  # fmt: skip
            wanted += [
                n for n in bare
                if ("/" not in n or n.split("/", 1)[0] not in KNOWN_PREFIXES) and not covered(n)
            ]  # fmt: skip
        kept: list[str] = []
        for name in wanted:
            name = name.strip().lower()
            if not name or name in kept or taken.get(name, entry["id"]) != entry["id"]:
                continue
            if name == entry["id"]:
                continue
            taken[name] = entry["id"]
            kept.append(name)
        entry["aliases"] = kept
        prefixes = [
            f"{host}/{p}" if host else p
            for p in item.prefixes
            if p and taken.get(f"{host}/{p}" if host else p, entry["id"]) == entry["id"]
        ]
        if prefixes:
            entry["name_prefixes"] = sorted(set(prefixes))
        moving = entry.get("moving_aliases", {})
        for name in list(moving):
            if taken.get(name) != entry["id"]:
                del moving[name]


# -- dates -------------------------------------------------------------------------------------


def settle_dates(entry: dict[str, Any], today: date) -> None:
    """An undated first price: before a dated change it says nothing we can date, so it is
    dropped; otherwise the DB vouches for it from the day it was checked."""
    schedules = entry["prices"]
    first = schedules[0]
    known = first.pop("_from", None)  # a date from the corrections file
    if first["effective_from"] is None:
        following = date.fromisoformat(schedules[1]["effective_from"]) if schedules[1:] else None
        if known is not None and (following is None or known[0] < following):
            first["effective_from"] = known[0].isoformat()
            first["source"] = known[1] or first["source"]
            if known[2]:
                _add_note(first, known[2])
        elif following is not None and following <= today:
            schedules.pop(0)
        else:
            schedules[0]["effective_from"] = today.isoformat()
            _add_note(
                schedules[0],
                "Launch date not verified: this DB vouches for the price from the day it was "
                "checked.",
            )
    future = [s for s in schedules if date.fromisoformat(s["effective_from"]) > today]
    if future and len(future) == len(schedules):
        schedules[0]["effective_from"] = today.isoformat()


# -- the whole build ---------------------------------------------------------------------------


def build(
    providers: Iterable[Any],
    *,
    genai_version: str,
    tokenizers: dict[str, Any],
    corrections: dict[str, Any],
    litellm: tuple[dict[str, Any], str] | None,
    now: datetime,
) -> tuple[dict[str, Any], BuildReport]:
    """The price file (a dict ready for JSON) and the report of what was done."""
    today = now.astimezone(UTC).date()
    label = f"genai-prices {genai_version}"
    report = BuildReport(genai_version, litellm[1] if litellm else None, today)
    items, skipped = genai_source.read_providers(providers, today=today, source_label=label)
    report.left_out += [(f"{s.provider}/{s.model}", s.reason) for s in skipped]
    models = {item.entry["id"]: item.entry for item in items}
    apply_corrections(models, corrections, report, today)
    if litellm is not None:
        harvest_litellm(models, items, litellm[0], litellm[1], report, today)
    assign_names(items, corrections)
    kept: list[dict[str, Any]] = []
    for item in items:
        entry = item.entry
        settle_dates(entry, today)
        if not entry.get("tokenizer"):
            entry["tokenizer"] = tokenizer_family(entry["id"], entry["provider"])
        _drop_unreachable_tiers(entry)
        _drop_inverted_modes(entry, report)
        _drop_other_generations(entry, report)
        minimum = _min_cache(corrections, entry)
        if minimum is not None:
            entry["min_cache_tokens"] = minimum
        _drop_nulls(entry)
        try:
            ModelSchema.model_validate(entry)
        except ValidationError as error:
            problem = error.errors(include_url=False)[0]
            where = ".".join(str(p) for p in problem["loc"])
            report.left_out.append((entry["id"], f"fails the schema: {where}: {problem['msg']}"))
            continue
        kept.append(entry)
    document = {
        "schema_version": SCHEMA_VERSION,
        "updated_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "built_from": [label, *([litellm[1]] if litellm else [])],
        "currency": "USD",
        "unit": "per_million_tokens",
        "tokenizers": tokenizers,
        "name_index": NameIndex(kept).to_table(),
        "models": kept,
    }
    PriceFileSchema.model_validate(document)
    report.models = len(kept)
    report.providers = len({m["provider"] for m in kept})
    for model in kept:
        host = model.get("hosted_by") or "first-party"
        report.hosts[host] = report.hosts.get(host, 0) + 1
    report.embeddings = sum(1 for m in kept if m.get("kind") == "embedding")
    report.retired = sum(
        1
        for m in kept
        if m.get("deprecated_on") and date.fromisoformat(m["deprecated_on"]) <= today
    )
    return document, report


def _drop_unreachable_tiers(entry: dict[str, Any]) -> None:
    """A long-context tier at or above the context window can never apply (genai-prices keeps
    some for historical usage, e.g. Sonnet 4.5's retired 1M beta): left out, with a note."""
    window = entry.get("context_window")
    if window is None:
        return
    for schedule in entry["prices"]:
        tables = [schedule] + [
            spec["prices"] for spec in schedule.get("modes", {}).values() if "prices" in spec
        ]
        for table in tables:
            tiers = table.get("tiers", [])
            kept = [t for t in tiers if t["above_input_tokens"] < window]
            if len(kept) != len(tiers):
                table["tiers"] = kept
                if not kept:
                    del table["tiers"]
                _add_note(
                    schedule,
                    f"Tiers above the {window:,}-token context window left out (they cannot "
                    "apply).",
                )


def _drop_inverted_modes(entry: dict[str, Any], report: BuildReport) -> None:
    """Batch, flex and off-peak are discounts and priority a premium; a mode the source records
    the other way round is a data error there, left out and reported."""
    for schedule in entry["prices"]:
        modes = schedule.get("modes", {})
        for mode in list(modes):
            spec = modes[mode]
            price = (
                Decimal(schedule["input"]) * Decimal(spec["multiplier"])
                if "multiplier" in spec
                else Decimal(spec["prices"]["input"])
            )
            base = Decimal(schedule["input"])
            if (mode == "priority" and price < base) or (mode != "priority" and price > base):
                del modes[mode]
                report.left_out.append((f"{entry['id']} {mode}", "mode priced the wrong way round"))
        if not modes:
            schedule.pop("modes", None)


def _drop_other_generations(entry: dict[str, Any], report: BuildReport) -> None:
    """A first-party alias whose version numbers differ from the id's (`text-ada-001` of `ada`)
    could name another generation: left out rather than risk a wrong price."""
    if entry.get("hosted_by"):
        return
    kept = []
    for alias in entry["aliases"]:
        if same_generation(alias, entry["id"]):
            kept.append(alias)
        else:
            report.left_out.append((f"alias {alias}", f"version numbers differ from {entry['id']}"))
    entry["aliases"] = kept


def _drop_nulls(entry: dict[str, Any]) -> None:
    for key in ("context_window", "max_output_tokens", "deprecated_on", "hosted_by", "note"):
        if entry.get(key) is None:
            entry.pop(key, None)
    if entry.get("kind") == "chat":
        entry.pop("kind")
    if not entry.get("moving_aliases"):
        entry.pop("moving_aliases", None)


MODELS_MARK = ',\n "models": [\n'


def dump(document: dict[str, Any]) -> bytes:
    """The price file's bytes: the header, then one model per line. A reader can take the header
    and `name_index` without parsing the models (see `db.parse_price_db`), and diffs stay
    readable."""
    head = {k: v for k, v in document.items() if k not in ("models", "name_index")}
    index = json.dumps(document["name_index"], ensure_ascii=False, separators=(",", ":"))
    lines = [json.dumps(head, ensure_ascii=False, indent=1)[:-2]]
    lines.append(f',\n "name_index": {index}{MODELS_MARK}')
    models = document["models"]
    for number, model in enumerate(models):
        comma = "," if number < len(models) - 1 else ""
        text = json.dumps(model, ensure_ascii=False, separators=(",", ":"))
        lines.append(f"  {text}{comma}\n")
    lines.append(" ]\n}\n")
    return "".join(lines).encode("utf-8")
