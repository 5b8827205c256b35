"""Invariants every price in the bundled DB must keep; a bad build of prices.json fails here.

The DB holds over a thousand models, so each invariant is one test that loops over all of them
and lists every model that breaks it (one test per model would add ten thousand test ids)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from llmcost_lsp.core.pricing.db import PriceDB, bundled_price_bytes
from llmcost_lsp.core.pricing.model import PRICE_FIELDS
from llmcost_lsp.core.pricing.naming import generation, same_generation

RAW: dict[str, Any] = json.loads(bundled_price_bytes())
MODELS: list[dict[str, Any]] = RAW["models"]
REQUIRED_PROVIDERS = {"openai", "anthropic", "google", "mistral", "deepseek", "xai", "meta",
                      "amazon", "cohere", "perplexity", "voyage"}  # fmt: skip
# every host a team calls directly or through a big cloud (issue 14)
REQUIRED_HOSTS = {"azure", "bedrock", "vertex", "groq", "together", "fireworks", "openrouter"}


def each_model(check: Any) -> None:
    """Run `check(model)` on every model; fail once, naming every model that broke it."""
    broken = []
    for model in MODELS:
        try:
            check(model)
        except AssertionError as error:
            broken.append(f"{model['id']}: {error}")
    assert not broken, f"{len(broken)} models: " + "; ".join(broken[:10])


def price_tables(schedule: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every price table of a schedule: base, its tiers, and explicit mode prices with tiers."""
    yield "standard", schedule
    for tier in schedule.get("tiers", []):
        yield f"standard>{tier['above_input_tokens']}", tier
    for mode, spec in schedule.get("modes", {}).items():
        if "prices" in spec:
            yield mode, spec["prices"]
            for tier in spec["prices"].get("tiers", []):
                yield f"{mode}>{tier['above_input_tokens']}", tier


def test_covers_every_required_provider(bundled: PriceDB) -> None:
    assert set(bundled.providers()) >= REQUIRED_PROVIDERS


def test_header_is_dated_utc(bundled: PriceDB) -> None:
    assert RAW["updated_at"].endswith("Z")
    assert bundled.updated_at.utcoffset() is not None
    assert bundled.updated_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert bundled.schema_version == 1


def test_covers_every_required_host() -> None:
    assert {m.get("hosted_by") for m in MODELS} >= REQUIRED_HOSTS


def test_every_price_has_source_and_dates() -> None:
    updated = date.fromisoformat(RAW["updated_at"][:10])

    def check(model: dict[str, Any]) -> None:
        for schedule in model["prices"]:
            assert schedule["source"].startswith("https://")
            assert date.fromisoformat(schedule["checked_on"]) <= updated
            date.fromisoformat(schedule["effective_from"])
            # provenance: the sources that give this price (the primary one at least)
            assert schedule["crosschecked_with"], "every price names the sources that agree"

    each_model(check)


def test_history_sorted_without_duplicates() -> None:
    def check(model: dict[str, Any]) -> None:
        starts = [date.fromisoformat(s["effective_from"]) for s in model["prices"]]
        assert starts == sorted(set(starts))

    each_model(check)


def test_tiers_strictly_increasing_and_prices_sane() -> None:
    each_model(_tiers_and_prices_sane)


def _tiers_and_prices_sane(model: dict[str, Any]) -> None:
    for schedule in model["prices"]:
        tier_lists = [schedule.get("tiers", [])] + [
            spec["prices"].get("tiers", [])
            for spec in schedule.get("modes", {}).values()
            if "prices" in spec
        ]
        for tiers in tier_lists:
            thresholds = [tier["above_input_tokens"] for tier in tiers]
            assert all(b > a for a, b in pairwise(thresholds))
            window = model.get("context_window")
            assert window is None or all(t < window for t in thresholds) or schedule.get("note")
        for label, table in price_tables(schedule):
            for name in PRICE_FIELDS:
                if table.get(name) is not None:
                    assert isinstance(table[name], str), f"{label}.{name} must be a string"
                    assert Decimal(table[name]) >= 0, f"{label}.{name} is negative"
            if table.get("cache_read") is not None:
                assert Decimal(table["cache_read"]) <= Decimal(table["input"]), label
        for mode, spec in schedule.get("modes", {}).items():
            if "multiplier" in spec:
                # batch, flex and off-peak are discounts, priority a premium
                discount = Decimal(spec["multiplier"]) < 1
                assert Decimal(spec["multiplier"]) > 0 and discount == (mode != "priority")


