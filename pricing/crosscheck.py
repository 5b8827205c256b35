"""Maintainer tool: compare data/prices.json with LiteLLM's public price file; list disagreements.

    pip download --no-deps -d /tmp/x litellm && unzip -o -q /tmp/x/litellm-*.whl \\
        'litellm/model_prices_and_context_window_backup.json' -d /tmp/x/ll
    python pricing/crosscheck.py /tmp/x/ll/litellm/model_prices_and_context_window_backup.json

Reads only facts (numbers) from the other file; prints one line per disagreement, exit 1 if any.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DB = REPO / "src" / "llmcost_lsp" / "data" / "prices.json"

# our field -> the per-token key in LiteLLM's file
FIELDS = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_read": "cache_read_input_token_cost",
    "cache_write_5m": "cache_creation_input_token_cost",
    "cache_write_1h": "cache_creation_input_token_cost_above_1hr",
}
TIER_FIELDS = {
    "input": "input_cost_per_token_above_{label}_tokens",
    "output": "output_cost_per_token_above_{label}_tokens",
    "cache_read": "cache_read_input_token_cost_above_{label}_tokens",
}
MODE_FIELDS = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_read": "cache_read_input_token_cost",
}
MODE_SUFFIX = {"batch": "_batches", "flex": "_flex", "priority": "_priority"}
# where a model's name in LiteLLM's file differs from ours or its aliases
LITELLM_KEYS = {
    "mistral": "mistral/{name}",
    "xai": "xai/{name}",
}


def per_mtok(value: Any) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(repr(value)) * 1_000_000).normalize()


def find_entry(model: dict[str, Any], other: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    names = [model["id"], *model.get("aliases", [])]
    pattern = LITELLM_KEYS.get(model["provider"])
    if pattern:
        names = [pattern.format(name=name) for name in names] + names
    for name in names:
        entry = other.get(name)
        if isinstance(entry, dict) and entry.get("input_cost_per_token") is not None:
            return name, entry
    return None


def current(schedules: list[dict[str, Any]], today: date) -> dict[str, Any]:
    in_effect = [s for s in schedules if date.fromisoformat(s["effective_from"]) <= today]
    return in_effect[-1] if in_effect else schedules[0]


def compare(db: dict[str, Any], other: dict[str, Any], today: date) -> list[str]:
    problems: list[str] = []
    for model in db["models"]:
        found = find_entry(model, other)
        if found is None:
            problems.append(f"{model['id']}: not in the other source")
            continue
        key, entry = found
        schedule = current(model["prices"], today)
        for ours, theirs in FIELDS.items():
            if model["provider"] == "openai" and ours.startswith("cache_write"):
                continue  # OpenAI's 30-minute/12-hour cache writes are deliberately not stored
            mine = schedule.get(ours)
            other_value = per_mtok(entry.get(theirs))
            differ = mine is not None and other_value is not None and Decimal(mine) != other_value
            # LiteLLM often leaves the 1-hour cache write out; that is silence, not disagreement
            missing = (mine is None) != (other_value is None) and ours != "cache_write_1h"
            if differ or missing:
                problems.append(f"{model['id']}: {ours} {mine} vs {other_value} ({key})")
        for tier in schedule.get("tiers", []):
            threshold = tier["above_input_tokens"]
            label = f"{round(threshold / 1000)}k"
            for ours, theirs_key in TIER_FIELDS.items():
                theirs = per_mtok(entry.get(theirs_key.format(label=label)))
                mine = tier.get(ours)
                if ours == "input" and theirs is None:
                    problems.append(f"{model['id']}: tier>{threshold} not in the other source")
                elif mine is not None and theirs is not None and Decimal(mine) != theirs:
                    problems.append(f"{model['id']}: tier>{threshold} {ours} {mine} vs {theirs}")
        for mode, suffix in MODE_SUFFIX.items():
            spec = schedule.get("modes", {}).get(mode)
            theirs_input = per_mtok(entry.get(f"input_cost_per_token{suffix}"))
            if spec is None:
                if theirs_input is not None:
                    problems.append(
                        f"{model['id']}: {mode} missing here, other has input {theirs_input}"
                    )
                continue
            if theirs_input is None:
                problems.append(f"{model['id']}: {mode} not in the other source")
                continue
            for ours, theirs_key in MODE_FIELDS.items():
                theirs = per_mtok(entry.get(theirs_key + suffix))
                if "multiplier" in spec:
                    base = schedule.get(ours)
                    mine = None if base is None else Decimal(base) * Decimal(spec["multiplier"])
                else:
                    value = spec["prices"].get(ours)
                    mine = None if value is None else Decimal(value)
                if mine is not None and theirs is not None and mine.normalize() != theirs:
                    problems.append(f"{model['id']}: {mode} {ours} {mine.normalize()} vs {theirs}")
        if entry.get("max_output_tokens") not in (None, model["max_output_tokens"]):
            problems.append(
                f"{model['id']}: max_output_tokens {model['max_output_tokens']} "
                f"vs {entry['max_output_tokens']}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("litellm_json", type=Path)
    parser.add_argument("--db", type=Path, default=DB)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args(argv)
    db = json.loads(args.db.read_text(encoding="utf-8"))
    other = json.loads(args.litellm_json.read_text(encoding="utf-8"))
    problems = compare(db, other, args.today)
    print("\n".join(problems) if problems else "no disagreements")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
