"""FOCUS export of a workspace report: one row per prompt × price component × billing period.

The numbers come from `Estimate.components` (the one estimate path); this module only scales
them by the month's calls and lays them out in FOCUS columns. Costs are exact: every product
is taken in a Decimal context that refuses to round, so ListCost = ListUnitPrice ×
PricingQuantity holds digit for digit.
"""

from __future__ import annotations

import csv
import decimal
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from llmcost_lsp.core.atomic import write_atomic_with
from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.estimate import CostComponent, Estimate
from llmcost_lsp.core.focus.columns import (
    EXPORT_VERSIONS,
    FocusVersion,
    export_columns,
)
from llmcost_lsp.core.focus.csvsafe import datetime_cell, decimal_cell, neutralise
from llmcost_lsp.core.pricing.db import ModelEntry
from llmcost_lsp.core.workspace import PromptResult, Report, Workspace

PRICING_UNIT = "1000000 Tokens"  # providers price per million tokens; whole-number Unit Format
CONSUMED_UNIT = "Tokens"
MILLION_EXPONENT = -6
ESTIMATE_TAG = "llm-cost-type"
HACK_TAG = "x-hack-billed-cost"
BILLING_ACCOUNT_ID = "llm-cost-estimate"
SERVICE_CATEGORY = "AI and Machine Learning"
SERVICE_SUBCATEGORY = "Generative AI"
SERVICE_NAME = "LLM Inference"

PROVIDER_NAMES = {
    "amazon": "Amazon",
    "anthropic": "Anthropic",
    "cohere": "Cohere",
    "deepseek": "DeepSeek",
    "google": "Google",
    "meta": "Meta",
    "mistral": "Mistral AI",
    "openai": "OpenAI",
    "perplexity": "Perplexity",
    "voyage": "Voyage AI",
    "xai": "xAI",
}
_HOSTS = {
    "bedrock": "Amazon Web Services",
    "vertex": "Google Cloud",
    "azure": "Microsoft",
    "groq": "Groq",
    "together": "Together AI",
    "fireworks": "Fireworks AI",
    "openrouter": "OpenRouter",
}
METERS = {
    "input": "Input Tokens",
    "cached_input": "Cached Input Tokens",
    "cache_write": "Cache Write Tokens",
    "output": "Output Tokens",
}
_EXACT = decimal.Context(prec=200, traps=[decimal.Inexact, decimal.InvalidOperation])


@dataclass(frozen=True)
class BillingPeriod:
    """A calendar month, half-open: [first day 00:00Z, first day of the next month 00:00Z)."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> BillingPeriod:
        parts = text.strip().split("-")
        if len(parts) != 2 or len(parts[0]) != 4 or len(parts[1]) != 2:
            raise InputError(f"period {text!r} is not a month like 2026-11", code="bad-period")
        try:
            year, month = int(parts[0]), int(parts[1])
        except ValueError:
            raise InputError(
                f"period {text!r} is not a month like 2026-11", code="bad-period"
            ) from None
        if not 1 <= month <= 12 or year < 1970:
            raise InputError(f"period {text!r} is not a month like 2026-11", code="bad-period")
        return cls(year, month)

    @classmethod
    def containing(cls, moment: datetime) -> BillingPeriod:
        moment = moment.astimezone(UTC)
        return cls(moment.year, moment.month)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return datetime(year, month, 1, tzinfo=UTC)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class ExportOptions:
    period: BillingPeriod
    version: FocusVersion = "1.2"
    hack_billed_cost: bool = False
    billing_account_name: str | None = None

    def __post_init__(self) -> None:
        if self.version not in EXPORT_VERSIONS:
            raise InputError(
                f"FOCUS version {self.version!r} cannot be exported; choose "
                + " or ".join(EXPORT_VERSIONS)
            )


@dataclass(frozen=True)
class LeftOut:
    """A prompt not exported, and why (an unknown volume is never written as 0)."""

    prompt_id: str
    path: str
    reason: str


@dataclass(frozen=True)
class Parties:
    """Who makes, sells, hosts and invoices a model's tokens, as FOCUS names them."""

    provider: str  # ProviderName / ServiceProviderName: who sells the service
    publisher: str  # PublisherName: who made the model
    host: str  # HostProviderName
    invoice_issuer: str


def parties(model: ModelEntry) -> Parties:
    maker = PROVIDER_NAMES.get(model.provider, model.provider)
    if model.hosted_by:
        hosted = model.hosted_by.lower()
        host = next(
            (name for key, name in _HOSTS.items() if key in hosted),
            model.hosted_by.split(",")[0].strip(),
        )
        return Parties(host, maker, host, host)
    return Parties(maker, maker, maker, maker)


