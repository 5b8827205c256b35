"""The JSON Schema editors validate `llm-cost.toml` with (docs/schema/llm-cost.schema.json).

Built from the manifest's pydantic models (`manifest_json_schema`) and shaped for editors:
a description on every key (hover docs in Even Better TOML / taplo), the model ids of the
bundled price DB as `examples` (completion), no `null` branches (TOML has no null; they turned
every message into "not valid under any of the schemas listed in the 'anyOf' keyword"), and a
`$id` for SchemaStore. `python docs/schema/generate.py` writes it; a test keeps it current.
"""

from __future__ import annotations

from typing import Any

from llmcost_lsp.core.manifest.model import Manifest
from llmcost_lsp.core.pricing.db import PriceDB

SCHEMA_ID = (
    "https://raw.githubusercontent.com/llm-cost/llm-cost/main/docs/schema/llm-cost.schema.json"
)
# What `llm-cost init` writes on a manifest's first line: taplo and Even Better TOML read it.
SCHEMA_DIRECTIVE = f"#:schema {SCHEMA_ID}"

_MONEY = 'US dollars as a decimal string ("12.50"; a number is accepted too).'
DESCRIPTIONS: dict[str, dict[str, str]] = {
    "Manifest": {
        "defaults": "Values every prompt gets unless its own entry or file says otherwise.",
        "discovery": "Which files are prompts (gitignore-style globs from this file's folder).",
        "prompts": "One table per prompt, `[prompts.<id>]`: its model, volumes and budget.",
        "scenarios": "Named what-ifs, `[scenarios.<name>]`: volume and caching assumptions.",
        "budgets": "Monthly budgets for the workspace and per tag, a per-call limit, "
        "forbidden models.",
        "rules": "`[[rules]]`: cheaper models to suggest when a prompt is over budget.",
        "pricing": "Contracted prices that replace list prices, `[pricing.overrides.<model>]`.",
        "calibration": "What `llm-cost calibrate --write` learned from actual usage.",
        "actuals": "The runtime ledger of this workspace's real calls.",
        "alerts": "What `llm-cost actuals alerts` checks in the ledger and where it sends it.",
    },
    "AlertsConfig": {
        "spike_baseline_hours": "Hours before the last one whose mean hour a spike is "
        "compared with.",
        "webhooks": "`[[alerts.webhooks]]`: where alerts are delivered.",
    },
    "Webhook": {
        "timeout_s": "Seconds to wait for an answer before trying again.",
    },
    "Defaults": {
        "model": "Model id for prompts whose file and entry name none (`llm-cost pricing list`).",
        "calls_per_month": "Calls per month of a prompt that does not set its own.",
        "output_tokens": "Output tokens per call of a prompt that does not set its own.",
        "scenario": "Scenario used when none is selected (a `[scenarios.<name>]`, or baseline).",
    },
    "DiscoveryConfig": {
        "include": "Globs of prompt files (default: prompts/** and *.prompt, *.prompt.md, "
        "*.prompty, *.prompt.yml …).",
        "exclude": "Globs of files that are never prompts.",
    },
    "PromptEntry": {
        "path": "The prompt file, relative to this manifest; without it, the id names a "
        "discovered prompt.",
        "model": "Model id the prompt is sent to (overrides the file's; `llm-cost pricing list`).",
        "calls_per_month": "How many times a month the prompt is sent.",
        "output_tokens": "Typical output tokens per call.",
        "max_tokens": "The output limit the call sets; checked against the model's maximum.",
        "extra_input_tokens": "Input tokens added at run time that the file does not show "
        "(retrieved context, history).",
        "variables": "Size of each template variable: `name = <tokens>` or "
        '`name = { sample = "file" }`.',
        "tags": 'Labels for budgets and reports, e.g. `team = "search"`.',
        "budget_monthly_usd": f"Monthly budget of this prompt; over it is an error. {_MONEY}",
        "max_cost_per_call_usd": f"Limit on the cost of one call. {_MONEY}",
        "scenario": "The scenario this prompt is estimated under by default.",
        "cache_hit_ratio": "Share of all this prompt's input tokens read from the prompt "
        "cache, as measured (`llm-cost calibrate --actuals ledger --write`); replaces the "
        "scenario's cache ratios.",
        "cache_write_ratio": "Share of all this prompt's input tokens written to the prompt "
        "cache, as measured; replaces the scenario's cache ratios.",
    },
    "Variable": {
        "tokens": "Tokens the variable adds per call.",
        "sample": "A file with a typical value, relative to this manifest (counted).",
    },
    "Scenario": {
        "cache_hit_ratio": "Share of input tokens read from the prompt cache (0 to 1).",
        "cache_write_ratio": "Share of input tokens written to the prompt cache (0 to 1).",
        "cache_ttl": "Prompt cache lifetime: 5m or 1h (priced differently by some providers).",
        "mode": "How calls are billed: standard, batch, flex or priority.",
        "batch": 'Shorthand for mode = "batch".',
        "output_tokens_multiplier": "Multiplies every prompt's output tokens.",
    },
    "Budgets": {
        "monthly_usd": f"Monthly budget of all prompts together. {_MONEY}",
        "max_cost_per_call_usd": f"Limit on the cost of one call of any prompt. {_MONEY}",
        "forbidden_models": "Model ids no prompt may use.",
    },
    "Rule": {
        "when_over_budget": 'The prompt id the rule is for, or "*" for every prompt.',
        "suggest": "Model ids to suggest, in order of preference.",
    },
    "PriceOverride": {
        "input": "Input price, USD per million tokens.",
        "output": "Output price, USD per million tokens.",
        "cache_read": "Cached input read price, USD per million tokens.",
        "cache_write": "Cache write price (5-minute cache), USD per million tokens.",
        "cache_write_1h": "Cache write price (1-hour cache), USD per million tokens.",
        "reason": "Why a price far under the list price is right (the check asks for one).",
    },
    "PricingConfig": {
        "overrides": '`[pricing.overrides."<model>"]`: contracted prices of one model.',
    },
    "CalibrationConfig": {
        "tokenizers": "`[calibration.tokenizers.<family>]`: learned token ratios.",
    },
    "TokenizerCalibration": {
        "source": "Where the ratio was learned (a bill, a ledger).",
        "calibrated_on": "The day it was learned (YYYY-MM-DD).",
        "locked": "`llm-cost calibrate --write` leaves a locked ratio alone.",
        "reason": "Why a ratio outside 0.5-2 is right.",
    },
}
# Keys whose value is a model id (completion from the price DB's ids).
_MODEL_KEYS = {("Defaults", "model"), ("PromptEntry", "model")}
_MODEL_LISTS = {("Budgets", "forbidden_models"), ("Rule", "suggest")}


