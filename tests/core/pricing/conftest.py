"""Fixtures for price DB tests: the bundled DB and a small hand-written DB document."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from llmcost_lsp.core.pricing.db import PriceDB, load_price_db, parse_price_db

SMALL: dict[str, Any] = {
    "schema_version": 1,
    "updated_at": "2026-11-23T00:00:00Z",
    "tokenizers": {
        "o200k": {"encoding": "o200k_base", "source": "exact"},
        "claude": {
            "encoding": "o200k_base",
            "ratio": "1.25",
            "error_band_pct": "20",
            "source": "approximate",
        },
    },
    "models": [
        {
            "id": "gpt-4o",
            "provider": "openai",
            "display_name": "GPT-4o",
            "aliases": ["gpt-4o-2024-08-06"],
            "tokenizer": "o200k",
            "context_window": 128000,
            "max_output_tokens": 16384,
            "prices": [
                {
                    "effective_from": "2024-08-06",
                    "source": "https://example.com/openai",
                    "checked_on": "2026-11-23",
                    "input": "2.50",
                    "output": "10.00",
                    "cache_read": "1.25",
                    "modes": {
                        "batch": {"multiplier": "0.5"},
                        "priority": {"prices": {"input": "4.25", "output": "17.00"}},
                    },
                }
            ],
        },
        {
            "id": "claude-sonnet-4-5",
            "provider": "anthropic",
            "display_name": "Claude Sonnet 4.5",
            "aliases": ["claude-sonnet-4.5"],
            "tokenizer": "claude",
            "context_window": 1000000,
            "max_output_tokens": 64000,
            "deprecated_on": "2026-11-30",
            "prices": [
                {
                    "effective_from": "2025-09-29",
                    "source": "https://example.com/anthropic",
                    "checked_on": "2026-11-23",
                    "input": "3",
                    "output": "15",
                    "cache_read": "0.3",
                    "cache_write_5m": "3.75",
                    "cache_write_1h": "6",
                    "tiers": [
                        {
                            "above_input_tokens": 200000,
                            "input": "6",
                            "output": "22.5",
                            "cache_read": "0.6",
                            "cache_write_5m": "7.5",
                            "cache_write_1h": "12",
                        }
                    ],
                    "modes": {"batch": {"multiplier": "0.5"}},
                },
                {
                    "effective_from": "2027-01-01",
                    "source": "https://example.com/anthropic",
                    "checked_on": "2026-11-23",
                    "input": "4",
                    "output": "20",
                },
            ],
        },
    ],
}


@pytest.fixture(scope="session")
def bundled() -> PriceDB:
    return load_price_db()


@pytest.fixture
def small_document() -> dict[str, Any]:
    return copy.deepcopy(SMALL)


@pytest.fixture
def parse_document() -> Callable[[dict[str, Any]], PriceDB]:
    def parse(document: dict[str, Any]) -> PriceDB:
        return parse_price_db(json.dumps(document, indent=2).encode(), "test.json")

    return parse
