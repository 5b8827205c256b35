"""Every field of the manifest's schema that decides an estimate reaches it.

One test per schema → domain mapping of core/prompt_settings.py: each fills every field of the
schema with a value of its own and reads it back from an estimate (this is how an override's
`cache_write_1h` was once dropped). Each also lists the schema's fields, so a field added to the
schema without a mapping, or without saying who else reads it, fails here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from llmcost_lsp.core.estimate import Estimate, ScenarioTerms
from llmcost_lsp.core.manifest import Defaults, PriceOverride, PromptEntry, Scenario, Variable
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.tokens.registry import count_text
from llmcost_lsp.core.workspace import PromptResult, Workspace

# PriceOverride field -> the Rates field it sets
OVERRIDE_RATES = {
    "input": "input",
    "output": "output",
    "cache_read": "cache_read",
    "cache_write": "cache_write_5m",
    "cache_write_1h": "cache_write_1h",
}
OVERRIDE_NOT_RATES = {"reason": "documentation for the gate (core/gate.py)"}

# Scenario field -> the ScenarioTerms field it sets (`batch` is a spelling of mode = "batch")
SCENARIO_TERMS = {
    "calls_multiplier": "calls_multiplier",
    "cache_hit_ratio": "cache_hit_ratio",
    "cache_write_ratio": "cache_write_ratio",
    "cache_ttl": "cache_ttl",
    "mode": "mode",
    "batch": "mode",
    "output_tokens_multiplier": "output_tokens_multiplier",
}

# PromptEntry fields read by the estimate (tested below) and those read elsewhere
PROMPT_ESTIMATED = {
    "model", "calls_per_month", "output_tokens", "max_tokens", "extra_input_tokens",
    "variables", "tags", "cache_hit_ratio", "cache_write_ratio", "scenario",
}  # fmt: skip
PROMPT_READ_ELSEWHERE = {
    "path": "discovery (which file the prompt is)",
    "budget_monthly_usd": "check (budget-exceeded)",
    "max_cost_per_call_usd": "check (per-call-limit)",
    "locked": "calibrate (keys it must not write)",
}
DEFAULTS_ESTIMATED = {"model", "calls_per_month", "output_tokens", "scenario"}


def _workspace(root: Path, db: PriceDB, files: dict[str, str]) -> Workspace:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    workspace = Workspace(root, db=db, use_persistent_cache=False, pricing_date=date(2026, 11, 23))
    workspace.load()
    return workspace


def _estimate(result: PromptResult) -> Estimate:
    assert result.estimate is not None, [i.message for i in result.issues]
    return result.estimate


def test_every_price_override_field_sets_its_rate(tmp_path: Path, small_db: PriceDB) -> None:
    assert set(PriceOverride.model_fields) == {*OVERRIDE_RATES, *OVERRIDE_NOT_RATES}
    prices = {field: Decimal(f"0.{n}1") for n, field in enumerate(OVERRIDE_RATES, start=1)}
    table = "\n".join(f'{field} = "{price}"' for field, price in prices.items())
    manifest = f"""
[defaults]
model = "gpt-4o"

[pricing.overrides."gpt-4o"]
{table}
reason = "the enterprise contract"
"""
    workspace = _workspace(tmp_path, small_db, {"llm-cost.toml": manifest, "prompts/p.txt": "Hi"})
    estimate = _estimate(workspace.result("p"))
    assert {field: getattr(estimate.rates, rate) for field, rate in OVERRIDE_RATES.items()} == (
        prices
    )
    assert estimate.contracted


def test_every_scenario_field_reaches_the_terms(tmp_path: Path, small_db: PriceDB) -> None:
    assert set(Scenario.model_fields) == set(SCENARIO_TERMS)
    manifest = """
[defaults]
model = "gpt-4o"
calls_per_month = 1_000
output_tokens = 100

[scenarios.all]
calls_multiplier = "3"
cache_hit_ratio = "0.25"
cache_write_ratio = "0.125"
cache_ttl = "1h"
mode = "batch"
batch = true
output_tokens_multiplier = "1.5"

