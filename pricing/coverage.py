"""Maintainer tool: how many of the model strings collected from real code other tools price, and
whether their price equals the hand-checked one (tests/fixtures/model_strings_from_code.json).

Run in a virtualenv with the other tools (never llm-cost's own):
    python -m venv /tmp/cmp && /tmp/cmp/bin/pip install genai-prices litellm tokencost
    /tmp/cmp/bin/python pricing/coverage.py
LiteLLM is told to read its bundled map (LITELLM_LOCAL_MODEL_COST_MAP=True): no network.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
FIXTURE = Path(__file__).resolve().parent.parent / "tests/fixtures/model_strings_from_code.json"
WHEN = datetime(2026, 12, 2, 12, tzinfo=UTC)
Price = tuple[Decimal, Decimal] | None


def per_mtok(value: Any) -> Decimal:
    return (Decimal(repr(value)) * 1_000_000).normalize()


def genai_prices() -> Callable[[str], Price]:
    from genai_prices import data_snapshot

    snapshot = data_snapshot.get_snapshot()

    def price(name: str) -> Price:
        try:
            _, model = snapshot.find_provider_model(name, None, None, None)
        except Exception:
            return None
        prices = model.get_prices(WHEN)
        value = getattr(prices, "input_mtok", None)
        if value is None:
            return None
        output = getattr(prices, "output_mtok", None) or Decimal(0)
        return (
            Decimal(getattr(value, "base", value)).normalize(),
            Decimal(getattr(output, "base", output)).normalize(),
        )

    return price


def litellm() -> Callable[[str], Price]:
    import litellm as lib

    def price(name: str) -> Price:
        try:
            info = lib.get_model_info(name)
        except Exception:
            return None
        if info.get("input_cost_per_token") is None:
            return None
        return per_mtok(info["input_cost_per_token"]), per_mtok(info.get("output_cost_per_token") or 0)

    return price


def tokencost() -> Callable[[str], Price]:
    from tokencost import costs
    from tokencost.constants import TOKEN_COSTS

    def price(name: str) -> Price:
        entry = TOKEN_COSTS.get(costs._normalize_model_for_pricing(name))
        if entry is None or entry.get("input_cost_per_token") is None:
            return None
        return (
            per_mtok(entry["input_cost_per_token"]),
            per_mtok(entry.get("output_cost_per_token") or 0),
        )

    return price


def main() -> None:
    rows = [row for row in json.loads(FIXTURE.read_text()) if row["real"]]
    ours = [row for row in rows if row["expected"]]
    print(f"llm-cost: {len(ours)} of {len(rows)} real model strings priced (hand-checked)")
    for name, make in (("genai-prices", genai_prices), ("litellm", litellm), ("tokencost", tokencost)):
        try:
            price = make()
        except ImportError:
            print(f"{name}: not installed here")
            continue
        got = {row["name"]: price(row["name"]) for row in rows}
        resolved = sum(1 for value in got.values() if value is not None)
        same = different = 0
        for row in ours:
            value = got[row["name"]]
            if value is None:
                continue
            expected = (Decimal(row["input"]).normalize(), Decimal(row["output"]).normalize())
            if value == expected:
                same += 1
            else:
                different += 1
                print(f"  {name}: {row['name']}: {value[0]}/{value[1]}, checked {expected[0]}/{expected[1]}")
        print(f"{name}: resolves {resolved}; of llm-cost's {len(ours)}: same {same}, different {different}")


if __name__ == "__main__":
    main()
