"""Broken price files fail with a located error: JSON line:column, or the path of the bad field."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llmcost_lsp.core.errors import PricingError
from llmcost_lsp.core.pricing.db import PriceDB, load_price_db, parse_price_db


def test_malformed_json_reports_line_and_column() -> None:
    text = b'{\n  "schema_version": 1,\n  "models": [,]\n}\n'
    with pytest.raises(PricingError) as error:
        parse_price_db(text, "prices.json")
    assert error.value.location is not None
    assert (error.value.location.line, error.value.location.column) == (3, 14)
    assert str(error.value).startswith("prices.json:3:14: price DB is not valid JSON")


def test_not_utf8() -> None:
    with pytest.raises(PricingError, match="not UTF-8"):
        parse_price_db(b"\xff\xfe{}", "prices.json")


def test_duplicate_keys_are_rejected(small_document: dict[str, Any]) -> None:
    text = json.dumps(small_document).replace('"input": "2.50"', '"input": "2.50", "input": "1"')
    with pytest.raises(PricingError, match="duplicate key 'input'"):
        parse_price_db(text.encode(), "prices.json")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["models"][0]["prices"][0].update(input="-1"),
            "models[0].prices[0].input (model 'gpt-4o')",
        ),
        (
            lambda d: d["models"][0]["prices"][0].update(input=2.5),
            "models[0].prices[0].input (model 'gpt-4o'): Value error, must be a non-negative",
        ),
        (
            lambda d: d["models"][0]["prices"][0].update(cache_read="9"),
            "cache_read 9 is above input 2.50",
        ),
        (lambda d: d["models"][1]["prices"].reverse(), "sorted by effective_from"),
        (
            lambda d: d["models"][1]["prices"][0]["tiers"].append(
                dict(d["models"][1]["prices"][0]["tiers"][0], above_input_tokens=100)
            ),
            "tier thresholds must strictly increase",
        ),
        (
            lambda d: d["models"][1]["prices"][0]["tiers"][0].pop("cache_write_1h"),
            "a tier reprices every token",
        ),
        (lambda d: d["models"][0].update(tokenizer="nope"), "unknown tokenizer 'nope'"),
        (lambda d: d["models"][1]["aliases"].append("GPT-4o"), "already names 'gpt-4o'"),
        (lambda d: d["models"][0]["prices"][0].update(source="http://x"), "source"),
        (lambda d: d["models"][0].update(colour="red"), "models[0].colour"),
        (
            lambda d: d["models"][0]["prices"][0]["modes"].update(flex={}),
            "exactly one of `multiplier` or `prices`",
        ),
        (lambda d: d.update(updated_at="2026-11-23T00:00:00+02:00"), "UTC"),
    ],
)
def test_schema_violation_names_the_field(
    small_document: dict[str, Any],
    parse_document: Callable[[dict[str, Any]], PriceDB],
    mutate: Callable[[dict[str, Any]], Any],
    expected: str,
) -> None:
    mutate(small_document)
    with pytest.raises(PricingError) as error:
        parse_document(small_document)
    assert expected in str(error.value)
    assert str(error.value).startswith("test.json: price DB fails the schema")


def test_small_document_is_valid(
    small_document: dict[str, Any], parse_document: Callable[[dict[str, Any]], PriceDB]
) -> None:
    assert parse_document(small_document).resolve("gpt-4o").display_name == "GPT-4o"


def test_load_from_path_and_missing_file(tmp_path: Path, small_document: dict[str, Any]) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(small_document), encoding="utf-8")
    db = load_price_db(path)
    assert db.origin == str(path) and len(db.models()) == 2
    with pytest.raises(PricingError, match="cannot read price DB"):
        load_price_db(tmp_path / "missing.json")


def test_newer_schema_version_asks_for_an_upgrade(
    small_document: dict[str, Any], parse_document: Callable[[dict[str, Any]], PriceDB]
) -> None:
    small_document["schema_version"] = 2
    with pytest.raises(PricingError) as error:
        parse_document(small_document)
    assert "schema version 2; this llm-cost reads version 1" in str(error.value)
    assert error.value.hint == "upgrade llm-cost to read this price DB"