[scenarios.batch-only]
batch = true
"""
    workspace = _workspace(tmp_path, small_db, {"llm-cost.toml": manifest, "prompts/p.txt": "Hi"})
    terms = _estimate(workspace.result("p", workspace.scenario("all"))).scenario
    assert terms == ScenarioTerms(
        name="all",
        calls_multiplier=Decimal(3),
        cache_hit_ratio=Decimal("0.25"),
        cache_write_ratio=Decimal("0.125"),
        cache_ttl="1h",
        mode="batch",
        output_tokens_multiplier=Decimal("1.5"),
    )
    only_batch = _estimate(workspace.result("p", workspace.scenario("batch-only"))).scenario
    assert only_batch.mode == "batch"


def test_every_prompt_entry_field_is_read(tmp_path: Path, small_db: PriceDB) -> None:
    assert set(PromptEntry.model_fields) == {
        *PROMPT_ESTIMATED,
        *PROMPT_READ_ELSEWHERE,
    }
    assert set(Variable.model_fields) == {"tokens", "sample"}
    manifest = """
[defaults]
model = "claude-sonnet-4-5"
calls_per_month = 1
output_tokens = 1

[prompts.p]
path = "prompts/p.txt"
model = "gpt-4o"
calls_per_month = 2_000
output_tokens = 300
max_tokens = 200
extra_input_tokens = 7
variables = { query = 40, context = { sample = "fixtures/context.txt" } }
tags = { team = "search" }
budget_monthly_usd = "100"
max_cost_per_call_usd = "1"
scenario = "launch"
locked = true
cache_hit_ratio = "0.5"
cache_write_ratio = "0.25"

[scenarios.launch]
calls_multiplier = "2"
"""
    workspace = _workspace(
        tmp_path,
        small_db,
        {
            "llm-cost.toml": manifest,
            "prompts/p.txt": "Find {{query}} in:\n{{context}}\n",
            "fixtures/context.txt": "The quick brown fox.\n",
        },
    )
    result = workspace.result("p")
    estimate = _estimate(result)
    assert estimate.model.value == "gpt-4o"
    assert estimate.model.source == "manifest: prompts.p.model"
    assert estimate.scenario.name == "launch"
    assert estimate.calls_per_month is not None and estimate.calls_per_month.value == 2_000
    assert estimate.output_tokens is not None and estimate.output_tokens.value == 300
    # max_tokens: an output above it is said (the estimate keeps the stated output)
    assert "output-above-max-tokens" in {issue.code for issue in result.issues}
    spec = small_db.tokenizer_for(small_db.resolve("gpt-4o"))
    sent = "Find  in:\nThe quick brown fox.\n\n"  # the sample in, the sized placeholder out
    text = count_text("user", spec).tokens + count_text(sent, spec).tokens
    assert estimate.input_tokens.tokens == text + 3 + 3 + 40 + 7
    assert result.tags == {"team": "search"}
    # measured cache shares: of the whole input (not only the prefix before {{query}})
    scenario = estimate.scenario
    assert (scenario.cache_hit_ratio, scenario.cache_write_ratio) == (
        Decimal("0.5"),
        Decimal("0.25"),
    )
    kinds = {c.kind: c.tokens for c in estimate.components}
    assert kinds["cached_input"] == Decimal(estimate.input_tokens.tokens) / 2
    assert kinds["cache_write"] == Decimal(estimate.input_tokens.tokens) / 4


def test_a_prompts_own_scenario_is_applied(tmp_path: Path, small_db: PriceDB) -> None:
    manifest = """
[defaults]
model = "gpt-4o"
calls_per_month = 1_000

[prompts.p]
scenario = "launch"

[scenarios.launch]
calls_multiplier = "2"

