"""The bundled file matches the pydantic schema and the exported JSON Schema in docs/ is current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmcost_lsp.core.pricing.db import bundled_price_bytes
from llmcost_lsp.core.pricing.model import PriceFileSchema, json_schema, json_schema_text

EXPORTED = Path(__file__).resolve().parents[3] / "docs" / "schema" / "prices.schema.json"


def test_exported_schema_is_up_to_date() -> None:
    assert EXPORTED.read_text(encoding="utf-8") == json_schema_text(), (
        "regenerate: python -m llmcost_lsp.core.pricing.model > docs/schema/prices.schema.json"
    )


def test_bundled_file_round_trips_through_the_schema() -> None:
    raw = json.loads(bundled_price_bytes())
    parsed = PriceFileSchema.model_validate(raw)
    again = PriceFileSchema.model_validate_json(parsed.model_dump_json(exclude_none=True))
    assert again == parsed
    # prices survive as the exact strings written in the file
    first = raw["models"][0]["prices"][0]
    assert json.loads(parsed.model_dump_json())["models"][0]["prices"][0]["input"] == first["input"]


def test_bundled_file_validates_against_exported_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(bundled_price_bytes()), json_schema())


def test_json_schema_rejects_a_float_price() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    document = json.loads(bundled_price_bytes())
    document["models"][0]["prices"][0]["input"] = 2.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, json_schema())