def editor_schema(db: PriceDB) -> dict[str, Any]:
    """The manifest's JSON Schema for editors, with `db`'s current model ids as examples."""
    schema: dict[str, Any] = _without_null(manifest_json_schema())
    schema["$id"] = SCHEMA_ID
    schema["description"] = "llm-cost manifest: what each LLM prompt costs and may cost."
    models = sorted(m.id for m in db.models() if not m.is_deprecated(db.updated_at.date()))
    keys = {name: _properties(table) for name, table in schema["$defs"].items()}
    keys["Manifest"] = schema["properties"]
    for table, described in DESCRIPTIONS.items():
        for key, text in described.items():
            keys[table][key]["description"] = text
    # the ids once, referenced wherever a model id goes (1,375 ids: 35 KB, not five copies)
    schema["$defs"]["ModelId"] = {
        "type": "string",
        "description": "A model id of the price DB (`llm-cost pricing list`) or an alias "
        "from [models].",
        "examples": models,
    }
    model_id = {"$ref": "#/$defs/ModelId"}
    for table, key in _MODEL_KEYS:
        keys[table][key].update(model_id)
        keys[table][key].pop("type", None)
    for table, key in _MODEL_LISTS:
        keys[table][key]["items"] = model_id
    keys["PricingConfig"]["overrides"]["propertyNames"] = model_id
    return schema


def _properties(table: dict[str, Any]) -> dict[str, Any]:
    """A table's keys, also when the table is one branch of an `anyOf` (`query = 40`)."""
    found: dict[str, Any] = table.get("properties") or next(
        b["properties"] for b in table.get("anyOf", []) if "properties" in b
    )
    return found  # the schema's own dict: changed in place


def _without_null(node: Any) -> Any:
    """Drop `{"type": "null"}` branches (an optional key is simply left out in TOML) and
    inline an `anyOf` left with one branch."""
    if isinstance(node, list):
        return [_without_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _without_null(value) for key, value in node.items()}
    branches = node.get("anyOf")
    if isinstance(branches, list):
        kept = [b for b in branches if b != {"type": "null"}]
        if node.get("default") is None:
            node.pop("default", None)
        if len(kept) == 1:
            del node["anyOf"]
            return {**kept[0], **node}
        merged = _merged_types(kept)
        if merged is not None:  # specific messages: "1.5 is greater than the maximum of 1"
            del node["anyOf"]
            return {**merged, **node}
        node["anyOf"] = kept
    return node


def _merged_types(branches: list[Any]) -> dict[str, Any] | None:
    """`anyOf: [{type: string, pattern}, {type: number, minimum}]` as one schema with
    `type: [string, number]`: `pattern` only applies to strings and `minimum` only to numbers,
    so it accepts the same values, and a validator can say which rule a value broke."""
    merged: dict[str, Any] = {"type": []}
    for branch in branches:
        if not isinstance(branch, dict) or not isinstance(branch.get("type"), str):
            return None
        if branch["type"] in merged["type"] or branch["type"] not in ("string", "number"):
            return None
        for key, value in branch.items():
            if key == "type":
                merged["type"].append(value)
            elif key in merged or key not in _TYPED_KEYWORDS[branch["type"]]:
                return None
            else:
                merged[key] = value
    return merged


_TYPED_KEYWORDS = {
    "string": {"pattern", "minLength", "maxLength"},
    "number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
}


def manifest_json_schema() -> dict[str, Any]:
    """The JSON Schema of llm-cost.toml, as published in docs/schema/llm-cost.schema.json."""
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llm-cost.toml"
    return schema