[scenarios.quiet]
calls_multiplier = "0.5"
"""
    files = {"llm-cost.toml": manifest, "prompts/p.txt": "Hi", "prompts/q.txt": "Hi"}
    workspace = _workspace(tmp_path, small_db, files)
    pinned, free = _estimate(workspace.result("p")), _estimate(workspace.result("q"))
    assert pinned.scenario.name == "launch" and free.scenario.name != "launch"
    assert pinned.monthly_calls == 2 * free.monthly_calls
    # an explicit run scenario moves the other prompts, never the pinned one
    report = workspace.report("quiet")
    by_id = {r.prompt_id: _estimate(r) for r in report.results}
    assert by_id["p"].scenario.name == "launch" and by_id["q"].scenario.name == "quiet"
    assert by_id["p"].monthly_calls == 4 * by_id["q"].monthly_calls


def test_every_defaults_field_is_read(tmp_path: Path, small_db: PriceDB) -> None:
    assert set(Defaults.model_fields) == DEFAULTS_ESTIMATED
    manifest = """
[defaults]
model = "gpt-4o"
calls_per_month = 3_000
output_tokens = 150
scenario = "busy"

[scenarios.busy]
calls_multiplier = "2"
"""
    workspace = _workspace(tmp_path, small_db, {"llm-cost.toml": manifest, "prompts/p.txt": "Hi"})
    estimate = _estimate(workspace.result("p"))
    assert (estimate.model.value, estimate.model.source) == ("gpt-4o", "manifest: defaults.model")
    assert estimate.calls_per_month is not None and estimate.calls_per_month.value == 3_000
    assert estimate.output_tokens is not None and estimate.output_tokens.value == 150
    assert estimate.scenario.name == "busy"
    assert estimate.monthly_calls == 6_000


MEASURED = """
[defaults]
model = "claude-sonnet-4-5"
calls_per_month = 1_000
output_tokens = 10

[prompts.p]
cache_hit_ratio = "0.8"   # calibrated 2026-11-30 from ledger

[prompts.q]

[scenarios.cached]
cache_hit_ratio = "0.3"
cache_write_ratio = "0.2"
"""


def test_a_prompts_measured_cache_shares_replace_the_scenarios(
    tmp_path: Path, small_db: PriceDB
) -> None:
    files = {"llm-cost.toml": MEASURED, "prompts/p.txt": "Hi {{name}}", "prompts/q.txt": "Hi"}
    workspace = _workspace(tmp_path, small_db, files)
    for scenario in (None, "cached"):
        measured = _estimate(workspace.result("p", workspace.scenario(scenario)))
        # both shares come from the prompt (an unset write share is 0), and the rules for an
        # assumed share (only the prefix is cached, none under the model's minimum cacheable
        # prompt) do not cut a measured one again: this short prompt's real calls hit the cache
        assert (measured.scenario.cache_hit_ratio, measured.scenario.cache_write_ratio) == (
            Decimal("0.8"), Decimal(0)
        )  # fmt: skip
        cached = next(c for c in measured.components if c.kind == "cached_input")
        assert cached.tokens == Decimal(measured.input_tokens.tokens) * Decimal("0.8")
        assert not any(c.kind == "cache_write" for c in measured.components)
        note = next(n for n in measured.notes if n.startswith("cache shares measured"))
        assert note == (
            "cache shares measured on this prompt's calls: 80% of its input read from the "
            "cache, 0% written (manifest: prompts.p.cache_hit_ratio (calibrated 2026-11-30 "
            "from ledger))"
        )
    # a prompt without measured shares keeps the scenario's
    other = _estimate(workspace.result("q", workspace.scenario("cached"))).scenario
    assert (other.cache_hit_ratio, other.cache_write_ratio) == (Decimal("0.3"), Decimal("0.2"))


def test_measured_cache_shares_over_one_are_a_located_manifest_error(
    tmp_path: Path, small_db: PriceDB
) -> None:
    text = MEASURED.replace(
        'cache_hit_ratio = "0.8"', 'cache_hit_ratio = "0.8"\ncache_write_ratio = "0.3"'
    )
    workspace = _workspace(tmp_path, small_db, {"llm-cost.toml": text, "prompts/p.txt": "Hi"})
    (issue,) = [i for i in workspace.manifest_issues if i.severity == "error"]
    assert "cache_hit_ratio + cache_write_ratio is 1.1, more than 1" in issue.message
    assert issue.location.line == 7  # [prompts.p]
