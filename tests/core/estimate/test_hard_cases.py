"""The hard cases of issue 14, each on a hand-computed example (bundled DB prices of 2026-12-02).

gpt-4o: input 2.5, cache read 1.25, minimum cacheable prompt 1,024 (OpenAI).
claude-haiku-4-5: input 1, output 5, cache read 0.1, write 5m 1.25, write 1h 2; minimum 4,096.
deepseek-v4-pro: peak input 1.32, output 3.96; off-peak 0.66 / 1.98 (the `off_peak` mode).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.core.estimate import Estimate, ScenarioTerms, Sourced, price_call
from llmcost_lsp.core.pricing.db import PriceDB, load_price_db
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.tokens.spec import TokenCount
from llmcost_lsp.core.workspace import Workspace

DAY = date(2026, 12, 2)


@pytest.fixture(scope="module")
def db() -> PriceDB:
    return load_price_db()


def call(
    db: PriceDB,
    model: str,
    tokens: int,
    *,
    hit: str = "0",
    write: str = "0",
    ttl: str = "5m",
    mode: str = "standard",
    cacheable: int | None = None,
    output: int = 0,
) -> Estimate:
    return price_call(
        prompt_id="p",
        model=Sourced(model, "test"),
        entry=db.resolve(model),
        input_tokens=TokenCount(tokens, "exact", "o200k_base"),
        output_tokens=Sourced(output, "test"),
        calls_per_month=Sourced(1_000, "test"),
        scenario=ScenarioTerms(
            name="s",
            cache_hit_ratio=Decimal(hit),
            cache_write_ratio=Decimal(write),
            cache_ttl=ttl,  # type: ignore[arg-type]
            mode=mode,
        ),
        on=DAY,
        cacheable_tokens=cacheable,
    )


# -- minimum cacheable prompt --------------------------------------------------------------


def test_a_short_prompt_gets_no_cache_discount(db: PriceDB) -> None:
    short = call(db, "gpt-4o", 1_000, hit="0.5")
    assert short.per_call_usd == Decimal("0.0025")  # 1,000 x 2.5 / 1e6: all at the input price
    assert "below gpt-4o's minimum cacheable prompt of 1,024 tokens" in short.notes[0]
    long = call(db, "gpt-4o", 2_000, hit="0.5")
    assert long.per_call_usd == Decimal("0.00375")  # 1,000 x 1.25 + 1,000 x 2.5


def test_haiku_4_5_caches_from_4096_tokens(db: PriceDB) -> None:
    assert call(db, "claude-haiku-4-5", 3_000, hit="0.6").per_call_usd == Decimal("0.003")
    # 5,000: 3,000 read at 0.1 (0.0003) + 2,000 at 1 (0.002)
    assert call(db, "claude-haiku-4-5", 5_000, hit="0.6").per_call_usd == Decimal("0.0023")


# -- only the cacheable prefix ---------------------------------------------------------------


def test_only_the_prefix_before_the_first_variable_is_cached(db: PriceDB) -> None:
    estimate = call(db, "gpt-4o", 3_000, hit="0.5", cacheable=2_000)
    # cached 1,000 x 1.25 = 0.00125; uncached 2,000 x 2.5 = 0.005
    assert estimate.per_call_usd == Decimal("0.00625")
    assert "only the 2,000-token prefix" in estimate.notes[0]
    below = call(db, "gpt-4o", 3_000, hit="0.5", cacheable=800)
    assert below.per_call_usd == Decimal("0.0075")  # the prefix is under 1,024: no cache


def test_the_workspace_counts_the_prefix_of_a_prompt_with_variables(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    static = "Rules of the house. " * 400  # well over 1,024 tokens before the variable
    (tmp_path / "prompts/p.txt").write_text(static + "\nQuestion: {{question}}\n")
    (tmp_path / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o"\noutput_tokens = 0\ncalls_per_month = 1\n'
        "[prompts.p.variables]\nquestion = 5000\n"
        '[scenarios.c]\ncache_hit_ratio = "1"\n'
    )
    settings = Settings(cache_dir=tmp_path / "cache", config_dir=tmp_path / "config")
    workspace = Workspace(tmp_path, settings=settings, pricing_date=DAY, use_persistent_cache=False)
    workspace.load()
    result = workspace.result("p", workspace.scenario("c"))
    assert result.estimate is not None
    cached = result.estimate.cached_tokens
    total = result.estimate.input_tokens.tokens
    assert 1_024 < cached <= total - 5_000  # the 5,000-token question is never cached
    assert "prefix before the first variable" in result.estimate.notes[0]


# -- DeepSeek off-peak -----------------------------------------------------------------------


def test_deepseek_off_peak_is_a_scenario_mode(db: PriceDB) -> None:
    peak = call(db, "deepseek-v4-pro", 10_000, output=1_000)
    off = call(db, "deepseek-v4-pro", 10_000, output=1_000, mode="off_peak")
    assert peak.per_call_usd == Decimal("0.01716")  # 10,000 x 1.32 + 1,000 x 3.96
    assert off.per_call_usd == Decimal("0.00858")  # 10,000 x 0.66 + 1,000 x 1.98


# -- embeddings and retired models --------------------------------------------------------------


def test_an_embedding_call_bills_input_only(db: PriceDB) -> None:
    estimate = call(db, "text-embedding-3-small", 10_000, output=500)
    assert estimate.per_call_usd == Decimal("0.0002")  # 10,000 x 0.02; the 500 are ignored
    assert estimate.monthly_usd == Decimal("0.2")


def test_a_retired_model_is_priced_with_a_warning(db: PriceDB) -> None:
    estimate = call(db, "gpt-4", 1_000, output=100)
    assert estimate.per_call_usd == Decimal("0.036")  # 1,000 x 30 + 100 x 60
    assert any("retired on 2026-10-23: calls to it fail" in note for note in estimate.notes)


# -- every [pricing.overrides] field reaches the estimate -----------------------------------


@pytest.mark.parametrize(
    ("field", "value", "scenario", "output", "per_call"),
    [
        ("input", "0.5", {}, 0, "0.0025"),  # 5,000 x 0.5
        ("output", "2", {}, 1_000, "0.007"),  # 5,000 x 1 + 1,000 x 2
        ("cache_read", "0.05", {"hit": "0.6"}, 0, "0.00215"),  # 3,000 x 0.05 + 2,000 x 1
        ("cache_write", "1", {"write": "0.2"}, 0, "0.005"),  # 1,000 x 1 + 4,000 x 1
        (
            "cache_write_1h",
            "1.5",
            {"write": "0.2", "ttl": "1h"},
            0,
            "0.0055",
        ),  # 1,000 x 1.5 + 4,000
    ],
)
def test_each_override_field_reaches_the_estimate(
    db: PriceDB, field: str, value: str, scenario: dict[str, str], output: int, per_call: str
) -> None:
    from llmcost_lsp.core.manifest import parse_manifest
    from llmcost_lsp.core.prompt_settings import overrides_for

    manifest = parse_manifest(f'[pricing.overrides."claude-haiku-4-5"]\n{field} = "{value}"\n')
    entry = db.resolve("claude-haiku-4-5")
    overrides = overrides_for(manifest, db, entry)
    assert overrides is not None
    estimate = price_call(
        prompt_id="p",
        model=Sourced("claude-haiku-4-5", "test"),
        entry=entry,
        input_tokens=TokenCount(5_000, "exact", "o200k_base"),
        output_tokens=Sourced(output, "test"),
        calls_per_month=Sourced(1, "test"),
        scenario=ScenarioTerms(
            cache_hit_ratio=Decimal(scenario.get("hit", "0")),
            cache_write_ratio=Decimal(scenario.get("write", "0")),
            cache_ttl=scenario.get("ttl", "5m"),  # type: ignore[arg-type]
        ),
        overrides=overrides,
        on=DAY,
    )
    assert estimate.per_call_usd == Decimal(per_call)
    assert estimate.contracted


# -- an approximate count straddling a long-context tier ----------------------------------------


def test_a_band_straddling_a_tier_gives_a_range(db: PriceDB) -> None:
    # the audit's case: 108,080 approximate tokens (±25%) on claude-haiku-5-5, tier > 100,000
    estimate = price_call(
        prompt_id="p",
        model=Sourced("claude-haiku-5-5", "test"),
        entry=db.resolve("claude-haiku-5-5"),
        input_tokens=TokenCount(108_080, "approximate", "o200k_base x 1.6", Decimal(25)),
        output_tokens=Sourced(1_000, "test"),
        calls_per_month=Sourced(10_000, "test"),
        scenario=ScenarioTerms(),
        on=DAY,
    )
    assert estimate.per_call_usd == Decimal("0.05654")  # 108,080 x 0.5 + 1,000 x 2.5
    # 81,060 x 0.1 + 1,000 x 0.5 = 0.008606; 135,100 x 0.5 + 1,000 x 2.5 = 0.07005
    assert estimate.per_call_range == (Decimal("0.008606"), Decimal("0.07005"))
    assert estimate.monthly_range == (Decimal("86.06"), Decimal("700.5"))
    assert "straddles the > 100,000-token price tier" in estimate.notes[0]


def test_an_exact_count_or_a_band_clear_of_tiers_has_no_range(db: PriceDB) -> None:
    far = price_call(
        prompt_id="p",
        model=Sourced("claude-haiku-5-5", "test"),
        entry=db.resolve("claude-haiku-5-5"),
        input_tokens=TokenCount(10_000, "approximate", "o200k_base x 1.6", Decimal(25)),
        output_tokens=Sourced(1_000, "test"),
        calls_per_month=Sourced(10_000, "test"),
        scenario=ScenarioTerms(),
        on=DAY,
    )
    assert far.per_call_range is None
    assert call(db, "gpt-4o", 108_080).per_call_range is None
