"""The conformance checker catches each rule's violation: a valid exported row, broken once."""

from __future__ import annotations

import pytest

from llmcost_lsp.core.focus.columns import COLUMN_COUNTS, VERSIONS, columns_of
from llmcost_lsp.core.focus.conformance import check_header, check_table
from llmcost_lsp.core.workspace import Workspace

from .conftest import export_table


def test_column_catalogue_matches_the_spec_counts() -> None:
    for version in VERSIONS:
        assert len(columns_of(version)) == COLUMN_COUNTS[version]


@pytest.fixture
def valid(examples_workspace: Workspace) -> tuple[list[str], list[str]]:
    header, rows, _ = export_table(examples_workspace, None, "1.3")
    return header, rows[0]


# (column, new cell text, rule expected); each breaks exactly one promise
MUTATIONS = [
    ("BilledCost", "", "not-null"),
    ("BilledCost", "1,5", "decimal-format"),
    ("BilledCost", "+1.0", "decimal-format"),
    ("ListCost", "1e-3", "house-decimal"),
    ("ListCost", "999.00", "cost-identity"),
    ("ContractedCost", "0.01", "cost-identity"),
    ("ListUnitPrice", "-2.5", "non-negative"),
    ("BillingPeriodStart", "2026-11-01 00:00:00", "datetime-format"),
    ("BillingPeriodStart", "2026-13-01T00:00:00Z", "datetime-format"),
    ("ChargePeriodStart", "2026-12-01T00:00:00Z", "half-open-period"),
    ("ChargePeriodStart", "2026-10-01T00:00:00Z", "charge-in-billing-period"),
    ("ChargeCategory", "usage", "allowed-values"),
    ("ChargeClass", "Refund", "allowed-values"),
    ("ChargeFrequency", "Sometimes", "allowed-values"),
    ("PricingCategory", "Cheap", "allowed-values"),
    ("ServiceCategory", "AI", "allowed-values"),
    ("ServiceSubcategory", "Databases", "subcategory-parent"),
    ("BillingCurrency", "usd", "currency-format"),
    ("PricingUnit", "1M Tokens", "unit-format"),
    ("PricingUnit", "1000000 tokens", "unit-capitalisation"),
    ("PricingUnit", "", "null-together"),
    ("ConsumedUnit", "", "null-together"),
    ("ResourceType", "", "null-together"),
    ("SkuMeter", "", "null-together"),
    ("SkuPriceId", "", "usage-not-null"),
    ("Tags", '{"a":{"b":1}}', "key-value-format"),
    ("Tags", '{"a":1,"a":2}', "key-value-format"),
    ("Tags", "[1]", "key-value-format"),
    ("Tags", '{"team":"x"}', "house-estimate-tag"),
    ("SkuPriceDetails", '{"Tier":"1"}', "sku-price-details-key"),
    ("ResourceName", "=cmd|' /C calc'!A0", "formula-injection"),
    ("ResourceId", "@SUM(A1)", "formula-injection"),
    ("x_Scenario", "-2+3", "formula-injection"),
    ("x_Requests", "1E+3", "house-decimal"),
    ("ServiceProviderName", "", "not-null"),
]


@pytest.mark.parametrize(("column", "text", "rule"), MUTATIONS)
def test_each_rule_catches_its_violation(
    valid: tuple[list[str], list[str]], column: str, text: str, rule: str
) -> None:
    header, row = valid
    assert check_table(header, [row], "1.3", house=True) == []
    broken = list(row)
    broken[header.index(column)] = text
    rules = {v.rule for v in check_table(header, [broken], "1.3", house=True)}
    assert rule in rules


def test_billed_cost_must_be_zero_for_an_estimate(valid: tuple[list[str], list[str]]) -> None:
    header, row = valid
    broken = list(row)
    broken[header.index("BilledCost")] = row[header.index("EffectiveCost")]
    assert {v.rule for v in check_table(header, [broken], "1.3", house=True)} == {
        "house-billed-cost"
    }
    # the spec itself allows it: only our house rule objects
    assert check_table(header, [broken], "1.3") == []


def test_consumed_quantity_only_on_usage_rows(valid: tuple[list[str], list[str]]) -> None:
    header, row = valid
    broken = list(row)
    broken[header.index("ChargeCategory")] = "Purchase"
    broken[header.index("ChargeFrequency")] = "Usage-Based"
    rules = {v.rule for v in check_table(header, [broken], "1.3")}
    assert {"usage-only", "purchase-frequency"} <= rules


def test_1_3_nulls_prices_without_a_sku_price(valid: tuple[list[str], list[str]]) -> None:
    header, row = valid
    broken = list(row)
    broken[header.index("ChargeClass")] = "Correction"  # a correction may lack SkuPriceId…
    broken[header.index("SkuPriceId")] = ""
    rules = {v.rule for v in check_table(header, [broken], "1.3")}
    assert "sku-price-null" in rules  # …but then its prices must be null too (1.3)


def test_header_rules() -> None:
    header = ["x_First", "BilledCost", "Custom", "BilledCost", "HostProviderName"]
    rules = {(v.column, v.rule) for v in check_header(header, "1.2")}
    assert ("BilledCost", "custom-column-order") in rules
    assert ("Custom", "custom-column-prefix") in rules
    assert ("BilledCost", "duplicate-column") in rules
    assert ("HostProviderName", "not-in-version") in rules
    assert ("EffectiveCost", "mandatory-column") in rules


def test_a_short_row_is_one_violation(valid: tuple[list[str], list[str]]) -> None:
    header, row = valid
    assert [v.rule for v in check_table(header, [row[:-1]], "1.3")] == ["field-count"]