class FocusExport:
    """The rows of one export, generated on demand so 10,000 prompts need little memory."""

    def __init__(self, report: Report, options: ExportOptions) -> None:
        self.report = report
        self.options = options
        self.header = export_columns(options.version)
        included: list[PromptResult] = []
        left_out: list[LeftOut] = []
        for result in report.results:
            reason = _why_left_out(result)
            if reason is None:
                included.append(result)
            else:
                left_out.append(LeftOut(result.prompt_id, result.prompt.path, reason))
        self.included = tuple(included)
        self.left_out = tuple(left_out)

    @property
    def scenario(self) -> str:
        return self.report.scenario.name

    def rows(self) -> Iterator[list[str | None]]:
        """Cell texts in header order; None is a null (an empty CSV field)."""
        constant = self._constant_cells()
        for result in self.included:
            estimate = result.estimate
            assert estimate is not None and estimate.monthly_calls is not None
            prompt = {**constant, **self._prompt_cells(result, estimate)}
            for component in estimate.components:
                cells = {**prompt, **self._component_cells(result, estimate, component)}
                yield [cells.get(name) for name in self.header]

    def _constant_cells(self) -> dict[str, str | None]:
        period = self.options.period
        return {
            "BillingAccountId": BILLING_ACCOUNT_ID,
            "BillingAccountName": _text(self.options.billing_account_name or "llm-cost estimate"),
            "BillingCurrency": "USD",
            "BillingPeriodEnd": datetime_cell(period.end),
            "BillingPeriodStart": datetime_cell(period.start),
            "ChargeCategory": "Usage",
            "ChargeClass": None,
            "ChargeFrequency": "Usage-Based",
            "ChargePeriodEnd": datetime_cell(period.end),
            "ChargePeriodStart": datetime_cell(period.start),
            "ConsumedUnit": CONSUMED_UNIT,
            "InvoiceId": None,
            "PricingCategory": "Standard",
            "PricingUnit": PRICING_UNIT,
            "ResourceType": "Prompt",
            "ServiceCategory": SERVICE_CATEGORY,
            "ServiceName": SERVICE_NAME,
            "ServiceSubcategory": SERVICE_SUBCATEGORY,
        }

    def _prompt_cells(self, result: PromptResult, estimate: Estimate) -> dict[str, str | None]:
        who = parties(estimate.model_entry)
        return {
            "HostProviderName": _text(who.host),
            "InvoiceIssuerName": _text(who.invoice_issuer),
            "ProviderName": _text(who.provider),
            "PublisherName": _text(who.publisher),
            "ResourceId": _text(result.prompt_id),
            "ResourceName": _text(result.prompt.path),
            "ServiceProviderName": _text(who.provider),
            "Tags": _json(self._tags(result)),
            "x_PromptContentHash": result.prompt.content_hash,
            "x_Scenario": _text(estimate.scenario.name),
            "x_Model": _text(estimate.model_entry.id),
            "x_PriceSource": _text(estimate.price_source),
            "x_PriceEffectiveFrom": estimate.price_effective_from + "T00:00:00Z",
        }

    def _component_cells(
        self, result: PromptResult, estimate: Estimate, component: CostComponent
    ) -> dict[str, str | None]:
        calls = estimate.monthly_calls
        assert calls is not None
        quantity = _exact(lambda: component.tokens * calls)
        pricing_quantity = quantity.scaleb(MILLION_EXPONENT, _EXACT)
        list_cost = _exact(lambda: component.list_per_mtok * pricing_quantity)
        contracted_cost = _exact(lambda: component.per_mtok * pricing_quantity)
        billed = contracted_cost if self.options.hack_billed_cost else Decimal(0)
        model_id = estimate.model_entry.id
        rates = estimate.rates
        tier = (
            "standard" if rates.above_input_tokens is None else f"above-{rates.above_input_tokens}"
        )
        price_details: dict[str, Any] = {"x_Mode": rates.mode, "x_Tier": rates.tier}
        if component.kind == "cache_write":
            price_details["x_CacheTtl"] = estimate.scenario.cache_ttl
        counted = component.kind != "output"
        band = estimate.input_tokens.error_band_pct
        return {
            "BilledCost": decimal_cell(billed, 2),
            "ChargeDescription": _text(
                f"Estimate: {METERS[component.kind].lower()} of prompt {result.prompt_id} "
                f"on {model_id} ({estimate.scenario.name} scenario)"
            ),
            "ConsumedQuantity": decimal_cell(quantity),
            "ContractedCost": decimal_cell(contracted_cost, 2),
            "ContractedUnitPrice": decimal_cell(component.per_mtok),
            "EffectiveCost": decimal_cell(contracted_cost, 2),
            "ListCost": decimal_cell(list_cost, 2),
            "ListUnitPrice": decimal_cell(component.list_per_mtok),
            "PricingQuantity": decimal_cell(pricing_quantity),
            "SkuId": _text(f"{model_id}/{component.kind}"),
            "SkuMeter": METERS[component.kind],
            "SkuPriceDetails": _json(price_details),
            "SkuPriceId": _text(
                f"{model_id}/{component.kind}/{rates.mode}/{tier}/{estimate.price_effective_from}"
            ),
            "x_CostComponent": component.kind,
            "x_TokensPerRequest": decimal_cell(component.tokens),
            # requests are counted once per prompt: on its input row, which every call has
            "x_Requests": decimal_cell(calls) if component.kind == "input" else None,
            "x_TokenCountMethod": estimate.input_tokens.method if counted else "declared",
            "x_TokenCountErrorPct": decimal_cell(band) if counted and band is not None else None,
        }

    def _tags(self, result: PromptResult) -> dict[str, str | bool]:
        tags: dict[str, str | bool] = {ESTIMATE_TAG: "estimate"}
        for key, value in result.tags.items():
            if key in tags or key == HACK_TAG:
                continue  # our keys win: a reader must be able to tell estimates from bills
            tags[key] = value if value != "" else True  # FOCUS: a key without value is true
        if self.options.hack_billed_cost:
            tags[HACK_TAG] = True
        return tags


