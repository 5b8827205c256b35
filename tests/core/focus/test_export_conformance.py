"""Every FOCUS rule, on every row of real exports: examples/ and a generated workspace with
every model, both versions, every scenario, with and without the legacy BilledCost hack."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.core.focus.columns import CUSTOM_COLUMNS, FocusVersion, mandatory_columns
from llmcost_lsp.core.focus.conformance import check_table
from llmcost_lsp.core.workspace import Workspace

from .conftest import HOSTILE_NAMES, export_table, load

VERSIONS: tuple[FocusVersion, ...] = ("1.2", "1.3")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("scenario", [None, "launch", "cached", "nightly"])
@pytest.mark.parametrize("hack", [False, True])
def test_examples_export_conforms(
    examples_workspace: Workspace, version: FocusVersion, scenario: str | None, hack: bool
) -> None:
    header, rows, export = export_table(examples_workspace, scenario, version, hack)
    assert rows, "the examples have prompts with a known monthly cost"
    assert check_table(header, rows, version, house=True) == []
    # the export's EffectiveCost is the estimate, exactly
    effective = sum(Decimal(r[header.index("EffectiveCost")]) for r in rows)
    assert effective == export.report.monthly_usd


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("scenario", [None, "cached", "batch"])
def test_generated_export_conforms(
    generated_workspace: Workspace, version: FocusVersion, scenario: str | None
) -> None:
    header, rows, export = export_table(generated_workspace, scenario, version)
    assert check_table(header, rows, version, house=True) == []
    exported = {r[header.index("x_Model")] for r in rows}
    # a sample of the DB's models; fewer offer batch, so the floor is low
    assert len(exported) > 10, "the sampled models of the price DB made it into the export"
    assert any("/above-" in r[header.index("SkuPriceId")] for r in rows)
    left = {item.prompt_id: item.reason for item in export.left_out}
    assert left["no-volume"] == "calls_per_month unknown"


def test_every_mandatory_column_is_written_in_spec_order_then_custom(
    generated_workspace: Workspace,
) -> None:
    for version in VERSIONS:
        header, _, _ = export_table(generated_workspace, None, version)
        assert set(mandatory_columns(version)) <= set(header)
        spec = [name for name in header if not name.startswith("x_")]
        assert spec == sorted(spec)
        assert header[len(spec) :] == list(CUSTOM_COLUMNS)
    header_12, _, _ = export_table(generated_workspace, None, "1.2")
    header_13, _, _ = export_table(generated_workspace, None, "1.3")
    assert set(header_13) - set(header_12) == {"ServiceProviderName", "HostProviderName"}
    assert {"ProviderName", "PublisherName"} <= set(header_13)  # deprecated, kept


def test_cost_identities_hold_digit_for_digit(generated_workspace: Workspace) -> None:
    header, rows, _ = export_table(generated_workspace, "cached", "1.3")
    col = {name: header.index(name) for name in header}
    for row in rows:
        quantity = Decimal(row[col["PricingQuantity"]])
        assert Decimal(row[col["ListCost"]]) == Decimal(row[col["ListUnitPrice"]]) * quantity
        assert (
            Decimal(row[col["ContractedCost"]])
            == Decimal(row[col["ContractedUnitPrice"]]) * quantity
        )
        assert Decimal(row[col["ConsumedQuantity"]]) == quantity * 1_000_000
        assert row[col["PricingUnit"]] == "1000000 Tokens"
        assert row[col["BilledCost"]] == "0.00"
        for name in ("BilledCost", "ListCost", "EffectiveCost", "PricingQuantity"):
            assert "." in row[col[name]] and "E" not in row[col[name]].upper()


def test_overrides_make_contracted_cost_differ_from_list(generated_workspace: Workspace) -> None:
    header, rows, _ = export_table(generated_workspace)
    col = {name: header.index(name) for name in header}
    gpt41 = [r for r in rows if r[col["x_Model"]] == "gpt-4.1"]
    assert {r[col["x_CostComponent"]] for r in gpt41} == {"input", "output"}
    for row in gpt41:
        assert Decimal(row[col["ContractedCost"]]) < Decimal(row[col["ListCost"]])
        assert row[col["ContractedUnitPrice"]] in ("1.7", "6.3")


def test_hostile_names_are_neutralised_and_tags_flat(generated_workspace: Workspace) -> None:
    header, rows, _ = export_table(generated_workspace)
    col = {name: header.index(name) for name in header}
    ids = {r[col["ResourceId"]] for r in rows}
    for name in HOSTILE_NAMES:
        assert "'" + name in ids
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r"))
            assert not cell.startswith("-")  # no negative numbers either: costs are never < 0
        tags = json.loads(row[col["Tags"]])
        assert tags["llm-cost-type"] == "estimate"  # the user's "bill" never wins
        assert all(not isinstance(v, dict | list) for v in tags.values())
        if "env" in tags:
            assert tags["env"] is True  # a key without value is true in FOCUS


def test_hack_billed_cost_copies_the_estimate_and_tags_it(examples_workspace: Workspace) -> None:
    header, rows, _ = export_table(examples_workspace, hack=True)
    col = {name: header.index(name) for name in header}
    for row in rows:
        assert row[col["BilledCost"]] == row[col["EffectiveCost"]]
        assert json.loads(row[col["Tags"]])["x-hack-billed-cost"] is True


def test_bedrock_hosted_models_name_the_host_and_the_publisher(
    generated_workspace: Workspace,
) -> None:
    header, rows, _ = export_table(generated_workspace, None, "1.3")
    col = {name: header.index(name) for name in header}
    llama = next(r for r in rows if r[col["x_Model"]].startswith("bedrock/meta.llama"))
    assert llama[col["PublisherName"]] == "Meta"
    assert llama[col["ServiceProviderName"]] == "Amazon Web Services"
    assert llama[col["HostProviderName"]] == "Amazon Web Services"
    assert llama[col["InvoiceIssuerName"]] == "Amazon Web Services"
    direct = next(r for r in rows if r[col["x_Model"]] == "gpt-4o")
    assert {direct[col[n]] for n in ("ProviderName", "PublisherName", "HostProviderName")} == {
        "OpenAI"
    }


def test_requests_are_counted_once_per_prompt(examples_workspace: Workspace) -> None:
    header, rows, export = export_table(examples_workspace, "cached")
    col = {name: header.index(name) for name in header}
    requests = sum(Decimal(r[col["x_Requests"]]) for r in rows if r[col["x_Requests"]])
    assert requests == sum(e.monthly_calls or 0 for e in export.report.estimates)


def test_real_prompt_corpus_export_conforms(corpus: Path, tmp_path: Path) -> None:
    """158 real prompt files (BOMs, CJK text, odd names, placeholder models) under defaults
    that give every one a volume: every exported row conforms, the rest is named."""
    root = tmp_path / "corpus"
    shutil.copytree(corpus, root)
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "claude-sonnet-4-6"\ncalls_per_month = 1_000\noutput_tokens = 500\n'
        '[discovery]\ninclude = ["**/*"]\nexclude = ["SOURCES.md"]\n'
        '[scenarios.cached]\ncache_hit_ratio = "0.5"\n',
        encoding="utf-8",
    )
    workspace = load(root)
    for version in VERSIONS:
        header, rows, export = export_table(workspace, "cached", version)
        assert len(export.included) > 100
        assert check_table(header, rows, version, house=True) == []
        assert len(export.included) + len(export.left_out) == len(workspace.prompts)