def test_tiers_are_more_expensive() -> None:
    # a long-context tier that were cheaper would mean a mis-ordered or mistyped tier
    def check(model: dict[str, Any]) -> None:
        for schedule in model["prices"]:
            previous = schedule
            for tier in schedule.get("tiers", []):
                assert Decimal(tier["input"]) >= Decimal(previous["input"])
                assert Decimal(tier["output"]) >= Decimal(previous["output"])
                previous = tier

    each_model(check)


def test_no_name_collides_across_models() -> None:
    owner: dict[str, str] = {}
    for model in MODELS:
        for name in (model["id"], *model["aliases"]):
            key = name.strip().lower()
            assert owner.setdefault(key, model["id"]) == model["id"], f"{name} names two models"


def test_every_alias_resolves_to_its_own_model(bundled: PriceDB) -> None:
    def check(model: dict[str, Any]) -> None:
        for name in (model["id"], *model["aliases"]):
            assert bundled.resolve(name).id == model["id"], name
            assert bundled.resolve(name.upper()).id == model["id"], name

    each_model(check)


def test_generation_helper_sees_versions() -> None:
    assert generation("claude-opus-4-5-20251101") == [4, 5]
    assert generation("claude-opus-4.5") == [4, 5]
    assert generation("gpt-4o-2024-08-06") == [4]
    assert generation("meta.llama3-3-70b-instruct-v1:0") == [3, 3, 70]
    assert generation("claude-3-5-sonnet") != generation("claude-sonnet-4-5")
    assert generation("gpt-4-0613") == [4] and generation("gpt-35-turbo") == [3, 5]
    assert same_generation("grok-4", "grok-4-0709")
    assert same_generation("claude-opus-4", "claude-opus-4-0")
    assert not same_generation("claude-3-5-sonnet", "claude-sonnet-4-5")


def test_aliases_stay_in_the_model_generation() -> None:
    # "claude-3-5-sonnet" must never lead to Sonnet 4.x: an alias carries the id's version numbers
    def check(model: dict[str, Any]) -> None:
        for alias in model["aliases"]:
            assert same_generation(alias, model["id"]), alias

    # the source's own exact names are taken as they are (OpenRouter's `:free` slugs, Together's
    # repository names); only first-party models are held to this
    for model in MODELS:
        if not model.get("hosted_by"):
            try:
                check(model)
            except AssertionError as error:
                raise AssertionError(f"{model['id']}: {error}") from None


def test_tokenizer_family_exists(bundled: PriceDB) -> None:
    def check(model: dict[str, Any]) -> None:
        spec = bundled.tokenizer_for(bundled.resolve(model["id"]))
        assert spec.family == model["tokenizer"]
        if spec.ratio is not None:
            assert spec.error_band_pct is not None and spec.error_band_pct >= 10
            assert spec.source and ("assum" in spec.source or "http" in spec.source)

    each_model(check)


def test_openai_models_count_exactly_and_claude_approximately(bundled: PriceDB) -> None:
    assert bundled.tokenizer_for(bundled.resolve("gpt-4o")).is_tiktoken_exact
    claude = bundled.tokenizer_for(bundled.resolve("claude-sonnet-4-5"))
    newer = bundled.tokenizer_for(bundled.resolve("claude-opus-4-7"))
    assert claude.ratio is not None and newer.ratio is not None
    assert newer.ratio > claude.ratio  # Opus 4.7's tokenizer yields more tokens again


def test_rates_for_every_model_mode_and_tier_edge(bundled: PriceDB) -> None:
    each_model(lambda model: _rates_at_edges(bundled, model))


def _rates_at_edges(bundled: PriceDB, model: dict[str, Any]) -> None:
    entry = bundled.resolve(model["id"])
    for prices in entry.history:
        edges = {0, 1}
        for threshold in prices.tier_thresholds:
            edges |= {threshold, threshold + 1}
        for mode in prices.modes():
            spec = prices.mode_spec(mode)
            limit = spec.max_input_tokens if spec is not None else None
            for tokens in sorted(edges):
                if limit is not None and tokens > limit:
                    continue
                rates = prices.rates_for(tokens, mode)
                assert rates.mode == mode
                assert rates.input >= 0 and rates.output >= 0
                if rates.cache_read is not None:
                    assert rates.cache_read <= rates.input


def test_deprecation_dates_are_dates(bundled: PriceDB) -> None:
    dated = [entry for entry in bundled.models() if entry.deprecated_on is not None]
    assert dated, "some models carry a deprecation date"
    assert all(isinstance(entry.deprecated_on, date) for entry in dated)