def _why_left_out(result: PromptResult) -> str | None:
    estimate = result.estimate
    if estimate is None:
        errors = [i.message for i in result.issues if i.severity != "info"] or [
            i.message for i in result.issues
        ]
        return errors[0] if errors else "no estimate"
    if estimate.output_tokens is None:
        return "output_tokens unknown"
    if estimate.calls_per_month is None or estimate.monthly_calls is None:
        return "calls_per_month unknown"
    return None


def _exact(compute: Any) -> Decimal:
    with decimal.localcontext(_EXACT):
        value: Decimal = compute()
        return +value


def _text(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    return neutralise(value)


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_csv(export: FocusExport, handle: IO[str]) -> int:
    """Write header and rows (`\\n` line ends, UTF-8 text); returns the number of rows."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(export.header)
    count = 0
    for row in export.rows():
        cells = ["" if cell is None else cell for cell in row]
        if any("\r" in cell for cell in cells):
            handle.write(_quoted_row(cells))
        else:
            writer.writerow(cells)
        count += 1
    return count


def _quoted_row(cells: list[str]) -> str:
    """A row in RFC 4180 quoting where a carriage return counts as a line break: Python 3.11's
    csv.writer leaves a field with a lone CR (a file name, a manifest id) unquoted, which
    splits the record for every reader and starts a spurious one with the rest of the cell."""
    quoted = [
        '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell
        for cell in cells
    ]
    return ",".join(quoted) + "\n"


def write_csv_file(export: FocusExport, path: Path) -> int:
    """Write atomically: readers never see half a file. Returns the number of rows."""
    return write_atomic_with(Path(path), lambda handle: write_csv(export, handle))


@dataclass(frozen=True)
class ExportSummary:
    """What `export_focus_file` wrote, for a shell to report (CLI stderr, LSP message)."""

    path: Path
    rows: int
    prompts: int
    left_out: tuple[LeftOut, ...]
    period: BillingPeriod
    version: FocusVersion
    scenario: str


def export_focus_file(
    workspace: Workspace,
    path: Path,
    *,
    period: BillingPeriod | None = None,
    scenario: str | None = None,
    version: FocusVersion = "1.2",
    hack_billed_cost: bool = False,
) -> ExportSummary:
    """Export a loaded workspace to `path` atomically (the editor command's one call).

    `period` defaults to the current month (UTC, by the settings' clock); raises InputError for
    an unknown scenario.
    """
    period = period or BillingPeriod.containing(workspace.settings.now())
    options = ExportOptions(
        period, version, hack_billed_cost, billing_account_name=workspace.root.name or None
    )
    export = FocusExport(workspace.report(scenario), options)
    rows = write_csv_file(export, path)
    return ExportSummary(
        path, rows, len(export.included), export.left_out, period, version, export.scenario
    )
