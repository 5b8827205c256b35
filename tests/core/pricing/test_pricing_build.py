"""The DB build (core/pricing/build.py) on small hand-made sources, and the bundled DB as the
build of its pinned sources.

The fakes below have the shape genai-prices' data classes have (the build reads them
duck-typed); LiteLLM's map is a plain dict, as in its JSON file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llmcost_lsp.core.pricing.build import build, dump
from llmcost_lsp.core.pricing.db import bundled_price_bytes, parse_price_db
from llmcost_lsp.core.pricing.genai_import import corrections, tokenizers

NOW = datetime(2026, 12, 2, tzinfo=UTC)
D = Decimal


class Prices:
    def __init__(self, **prices: Any) -> None:
        self.__dict__.update(prices)


@dataclass
class Tier:
    start: int
    price: Decimal


@dataclass
class Tiered:
    base: Decimal
    tiers: list[Tier]


@dataclass
class Start:
    start_date: date


@dataclass
class Daily:
    start_time: time
    end_time: time


@dataclass
class Conditional:
    constraint: Any
    prices: Prices


@dataclass
class Variant:
    when: dict[str, str]
    prices: Prices
    constraint: Any = None


@dataclass
class Equals:
    equals: str


@dataclass
class Model:
    id: str
    prices: Any
    name: str | None = None
    context_window: int | None = None
    price_variants: list[Variant] | None = None
    price_comments: str | None = None
    match: Any = None

    def __post_init__(self) -> None:
        self.match = self.match or Equals(self.id)

    def is_match(self, name: str) -> bool:
        return name == self.id


@dataclass
class Provider:
    id: str
    models: list[Model]
    pricing_urls: list[str] = field(default_factory=lambda: ["https://example.com/pricing"])


def run(
    *providers: Provider, litellm: dict[str, Any] | None = None, fixes: dict[str, Any] | None = None
) -> tuple[dict[str, dict[str, Any]], Any]:
    document, report = build(
        list(providers),
        genai_version="9.9",
        tokenizers=tokenizers(),
        corrections=fixes or {},
        litellm=(litellm, "litellm 8.8") if litellm is not None else None,
        now=NOW,
    )
    return {model["id"]: model for model in document["models"]}, report


def current(model: dict[str, Any]) -> dict[str, Any]:
    schedule: dict[str, Any] = model["prices"][-1]
    return schedule


def test_tiered_prices_become_whole_price_sets() -> None:
    pro = Model(
        "gemini-x-pro",
        Prices(
            input_mtok=Tiered(D("1.25"), [Tier(200_000, D("2.5"))]),
            output_mtok=Tiered(D("10"), [Tier(200_000, D("15"))]),
            cache_read_mtok=D("0.125"),
        ),
    )
    models, _ = run(Provider("google", [pro]))
    schedule = current(models["gemini-x-pro"])
    assert (schedule["input"], schedule["output"], schedule["cache_read"]) == (
        "1.25",
        "10",
        "0.125",
    )
    assert schedule["tiers"] == [
        {"above_input_tokens": 200_000, "input": "2.5", "output": "15", "cache_read": "0.125"}
    ]


def test_a_batch_variant_keeps_the_standard_price_it_does_not_name() -> None:
    # Gemini: batch halves input and output; context caching stays at the standard rate
    flash = Model(
        "gemini-x-flash",
        Prices(input_mtok=D("0.3"), output_mtok=D("2.5"), cache_read_mtok=D("0.03")),
        price_variants=[
            Variant({"processing": "batch"}, Prices(input_mtok=D("0.15"), output_mtok=D("1.25")))
        ],
    )
    halved = Model(
        "gpt-x",
        Prices(input_mtok=D("2"), output_mtok=D("8"), cache_read_mtok=D("0.5")),
        price_variants=[
            Variant(
                {"processing": "batch"},
                Prices(input_mtok=D("1"), output_mtok=D("4"), cache_read_mtok=D("0.25")),
            )
        ],
    )
    models, _ = run(Provider("google", [flash]), Provider("openai", [halved]))
    batch = current(models["gemini-x-flash"])["modes"]["batch"]
    assert batch == {"prices": {"input": "0.15", "output": "1.25", "cache_read": "0.03"}}
    assert current(models["gpt-x"])["modes"]["batch"] == {"multiplier": "0.5"}


def test_history_and_the_deepseek_peak_windows() -> None:
    deepseek = Model(
        "deepseek-x",
        [
            Conditional(None, Prices(input_mtok=D("0.4"), output_mtok=D("0.8"))),
            Conditional(
                Start(date(2026, 8, 17)), Prices(input_mtok=D("0.66"), output_mtok=D("1.98"))
            ),
            Conditional(
                Daily(time(1, tzinfo=UTC), time(4, tzinfo=UTC)),
                Prices(input_mtok=D("1.32"), output_mtok=D("3.96")),
            ),
        ],
    )
    models, _ = run(Provider("deepseek", [deepseek]))
    (schedule,) = models["deepseek-x"]["prices"]  # the undated price before 2026-08-17: no date
    assert schedule["effective_from"] == "2026-08-17"
    assert (schedule["input"], schedule["output"]) == ("1.32", "3.96")  # peak: an upper bound
    assert schedule["modes"]["off_peak"]["multiplier"] == "0.5"
    assert "01:00-04:00 UTC" in schedule["note"]


def test_a_launch_date_from_the_corrections_dates_the_first_price() -> None:
    claude = Model(
        "claude-x",
        [
            Conditional(None, Prices(input_mtok=D("5"), output_mtok=D("25"))),
            Conditional(Start(date(2026, 3, 13)), Prices(input_mtok=D("3"), output_mtok=D("15"))),
        ],
    )
    fixes = {
        "model": [
            {"id": "claude-x", "launched": date(2026, 2, 5), "source": "https://a.example",
             "checked_on": date(2026, 11, 23)}
        ]
    }  # fmt: skip
    models, _ = run(Provider("anthropic", [claude]), fixes=fixes)
    starts = [s["effective_from"] for s in models["claude-x"]["prices"]]
    assert starts == ["2026-02-05", "2026-03-13"]


def test_embeddings_bill_input_only_and_unpriced_models_are_left_out() -> None:
    embed = Model("text-embedding-x", Prices(input_mtok=D("0.02")))
    image = Model("image-x", Prices(output_image_mtok=D("40")))
    models, report = run(Provider("openai", [embed, image]))
    assert models["text-embedding-x"]["kind"] == "embedding"
    assert current(models["text-embedding-x"])["output"] == "0"
    assert "image-x" not in models
    assert any("image-x" in name for name, _ in report.left_out)


def test_every_correction_needs_a_source_and_a_date() -> None:
    chat = Model("chat-x", Prices(input_mtok=D("1"), output_mtok=D("2")))
    fix = {"model": "chat-x", "field": "input", "value": "0.9", "reason": "r"}
    with pytest.raises(ValueError, match="source"):
        run(Provider("openai", [chat]), fixes={"price": [fix]})
    done = {**fix, "source": "https://p.example", "checked_on": date(2026, 12, 1)}
    models, report = run(Provider("openai", [chat]), fixes={"price": [done]})
    assert current(models["chat-x"])["input"] == "0.9"
    assert "corrected" in current(models["chat-x"])["note"] and report.corrections


def test_litellm_agreement_and_disagreement_are_recorded() -> None:
    same = Model("gpt-same", Prices(input_mtok=D("2"), output_mtok=D("8")))
    other = Model("gpt-other", Prices(input_mtok=D("2"), output_mtok=D("8")))
    litellm = {
        "gpt-same": {"input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06},
        "gpt-other": {"input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05,
                      "deprecation_date": "2026-10-01", "max_input_tokens": 128000},
    }  # fmt: skip
    models, report = run(Provider("openai", [same, other]), litellm=litellm)
    assert current(models["gpt-same"])["crosschecked_with"] == ["genai-prices 9.9", "litellm 8.8"]
    assert current(models["gpt-other"])["crosschecked_with"] == ["genai-prices 9.9"]
    assert "litellm 8.8 differs: output 10 (here 8)" in current(models["gpt-other"])["note"]
    assert [(d.model, d.field) for d in report.disagreements] == [("gpt-other", "output")]
    assert models["gpt-other"]["deprecated_on"] == "2026-10-01"  # retired: still priced
    assert models["gpt-other"]["context_window"] == 128000


def test_hosts_carry_their_name_and_openrouter_gets_no_bare_names() -> None:
    groq = Model("llama-x-versatile", Prices(input_mtok=D("0.59"), output_mtok=D("0.79")))
    router = Model("openai/gpt-x", Prices(input_mtok=D("2"), output_mtok=D("8")))
    models, _ = run(Provider("groq", [groq]), Provider("openrouter", [router]))
    assert "llama-x-versatile" in models["groq/llama-x-versatile"]["aliases"]
    assert models["groq/llama-x-versatile"]["hosted_by"] == "groq"
    assert models["openrouter/openai/gpt-x"]["aliases"] == []


def _litellm_wheel() -> Path | None:
    given = os.environ.get("LLMCOST_LITELLM_WHEEL")
    return Path(given) if given and Path(given).is_file() else None


def test_the_bundled_db_is_the_build_of_its_pinned_sources() -> None:
    """pricing/build.py with genai-prices 0.2.3 and LiteLLM 1.110.2 rebuilds prices.json byte for
    byte: the committed file is exactly what the sources and the corrections say."""
    from importlib import metadata

    from llmcost_lsp.core.pricing.genai_import import build_from_installed

    wheel = _litellm_wheel()
    try:
        version = metadata.version("genai-prices")
    except metadata.PackageNotFoundError:
        version = None
    if version != "0.2.3" or wheel is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install genai-prices==0.2.3 and set LLMCOST_LITELLM_WHEEL")
        pytest.skip("needs genai-prices==0.2.3 and LLMCOST_LITELLM_WHEEL (a litellm 1.110.2 wheel)")
    bundled = bundled_price_bytes()
    updated = parse_price_db(bundled, "bundled", lazy=True).updated_at
    document, _ = build_from_installed(now=updated, litellm_path=wheel)
    assert dump(document) == bundled, "run: python pricing/build.py --litellm <wheel> --now ..."


def test_the_corrections_file_is_complete() -> None:
    fixes = corrections()
    for section in ("model", "alias", "latest", "price", "mode_limit", "min_cache"):
        for item in fixes.get(section, []):
            assert item.get("source") and item.get("checked_on"), (section, item)
