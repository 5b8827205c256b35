"""FOCUS export of the ledger: one row per day × project × prompt × model of a billing month,
with BilledCost = EffectiveCost = the metered cost and the token components in `x_` columns
(the wide shape `calibrate --actuals` reads). A group with unpriced calls is left out and
reported: its cost is unknown, never written as 0.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import IO

from llmcost_lsp.core.focus.columns import COLUMNS, FocusVersion
from llmcost_lsp.core.focus.csvsafe import datetime_cell, decimal_cell, neutralise
from llmcost_lsp.core.focus.export import (
    ESTIMATE_TAG,
    SERVICE_CATEGORY,
    SERVICE_NAME,
    SERVICE_SUBCATEGORY,
    BillingPeriod,
    parties,
)
from llmcost_lsp.core.ledger.price import usd_from_pico
from llmcost_lsp.core.ledger.rows import PromptDayKey, Totals
from llmcost_lsp.core.ledger.store import SqlStore
from llmcost_lsp.core.pricing.db import PriceDB

METERED = "metered"
BILLING_ACCOUNT_ID = "llm-cost-ledger"
_SPEC = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "EffectiveCost", "HostProviderName",
    "InvoiceIssuerName", "ListCost", "PricingCategory", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "ResourceId", "ResourceName", "ResourceType",
    "ServiceCategory", "ServiceName", "ServiceProviderName", "ServiceSubcategory", "SkuId",
    "SkuMeter", "SkuPriceId", "Tags",
)  # fmt: skip
CUSTOM = (
    "x_Model", "x_Project", "x_Requests", "x_InputTokens", "x_CachedInputTokens",
    "x_CacheWriteTokens", "x_CacheWrite1hTokens", "x_OutputTokens", "x_ReasoningTokens",
)  # fmt: skip


def header(version: FocusVersion) -> tuple[str, ...]:
    return tuple(name for name in _SPEC if COLUMNS[name].in_version(version)) + CUSTOM


@dataclass(frozen=True)
class LeftOutGroup:
    day: str
    prompt_id: str
    model: str
    calls: int
    unpriced: int


class LedgerExport:
    """The rows of one month's export, read from the rollups."""

    def __init__(
        self,
        store: SqlStore,
        db: PriceDB,
        period: BillingPeriod,
        version: FocusVersion = "1.2",
        project: str | None = None,
    ) -> None:
        self.period = period
        self.version = version
        self.header = header(version)
        self.db = db
        end = period.end.date()
        groups = store.prompt_rollups(period.start.date().isoformat(), end.isoformat(), project)
        groups.sort(key=lambda item: (item[0].day, item[0].project, item[0].prompt_id,
                                      item[0].model))  # fmt: skip
        self.included = [(k, t) for k, t in groups if t.unpriced == 0 and t.calls]
        self.left_out = [
            LeftOutGroup(k.day, k.prompt_id, k.model, t.calls, t.unpriced)
            for k, t in groups
            if t.unpriced
        ]

    @property
    def cost_usd(self) -> Decimal:
        return sum((usd_from_pico(t.cost_pusd) for _, t in self.included), Decimal(0))

    def rows(self) -> Iterator[list[str | None]]:
        start, end = datetime_cell(self.period.start), datetime_cell(self.period.end)
        for key, totals in self.included:
            cells = self._cells(key, totals)
            cells.update(BillingPeriodStart=start, BillingPeriodEnd=end)
            yield [cells.get(name) for name in self.header]

    def _cells(self, key: PromptDayKey, totals: Totals) -> dict[str, str | None]:
        day = date.fromisoformat(key.day)
        charge_start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        cost = usd_from_pico(totals.cost_pusd)
        list_cost = usd_from_pico(totals.list_cost_pusd)
        tokens = Decimal(totals.input_tokens + totals.output_tokens)
        entry = self.db.resolve(key.model) if key.model in self.db else None
        who = parties(entry) if entry else None
        provider = who.provider if who else "Unknown"
        tags: dict[str, str] = {"prompt_id": key.prompt_id, ESTIMATE_TAG: METERED}
        if key.project:
            tags["project"] = key.project
        return {
            "BilledCost": decimal_cell(cost, 2),
            "BillingAccountId": BILLING_ACCOUNT_ID,
            "BillingAccountName": "llm-cost ledger",
            "BillingCurrency": "USD",
            "ChargeCategory": "Usage",
            "ChargeDescription": _text(
                f"Metered: {totals.calls:,} calls of prompt {key.prompt_id or '(none)'} "
                f"on {key.model}"
            ),
            "ChargeFrequency": "Usage-Based",
            "ChargePeriodStart": datetime_cell(charge_start),
            "ChargePeriodEnd": datetime_cell(charge_start + timedelta(days=1)),
            "ConsumedQuantity": decimal_cell(tokens),
            "ConsumedUnit": "Tokens",
            "ContractedCost": decimal_cell(cost, 2),
            "EffectiveCost": decimal_cell(cost, 2),
            "HostProviderName": _text(who.host if who else provider),
            "InvoiceIssuerName": _text(who.invoice_issuer if who else provider),
            "ListCost": decimal_cell(list_cost, 2),
            "PricingCategory": "Standard",
            "PricingQuantity": decimal_cell(tokens.scaleb(-6)),
            "PricingUnit": "1000000 Tokens",
            "ProviderName": _text(provider),
            "PublisherName": _text(who.publisher if who else provider),
            "ResourceId": _text(key.prompt_id) if key.prompt_id else None,
            "ResourceName": _text(key.prompt_id) if key.prompt_id else None,
            "ResourceType": "Prompt" if key.prompt_id else None,
            "ServiceCategory": SERVICE_CATEGORY,
            "ServiceName": SERVICE_NAME,
            "ServiceProviderName": _text(provider),
            "ServiceSubcategory": SERVICE_SUBCATEGORY,
            "SkuId": _text(key.model),
            "SkuMeter": "Tokens",
            "SkuPriceId": _text(f"{key.model}/{METERED}"),
            "Tags": json.dumps(tags, ensure_ascii=False, separators=(",", ":")),
            "x_Model": _text(key.model),
            "x_Project": _text(key.project) if key.project else None,
            "x_Requests": decimal_cell(Decimal(totals.calls)),
            "x_InputTokens": decimal_cell(Decimal(totals.input_tokens)),
            "x_CachedInputTokens": decimal_cell(Decimal(totals.cache_read_tokens)),
            "x_CacheWriteTokens": decimal_cell(Decimal(totals.cache_write_tokens)),
            "x_CacheWrite1hTokens": decimal_cell(Decimal(totals.cache_write_1h_tokens)),
            "x_OutputTokens": decimal_cell(Decimal(totals.output_tokens)),
            "x_ReasoningTokens": decimal_cell(Decimal(totals.reasoning_tokens)),
        }


def _text(value: str | None) -> str | None:
    return neutralise(value) if value else None


def write_csv(export: LedgerExport, handle: IO[str]) -> int:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(export.header)
    count = 0
    for row in export.rows():
        writer.writerow(["" if cell is None else cell for cell in row])
        count += 1
    return count
