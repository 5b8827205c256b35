"""FOCUS column catalogue (1.0–1.3): type, level, nullability, allowed values, and version.

Facts from the FOCUS specification as summarised in shared/notes/focus-spec.md; the conformance
checker and the exporter both read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FocusVersion = Literal["1.0", "1.1", "1.2", "1.3"]
VERSIONS: tuple[FocusVersion, ...] = ("1.0", "1.1", "1.2", "1.3")
EXPORT_VERSIONS: tuple[FocusVersion, ...] = ("1.2", "1.3")
ColumnType = Literal["string", "decimal", "datetime", "keyvalue", "jsonobject"]
Level = Literal["mandatory", "conditional", "recommended"]

SERVICE_CATEGORIES = (
    "AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases",
    "Developer Tools", "Multicloud", "Identity", "Integration", "Internet of Things",
    "Management and Governance", "Media", "Migration", "Mobile", "Networking", "Security",
    "Storage", "Web", "Other",
)  # fmt: skip
# Subcategories of the one category an LLM estimate uses; other categories' subcategories are
# accepted by prefix rule `Other (<Category>)` only (the full table has ~80 rows).
AI_SUBCATEGORIES = (
    "AI Platforms", "Bots", "Generative AI", "Machine Learning", "Natural Language Processing",
    "Other (AI and Machine Learning)",
)  # fmt: skip
SKU_PRICE_DETAIL_KEYS = frozenset(
    {
        "CoreCount", "DiskMaxIops", "DiskSpace", "DiskType", "GpuCount", "InstanceType",
        "InstanceSeries", "MemorySize", "NetworkMaxIops", "NetworkMaxThroughput",
        "OperatingSystem", "Redundancy", "StorageClass",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Column:
    """One FOCUS Cost and Usage column as a version of the spec defines it."""

    name: str
    type: ColumnType
    level: Level
    nullable: bool
    since: FocusVersion = "1.0"
    deprecated_in: FocusVersion | None = None
    allowed: tuple[str, ...] | None = None
    mandatory_since: FocusVersion | None = None  # when a later version made it mandatory

    def in_version(self, version: FocusVersion) -> bool:
        return VERSIONS.index(self.since) <= VERSIONS.index(version)

    def mandatory_in(self, version: FocusVersion) -> bool:
        if not self.in_version(version):
            return False
        if self.mandatory_since is not None:
            return VERSIONS.index(self.mandatory_since) <= VERSIONS.index(version)
        return self.level == "mandatory"


def _c(
    name: str,
    type_: ColumnType,
    level: Level,
    nullable: bool,
    since: FocusVersion = "1.0",
    allowed: tuple[str, ...] | None = None,
    deprecated_in: FocusVersion | None = None,
) -> Column:
    return Column(name, type_, level, nullable, since, deprecated_in, allowed)


M: Level = "mandatory"
C: Level = "conditional"
R: Level = "recommended"
COLUMNS: dict[str, Column] = {
    c.name: c
    for c in (
        _c("AllocatedMethodDetails", "jsonobject", R, True, "1.3"),
        _c("AllocatedMethodId", "string", C, True, "1.3"),
        _c("AllocatedResourceId", "string", C, True, "1.3"),
        _c("AllocatedResourceName", "string", C, True, "1.3"),
        _c("AllocatedTags", "keyvalue", C, True, "1.3"),
        _c("AvailabilityZone", "string", R, True),
        _c("BilledCost", "decimal", M, False),
        _c("BillingAccountId", "string", M, False),
        _c("BillingAccountName", "string", M, True),
        _c("BillingAccountType", "string", C, True, "1.2"),
        _c("BillingCurrency", "string", M, False),
        _c("BillingPeriodEnd", "datetime", M, False),
        _c("BillingPeriodStart", "datetime", M, False),
        _c("CapacityReservationId", "string", C, True, "1.1"),
        _c("CapacityReservationStatus", "string", C, True, "1.1", ("Used", "Unused")),
        _c("ChargeCategory", "string", M, False, "1.0",
           ("Usage", "Purchase", "Tax", "Credit", "Adjustment")),
        _c("ChargeClass", "string", M, True, "1.0", ("Correction",)),
        _c("ChargeDescription", "string", M, True),
        _c("ChargeFrequency", "string", R, False, "1.0", ("One-Time", "Recurring", "Usage-Based")),
        _c("ChargePeriodEnd", "datetime", M, False),
        _c("ChargePeriodStart", "datetime", M, False),
        _c("CommitmentDiscountCategory", "string", C, True, "1.0", ("Spend", "Usage")),
        _c("CommitmentDiscountId", "string", C, True),
        _c("CommitmentDiscountName", "string", C, True),
        _c("CommitmentDiscountQuantity", "decimal", C, True, "1.1"),
        _c("CommitmentDiscountStatus", "string", C, True, "1.0", ("Used", "Unused")),
        _c("CommitmentDiscountType", "string", C, True),
        _c("CommitmentDiscountUnit", "string", C, True, "1.1"),
        _c("ConsumedQuantity", "decimal", C, True),
        _c("ConsumedUnit", "string", C, True),
        _c("ContractApplied", "jsonobject", C, True, "1.3"),
        _c("ContractedCost", "decimal", M, False),
        _c("ContractedUnitPrice", "decimal", C, True),
        _c("EffectiveCost", "decimal", M, False),
        _c("HostProviderName", "string", M, True, "1.3"),
        _c("InvoiceId", "string", R, True, "1.2"),
        _c("InvoiceIssuerName", "string", M, False),
        _c("ListCost", "decimal", M, False),
        _c("ListUnitPrice", "decimal", C, True),
        _c("PricingCategory", "string", C, True, "1.0",
           ("Standard", "Dynamic", "Committed", "Other")),
        _c("PricingCurrency", "string", C, True, "1.2"),
        _c("PricingCurrencyContractedUnitPrice", "decimal", C, True, "1.2"),
        _c("PricingCurrencyEffectiveCost", "decimal", C, True, "1.2"),
        _c("PricingCurrencyListUnitPrice", "decimal", C, True, "1.2"),
        _c("PricingQuantity", "decimal", M, True),
        _c("PricingUnit", "string", M, True),
        _c("ProviderName", "string", M, False, "1.0", None, "1.3"),
        _c("PublisherName", "string", M, False, "1.0", None, "1.3"),
        _c("RegionId", "string", C, True),
        _c("RegionName", "string", C, True),
        _c("ResourceId", "string", C, True),
        _c("ResourceName", "string", C, True),
        _c("ResourceType", "string", C, True),
        _c("ServiceCategory", "string", M, False, "1.0", SERVICE_CATEGORIES),
        _c("ServiceName", "string", M, False),
        _c("ServiceProviderName", "string", M, False, "1.3"),
        _c("ServiceSubcategory", "string", R, False, "1.1"),
        _c("SkuId", "string", C, True),
        _c("SkuMeter", "string", C, True, "1.1"),
        _c("SkuPriceDetails", "keyvalue", C, True, "1.1"),
        _c("SkuPriceId", "string", C, True),
        _c("SubAccountId", "string", C, True),
        _c("SubAccountName", "string", C, True),
        _c("SubAccountType", "string", C, True, "1.2"),
        _c("Tags", "keyvalue", C, True),
    )
}  # fmt: skip

# Column counts per version, as the spec's changelogs give them (a guard on this table).
COLUMN_COUNTS: dict[FocusVersion, int] = {"1.0": 43, "1.1": 50, "1.2": 57, "1.3": 65}


def columns_of(version: FocusVersion) -> list[Column]:
    return [column for column in COLUMNS.values() if column.in_version(version)]


def mandatory_columns(version: FocusVersion) -> list[str]:
    return [c.name for c in columns_of(version) if c.mandatory_in(version)]


# What the exporter writes, in order: the spec columns alphabetically (as the spec lists
# them), then our x_ columns. Conditional columns that never apply to an LLM API estimate
# (commitments, capacity reservations, regions, allocation, sub-accounts) are left out.
_EXPORTED_SPEC = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice",
    "EffectiveCost", "HostProviderName", "InvoiceId", "InvoiceIssuerName", "ListCost",
    "ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit", "ProviderName",
    "PublisherName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory",
    "ServiceName", "ServiceProviderName", "ServiceSubcategory", "SkuId", "SkuMeter",
    "SkuPriceDetails", "SkuPriceId", "Tags",
)  # fmt: skip
CUSTOM_COLUMNS = (
    "x_PromptContentHash",
    "x_Scenario",
    "x_Model",
    "x_CostComponent",
    "x_TokensPerRequest",
    "x_Requests",
    "x_TokenCountMethod",
    "x_TokenCountErrorPct",
    "x_PriceSource",
    "x_PriceEffectiveFrom",
)


def export_columns(version: FocusVersion) -> tuple[str, ...]:
    """The header of an export for `version` (1.2 or 1.3)."""
    spec = tuple(name for name in _EXPORTED_SPEC if COLUMNS[name].in_version(version))
    return spec + CUSTOM_COLUMNS
