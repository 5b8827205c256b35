"""FOCUS conformance checker: every rule of the column notes, applied to a table of cell texts.

Used by the tests and by `llm-cost export focus --validate`. `house=True` adds the promises of
our own export on top of the spec (a decimal point and no exponent, neutralised text cells,
BilledCost 0 unless the legacy hack tag says otherwise).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path

from llmcost_lsp.core.focus.columns import (
    AI_SUBCATEGORIES,
    COLUMNS,
    SKU_PRICE_DETAIL_KEYS,
    VERSIONS,
    Column,
    FocusVersion,
    mandatory_columns,
)
from llmcost_lsp.core.focus.csvsafe import is_formula_like

SPEC_DECIMAL = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE]-?\d+)?$")  # no "+" anywhere
HOUSE_DECIMAL = re.compile(r"^-?\d+\.\d+$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
# Unit Format: "Tokens", "GB-Hours", "Requests/Day", "1000 Tokens", "1000 Requests/Day"
UNIT = re.compile(r"^(?:[1-9]\d* )?[A-Za-z][A-Za-z ]*?(?:-[A-Za-z]+)?(?:/[A-Za-z]+)?$")
_COUNT_UNITS = {
    "token": "Tokens",
    "tokens": "Tokens",
    "request": "Requests",
    "requests": "Requests",
}
_UNIT_COLUMNS = ("PricingUnit", "ConsumedUnit", "CommitmentDiscountUnit")
_MAX_VIOLATIONS = 1000
_WIDE = Context(prec=400)


@dataclass(frozen=True)
class Violation:
    """A broken rule: data row (1-based; 0 is the header), column, rule id, and why."""

    row: int
    column: str
    rule: str
    message: str

    def __str__(self) -> str:
        where = "header" if self.row == 0 else f"row {self.row}"
        return f"{where}, {self.column}: {self.message} [{self.rule}]"


def _at_least(version: FocusVersion, minimum: FocusVersion) -> bool:
    return VERSIONS.index(version) >= VERSIONS.index(minimum)


def check_header(header: Sequence[str], version: FocusVersion) -> list[Violation]:
    """Column names: known to this version, custom ones `x_`-prefixed and last, none missing."""
    found: list[Violation] = []
    seen: set[str] = set()
    first_custom: int | None = None
    for index, name in enumerate(header):
        if name in seen:
            found.append(Violation(0, name, "duplicate-column", "column appears twice"))
        seen.add(name)
        spec = COLUMNS.get(name)
        if spec is not None:
            if not spec.in_version(version):
                found.append(
                    Violation(0, name, "not-in-version", f"not a FOCUS {version} column "
                              f"(added in {spec.since})")
                )  # fmt: skip
            if first_custom is not None:
                found.append(
                    Violation(0, name, "custom-column-order",
                              f"FOCUS column after custom column {header[first_custom]}")
                )  # fmt: skip
        elif not name.startswith("x_"):
            found.append(
                Violation(0, name, "custom-column-prefix", "custom columns must start with x_")
            )
        elif first_custom is None:
            first_custom = index
    for name in mandatory_columns(version):
        if name not in seen:
            found.append(Violation(0, name, "mandatory-column", f"FOCUS {version} requires it"))
    return found


def _decimal(text: str) -> Decimal | None:
    if not SPEC_DECIMAL.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _datetime(text: str) -> datetime | None:
    if not DATETIME.match(text):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _key_value(text: str) -> tuple[dict[str, object] | None, str | None]:
    pairs: list[tuple[str, object]] = []

    def keep(items: list[tuple[str, object]]) -> dict[str, object]:
        pairs.extend(items)
        return dict(items)

    try:
        value = json.loads(text, object_pairs_hook=keep)
    except json.JSONDecodeError as error:
        return None, f"not JSON: {error.msg}"
    if not isinstance(value, dict):
        return None, "must be a JSON object"
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        return None, "keys must be unique"
    for key, item in value.items():
        if isinstance(item, dict | list):
            return None, f"value of {key!r} must not be an object or array"
    return value, None


class _RowChecker:
    def __init__(self, header: Sequence[str], version: FocusVersion, house: bool) -> None:
        self.header = list(header)
        self.present = frozenset(header)
        self.version = version
        self.house = house
        self.violations: list[Violation] = []

    def add(self, row: int, column: str, rule: str, message: str) -> None:
        if len(self.violations) < _MAX_VIOLATIONS:
            self.violations.append(Violation(row, column, rule, message))

    def check(self, number: int, cells: Sequence[str]) -> None:
        if len(cells) != len(self.header):
            self.add(number, "*", "field-count",
                     f"{len(cells)} fields, the header has {len(self.header)}")  # fmt: skip
            return
        row = {
            name: (text if text != "" else None)
            for name, text in zip(self.header, cells, strict=True)
        }
        numbers: dict[str, Decimal] = {}
        times: dict[str, datetime] = {}
        for name, text in row.items():
            self._cell(number, name, text, numbers, times)
        self._cross(number, row, numbers, times)

    def _cell(
        self,
        number: int,
        name: str,
        text: str | None,
        numbers: dict[str, Decimal],
        times: dict[str, datetime],
    ) -> None:
        """The rules of one cell; a text not of its column's type is not checked further."""
        spec = COLUMNS.get(name)
        if text is not None and self.house and is_formula_like(text):
            self._formula(number, name, text)
        if spec is None:
            if text is not None and self.house and name.startswith("x_"):
                self._house_custom(number, name, text, numbers)
            return
        if text is None:
            if not spec.nullable:
                self.add(number, name, "not-null", "must not be null")
            return
        self._value(number, name, text, spec, (numbers, times))

    def _value(
        self,
        number: int,
        name: str,
        text: str,
        spec: Column,
        parsed: tuple[dict[str, Decimal], dict[str, datetime]],
    ) -> None:
        """The rules of a non-null FOCUS cell: its type's format first, then its values."""
        numbers, times = parsed
        if spec.type == "decimal" and not self._decimal_format(number, name, text, numbers):
            return
        if spec.type == "datetime" and not self._datetime_format(number, name, text, times):
            return
        if spec.type == "keyvalue":
            self._key_value_format(number, name, text)
        elif spec.type == "jsonobject":
            self._json_object_format(number, name, text)
        if spec.allowed is not None and text not in spec.allowed:
            self.add(number, name, "allowed-values",
                     f"{text!r} is not one of {', '.join(spec.allowed)}")  # fmt: skip
        if name in ("BillingCurrency", "PricingCurrency") and not CURRENCY.match(text):
            self.add(number, name, "currency-format", f"{text!r} is not an ISO 4217 code")
        if name in _UNIT_COLUMNS:
            self._unit(number, name, text)

    def _decimal_format(
        self, number: int, name: str, text: str, numbers: dict[str, Decimal]
    ) -> bool:
        """decimal-format, and house-decimal for our own files; False: not a decimal."""
        value = _decimal(text)
        if value is None:
            self.add(number, name, "decimal-format", f"{text!r} is not a FOCUS decimal")
            return False
        if self.house and not HOUSE_DECIMAL.match(text):
            self.add(number, name, "house-decimal",
                     f"{text!r}: write a decimal point and no exponent")  # fmt: skip
        numbers[name] = value
        return True

    def _datetime_format(
        self, number: int, name: str, text: str, times: dict[str, datetime]
    ) -> bool:
        moment = _datetime(text)
        if moment is None:
            self.add(number, name, "datetime-format", f"{text!r} is not YYYY-MM-DDTHH:mm:ssZ")
            return False
        times[name] = moment
        return True

    def _key_value_format(self, number: int, name: str, text: str) -> None:
        """key-value-format, and sku-price-details-key for SkuPriceDetails."""
        value_map, problem = _key_value(text)
        if problem:
            self.add(number, name, "key-value-format", problem)
        elif name == "SkuPriceDetails" and value_map is not None:
            for key in value_map:
                if key not in SKU_PRICE_DETAIL_KEYS and not key.startswith("x_"):
                    self.add(number, name, "sku-price-details-key",
                             f"{key!r}: not a FOCUS key and no x_ prefix")  # fmt: skip

    def _json_object_format(self, number: int, name: str, text: str) -> None:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("Elements"), list):
            self.add(number, name, "json-object-format",
                     'must be a JSON object with an "Elements" array')  # fmt: skip

    def _unit(self, number: int, name: str, text: str) -> None:
        if not UNIT.match(text):
            self.add(number, name, "unit-format", f"{text!r} does not follow the Unit Format")
            return
        word = re.split(r"[-/]", text.split(" ", 1)[-1] if text[0].isdigit() else text)[0]
        wanted = _COUNT_UNITS.get(word.lower())
        if wanted is not None and word != wanted:
            self.add(number, name, "unit-capitalisation", f"{word!r} must be written {wanted!r}")

    def _formula(self, number: int, name: str, text: str) -> None:
        spec = COLUMNS.get(name)
        numeric = (spec is not None and spec.type == "decimal") or (
            spec is None and _decimal(text) is not None
        )
        if not (numeric and _decimal(text) is not None):
            self.add(number, name, "formula-injection", f"{text[:20]!r} starts a formula")

    def _house_custom(self, number: int, name: str, text: str, numbers: dict[str, Decimal]) -> None:
        if name in ("x_TokensPerRequest", "x_Requests", "x_TokenCountErrorPct"):
            if not HOUSE_DECIMAL.match(text):
                self.add(number, name, "house-decimal", f"{text!r} is not a plain decimal")
            else:
                numbers[name] = Decimal(text)
        if name == "x_PriceEffectiveFrom" and _datetime(text) is None:
            self.add(number, name, "datetime-format", f"{text!r} is not YYYY-MM-DDTHH:mm:ssZ")

    def _cross(
        self,
        number: int,
        row: dict[str, str | None],
        numbers: dict[str, Decimal],
        times: dict[str, datetime],
    ) -> None:
        """The rules across a row's columns, one method per rule code, in this order."""
        self._half_open_period(number, times)
        self._charge_in_billing_period(number, times)
        self._cost_identity(number, row, numbers)
        self._non_negative(number, numbers)
        self._null_together(number, row)
        self._usage_only(number, row)
        self._usage_not_null(number, row)
        self._tax_null(number, row)
        self._purchase_frequency(number, row)
        self._sku_price_null(number, row)
        self._subcategory(number, row)
        if self.house:
            self._house_costs(number, row, numbers)

    def _half_open_period(self, number: int, times: dict[str, datetime]) -> None:
        for kind in ("Billing", "Charge"):
            start, end = times.get(f"{kind}PeriodStart"), times.get(f"{kind}PeriodEnd")
            if start is not None and end is not None and not start < end:
                self.add(number, f"{kind}PeriodEnd", "half-open-period",
                         "the (exclusive) end must come after the (inclusive) start")  # fmt: skip

    def _charge_in_billing_period(self, number: int, times: dict[str, datetime]) -> None:
        bill_start, bill_end = times.get("BillingPeriodStart"), times.get("BillingPeriodEnd")
        charge_start, charge_end = times.get("ChargePeriodStart"), times.get("ChargePeriodEnd")
        if None not in (bill_start, bill_end, charge_start, charge_end):
            assert bill_start and bill_end and charge_start and charge_end
            if charge_start < bill_start or charge_end > bill_end:
                self.add(number, "ChargePeriodStart", "charge-in-billing-period",
                         "the charge period lies outside the billing period")  # fmt: skip

    def _cost_identity(
        self, number: int, row: dict[str, str | None], numbers: dict[str, Decimal]
    ) -> None:
        """Cost = unit price × PricingQuantity (not for corrections, which may carry
        discrepancies before 1.3)."""
        quantity = numbers.get("PricingQuantity")
        if quantity is None or row.get("ChargeClass") == "Correction":
            return
        for cost, price in (
            ("ListCost", "ListUnitPrice"),
            ("ContractedCost", "ContractedUnitPrice"),
        ):
            if price not in numbers or cost not in numbers:
                continue
            expected = numbers[price].fma(quantity, 0, _WIDE)  # no rounding at 28 digits
            if numbers[cost] != expected:
                self.add(number, cost, "cost-identity",
                         f"{numbers[cost]} ≠ {price} × PricingQuantity = {expected}")  # fmt: skip

    def _non_negative(self, number: int, numbers: dict[str, Decimal]) -> None:
        for price in ("ListUnitPrice", "ContractedUnitPrice"):
            if price in numbers and numbers[price] < 0:
                self.add(number, price, "non-negative", "unit prices are never negative")

    def _null_together(self, number: int, row: dict[str, str | None]) -> None:
        present = self.present
        for first, second in (
            ("PricingQuantity", "PricingUnit"),
            ("ResourceId", "ResourceType"),
            ("RegionId", "RegionName"),
            ("SkuId", "SkuMeter"),
            ("BillingAccountId", "BillingAccountType"),
            ("AllocatedResourceId", "AllocatedResourceName"),
        ) + ((("ConsumedQuantity", "ConsumedUnit"),) if _at_least(self.version, "1.2") else ()):
            if (
                first in present
                and second in present
                and (row[first] is None) != (row[second] is None)
            ):
                self.add(number, second, "null-together", f"null exactly when {first} is null")

    def _usage_only(self, number: int, row: dict[str, str | None]) -> None:
        if row.get("ChargeCategory") == "Usage":
            return
        for name in ("ConsumedQuantity", "ConsumedUnit"):
            if row.get(name) is not None:
                self.add(number, name, "usage-only", "must be null unless ChargeCategory is Usage")

    def _usage_not_null(self, number: int, row: dict[str, str | None]) -> None:
        category = row.get("ChargeCategory")
        if category not in ("Usage", "Purchase") or row.get("ChargeClass") == "Correction":
            return
        for name in ("PricingQuantity", "PricingUnit", "SkuId", "SkuPriceId", "PricingCategory"):
            if name in self.present and row.get(name) is None:
                self.add(number, name, "usage-not-null",
                         f"must not be null for a {category} row")  # fmt: skip

    def _tax_null(self, number: int, row: dict[str, str | None]) -> None:
        if row.get("ChargeCategory") != "Tax":
            return
        for name in ("PricingQuantity", "PricingUnit", "ListUnitPrice", "ContractedUnitPrice",
                     "SkuId"):  # fmt: skip
            if row.get(name) is not None:
                self.add(number, name, "tax-null", "must be null for a Tax row")

    def _purchase_frequency(self, number: int, row: dict[str, str | None]) -> None:
        if row.get("ChargeCategory") == "Purchase" and row.get("ChargeFrequency") == "Usage-Based":
            self.add(number, "ChargeFrequency", "purchase-frequency",
                     "a Purchase is not Usage-Based")  # fmt: skip

    def _sku_price_null(self, number: int, row: dict[str, str | None]) -> None:
        """From 1.3: prices and quantities are null when SkuPriceId is."""
        if not _at_least(self.version, "1.3") or "SkuPriceId" not in self.present:
            return
        if row["SkuPriceId"] is not None:
            return
        for name in ("ListUnitPrice", "ContractedUnitPrice", "PricingQuantity",
                     "ConsumedQuantity"):  # fmt: skip
            if row.get(name) is not None:
                self.add(number, name, "sku-price-null", "must be null when SkuPriceId is null")

    def _subcategory(self, number: int, row: dict[str, str | None]) -> None:
        category, sub = row.get("ServiceCategory"), row.get("ServiceSubcategory")
        if category is None or sub is None:
            return
        if category == "AI and Machine Learning" and sub not in AI_SUBCATEGORIES:
            self.add(number, "ServiceSubcategory", "subcategory-parent",
                     f"{sub!r} is not a subcategory of {category}")  # fmt: skip
        elif sub.startswith("Other (") and sub != f"Other ({category})":
            self.add(number, "ServiceSubcategory", "subcategory-parent",
                     f"{sub!r} belongs to another category than {category}")  # fmt: skip

    def _house_costs(
        self, number: int, row: dict[str, str | None], numbers: dict[str, Decimal]
    ) -> None:
        tags, _ = _key_value(row.get("Tags") or "{}")
        tags = tags or {}
        if tags.get("llm-cost-type") != "estimate":
            self.add(number, "Tags", "house-estimate-tag", 'needs "llm-cost-type": "estimate"')
        billed, effective = numbers.get("BilledCost"), numbers.get("EffectiveCost")
        wanted = effective if tags.get("x-hack-billed-cost") is True else Decimal(0)
        if billed is not None and billed != wanted:
            self.add(number, "BilledCost", "house-billed-cost",
                     f"{billed}: an estimate is billed {wanted}")  # fmt: skip
        if effective is not None and numbers.get("ContractedCost") != effective:
            self.add(number, "EffectiveCost", "house-effective-cost",
                     "no commitment discounts: EffectiveCost = ContractedCost")  # fmt: skip


def check_table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    version: FocusVersion,
    *,
    house: bool = False,
) -> list[Violation]:
    """Every violation (up to 1,000) of a table of CSV cell texts ("" is null)."""
    checker = _RowChecker(header, version, house)
    checker.violations.extend(check_header(header, version))
    for number, cells in enumerate(rows, start=1):
        checker.check(number, cells)
    return checker.violations


def check_csv(path: Path, version: FocusVersion, *, house: bool = False) -> list[Violation]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        return check_table(header, reader, version, house=house)
