"""The records the bundled DB is read into without pydantic mirror the schema exactly, and the
fast load of the bundled DB equals its validated load."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from llmcost_lsp.core.errors import PricingError
from llmcost_lsp.core.pricing import model, records
from llmcost_lsp.core.pricing.db import (
    bundled_price_bytes,
    load_price_db,
    parse_price_db,
    read_bundled_price_db,
)


def _schema_defaults(schema: type[BaseModel]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        if info.default_factory is not None:
            found[name] = info.default_factory()  # type: ignore[call-arg]
        elif info.default is not PydanticUndefined:
            found[name] = info.default
    return found


def _record_defaults(record: type) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in dataclasses.fields(record):
        if item.default_factory is not dataclasses.MISSING:
            found[item.name] = item.default_factory()
        elif item.default is not dataclasses.MISSING:
            found[item.name] = item.default
    return found


@pytest.mark.parametrize("record", list(records.MIRRORS), ids=lambda r: r.__name__)
def test_each_record_has_the_fields_and_defaults_of_its_schema_class(record: type) -> None:
    schema = getattr(model, records.MIRRORS[record])
    names = [item.name for item in dataclasses.fields(record)]
    assert names == list(schema.model_fields), (
        f"records.{record.__name__} must have the fields of model.{schema.__name__}, in order: "
        "add the schema's new field to records.py (same name, type and default)"
    )
    expected = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in _schema_defaults(schema).items()
    }
    assert _record_defaults(record) == expected


def test_every_schema_class_is_mirrored() -> None:
    schema_classes = {
        name
        for name, value in vars(model).items()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and name.endswith("Schema")
        and not name.startswith("_")  # the lazy load's partial views
    }
    assert schema_classes == set(records.MIRRORS.values())


def _assert_same(record: Any, validated: Any, where: str) -> None:
    if isinstance(validated, BaseModel):
        assert dataclasses.is_dataclass(record), where
        assert type(record).__name__ + "Schema" == type(validated).__name__, where
        for name in type(validated).model_fields:
            _assert_same(getattr(record, name), getattr(validated, name), f"{where}.{name}")
    elif isinstance(validated, list):
        assert isinstance(record, tuple) and len(record) == len(validated), where
        for index, (a, b) in enumerate(zip(record, validated, strict=True)):
            _assert_same(a, b, f"{where}[{index}]")
    elif isinstance(validated, dict):
        assert isinstance(record, dict) and list(record) == list(validated), where
        for key in validated:
            _assert_same(record[key], validated[key], f"{where}[{key!r}]")
    else:
        assert type(record) is type(validated) or (
            isinstance(record, datetime) and isinstance(validated, datetime)
        ), f"{where}: {type(record)} vs {type(validated)}"
        assert record == validated, where
        if isinstance(record, Decimal):  # the same digits, not just the same value
            assert str(record) == str(validated), where


def test_the_fast_load_of_the_bundled_db_equals_its_validated_load() -> None:
    data = bundled_price_bytes()
    validated = model.PriceFileSchema.model_validate(json.loads(data))
    fast = read_bundled_price_db(data)
    slow = parse_price_db(data, "bundled")
    assert fast.updated_at == validated.updated_at and fast.updated_at.tzinfo is UTC
    assert fast.built_from == tuple(validated.built_from) and fast.digest == slow.digest
    assert fast.tokenizers == slow.tokenizers
    for name, spec in validated.tokenizers.items():
        _assert_same(fast.tokenizers[name], spec, f"tokenizers[{name!r}]")
    for schema in validated.models:  # every model, field by field, against the schema's values
        record = records.build(records.Model, fast._dict(schema.id))
        _assert_same(record, schema, schema.id)
        assert fast.entry(schema.id) == slow.entry(schema.id)
    assert load_price_db().digest == fast.digest  # what every command uses


def test_to_json_writes_what_the_schema_dumps() -> None:
    data = bundled_price_bytes()
    validated = model.PriceFileSchema.model_validate(json.loads(data))
    fast = read_bundled_price_db(data)
    for schema in validated.models:
        entry = fast.entry(schema.id)
        for prices, expected in zip(entry.history, schema.prices, strict=True):
            dumped = expected.model_dump(mode="json", exclude_none=True)
            assert records.to_json(prices.schedule, exclude_none=True) == dumped
    document = records.build(records.PriceFile, json.loads(data))
    assert records.to_json(document) == json.loads(validated.model_dump_json())


def test_the_bundled_load_imports_no_pydantic() -> None:
    code = (
        "import sys\n"
        "from llmcost_lsp.core.pricing.db import load_price_db\n"
        "db = load_price_db()\n"
        "entry = db.resolve('gpt-4o')\n"
        "entry.prices_at(db.updated_at.date()).rates_for(1000)\n"
        "db.tokenizer_for(entry)\n"
        "print(sorted(m for m in sys.modules if m.startswith('pydantic')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_lazily_read_db_from_outside_is_still_validated_model_by_model(tmp_path: Path) -> None:
    document = json.loads(bundled_price_bytes())
    document["models"][0]["prices"][0]["input"] = 2.5  # a float: the schema refuses it
    bad = json.dumps(document).encode()
    db = parse_price_db(bad, "update.json", lazy=True)
    with pytest.raises(PricingError, match="fails the schema"):
        db.entry(document["models"][0]["id"])
    db.entry(document["models"][1]["id"])  # the others are fine


def test_build_takes_json_and_validated_values_alike() -> None:
    raw = {"input": "2.50", "output": "10", "above_input_tokens": 200_000}
    tier = records.build(records.Tier, raw)
    expected = records.Tier(input=Decimal("2.50"), output=Decimal(10), above_input_tokens=200_000)
    assert tier == expected
    assert str(tier.input) == "2.50"
    assert records.build(records.Tier, model.TierSchema.model_validate(raw).model_dump()) == tier
    schedule = records.build(
        records.Schedule,
        {**raw, "effective_from": "2026-01-02", "source": "https://x", "checked_on": "2026-01-03"},
    )
    assert schedule.effective_from == date(2026, 1, 2) and schedule.modes == {}
    assert schedule.tiers == () and schedule.crosschecked_with == ()
