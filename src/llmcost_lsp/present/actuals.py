"""`llm-cost actuals summary` as people and programs read it: the totals by group, model
efficiency, trends and the month-end forecast, each as a table (text or Markdown) and as JSON
(money as exact decimal strings, null for unknown — never 0)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from llmcost_lsp.core.ledger.efficiency import EfficiencyLine
from llmcost_lsp.core.ledger.forecast import LEVEL, METHOD, Forecast
from llmcost_lsp.core.ledger.metrics import BudgetScope
from llmcost_lsp.core.ledger.price import usd_from_pico
from llmcost_lsp.core.ledger.rows import Totals
from llmcost_lsp.core.ledger.summary import Period, SummaryLine
from llmcost_lsp.core.ledger.swaps import DecisionLine
from llmcost_lsp.core.ledger.trends import Spread, TrendLine
from llmcost_lsp.present import decimal_text, markdown_text, money
from llmcost_lsp.present.table import markdown_table, render_table

SCHEMA = "llm-cost.actuals-summary/1"
EFFICIENCY_SCHEMA = "llm-cost.actuals-efficiency/1"
TREND_SCHEMA = "llm-cost.actuals-trend/1"
FORECAST_SCHEMA = "llm-cost.actuals-forecast/1"


def _table(headers: list[str], rows: list[list[str]], markdown: bool, first: int = 1) -> str:
    right = range(first, len(headers))
    if markdown:
        return markdown_table(headers, [[markdown_text(r[0]), *r[1:]] for r in rows], right)
    return render_table(headers, rows, right)


def _exact(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value) or "0"


def _usd(pico: int) -> str:
    return decimal_text(usd_from_pico(pico)) or "0"


def _cost(totals: Totals) -> str:
    return money(usd_from_pico(totals.cost_pusd)) if totals.priced_calls else "unpriced"


def _pct(change: Decimal | None) -> str:
    return "" if change is None else f"{change * 100:+.0f}%"


def _unpriced_note(count: int, column: str = "COST") -> str:
    return f"; {count:,} unpriced calls not in {column}" if count else ""


# -- totals by group ------------------------------------------------------------------------


def _totals_row(key: str, totals: Totals) -> list[str]:
    return [
        key, f"{totals.calls:,}", f"{totals.input_tokens:,}", f"{totals.cache_read_tokens:,}",
        f"{totals.cache_write_tokens:,}", f"{totals.output_tokens:,}", _cost(totals),
        f"{totals.unpriced:,}" if totals.unpriced else "",
    ]  # fmt: skip


def spread_text(by: str, found: Spread) -> str:
    plural = {"user": "users", "session": "sessions"}[by]
    return (
        f"{found.groups:,} {plural}: mean {money(found.mean_usd)} per {by}, median "
        f"{money(found.median_usd)}, 90th percentile {money(found.p90_usd)}, most "
        f"{money(found.max_usd)}"
    )


def totals_text(
    by: str, lines: Sequence[SummaryLine], period: Period, *, markdown: bool,
    found: Spread | None = None,
) -> str:  # fmt: skip
    headers = [by.upper(), "CALLS", "INPUT", "CACHED", "CACHE WRITE", "OUTPUT", "COST", "UNPRICED"]
    rows = [_totals_row(line.key, line.totals) for line in lines]
    total = Totals()
    for line in lines:
        total.add(line.totals)
    if by != "tag":  # a call with two tags is in two groups: no total
        rows.append(_totals_row("TOTAL", total))
    out = _table(headers, rows, markdown)
    if found is not None:
        out += "\n\n" + spread_text(by, found)
    return out + f"\n\n{period}{_unpriced_note(total.unpriced)}"


def totals_json(by: str, period: Period, lines: Sequence[SummaryLine],
                found: Spread | None = None) -> dict[str, Any]:  # fmt: skip
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "by": by,
        "since": period.since_day,
        "groups": [
            {
                "key": line.key,
                "calls": line.totals.calls,
                "unpriced_calls": line.totals.unpriced,
                "input_tokens": line.totals.input_tokens,
                "cache_read_tokens": line.totals.cache_read_tokens,
                "cache_write_5m_tokens": line.totals.cache_write_5m_tokens,
                "cache_write_1h_tokens": line.totals.cache_write_1h_tokens,
                "output_tokens": line.totals.output_tokens,
                "reasoning_tokens": line.totals.reasoning_tokens,
                # cost of the priced calls only; null when none was priced
                "cost_usd": _usd(line.totals.cost_pusd) if line.totals.priced_calls else None,
                "list_cost_usd": (
                    _usd(line.totals.list_cost_pusd) if line.totals.priced_calls else None
                ),
            }
            for line in lines
        ],
    }
    if found is not None:
        data["spread"] = {
            "groups": found.groups,
            "mean_usd": _exact(found.mean_usd.quantize(Decimal("0.000001"))),
            "median_usd": _exact(found.median_usd),
            "p90_usd": _exact(found.p90_usd),
            "max_usd": _exact(found.max_usd),
        }
    return data


# -- model efficiency -------------------------------------------------------------------------


def _decision_text(line: DecisionLine) -> str:
    calls = f"{line.decisions:,} call{'s' if line.decisions != 1 else ''}"
    if line.action != "swap":
        return f"{line.prompt_id}: {calls} refused ({line.scope} budget)"
    text = (
        f"{line.prompt_id}: {calls} moved {line.preferred_model} → {line.chosen_model} "
        f"({line.scope} budget)"
    )
    if line.priced:
        text += (
            f": {money(usd_from_pico(line.cost_pusd))} instead of "
            f"{money(usd_from_pico(line.preferred_cost_pusd))} on {line.preferred_model}, "
            f"saved {money(usd_from_pico(line.saving_pusd))}"
        )
    unknown = line.decisions - line.priced
    return text + (f"; {unknown:,} not settled or unpriced: saving unknown" if unknown else "")


def decisions_text(lines: Sequence[DecisionLine], *, markdown: bool) -> str:
    """What budgets before the call did in the period (core/ledger/swaps.py), a line each."""
    if not lines:
        return ""
    items = [_decision_text(line) for line in lines]
    if markdown:
        items = [markdown_text(item) for item in items]
    return "Budgets before the call (choose_model):\n" + "\n".join(f"- {i}" for i in items)


def decisions_json(lines: Sequence[DecisionLine]) -> list[dict[str, Any]]:
    return [
        {
            "prompt_id": line.prompt_id,
            "action": line.action,
            "preferred_model": line.preferred_model,
            "chosen_model": line.chosen_model or None,
            "scope": line.scope,
            "calls": line.decisions,
            "settled_calls": line.settled,
            "priced_calls": line.priced,
            # over the priced calls; null when none (unknown, not $0)
            "cost_usd": _usd(line.cost_pusd) if line.priced else None,
            "preferred_cost_usd": _usd(line.preferred_cost_pusd) if line.priced else None,
            "saving_usd": _usd(line.saving_pusd) if line.priced else None,
        }
        for line in lines
    ]


def _per(value: Decimal | None) -> str:
    return money(value, per_call=True) if value is not None else "?"


def efficiency_text(lines: Sequence[EfficiencyLine], period: Period, *, markdown: bool) -> str:
    headers = ["PROMPT", "MODEL", "CALLS", "COST", "PER CALL", "PER 1K OUT", "ON", "WOULD COST",
               "SAVING"]  # fmt: skip
    rows: list[list[str]] = []
    for line in lines:
        head = [line.prompt_id or "(none)", line.model, f"{line.calls:,}",
                money(line.cost_usd) if line.cost_usd is not None else "unpriced",
                _per(line.per_call_usd), _per(line.per_1k_output_usd)]  # fmt: skip
        if not line.alternatives:
            rows.append([*head, "", "", ""])
        for index, alt in enumerate(line.alternatives):
            saving = line.saving_usd(alt)
            rows.append([
                *(head if index == 0 else [""] * len(head)),
                alt.model,
                money(alt.cost_usd) if alt.cost_usd is not None else "?",
                "?" if saving is None else money(saving) if saving >= 0
                else "-" + money(-saving),
            ])  # fmt: skip
    if markdown:
        safe = [[markdown_text(r[0]), markdown_text(r[1]), *r[2:6], markdown_text(r[6]), *r[7:]]
                for r in rows]  # fmt: skip
        table = markdown_table(headers, safe, [2, 3, 4, 5, 7, 8])
    else:
        table = render_table(headers, rows, [2, 3, 4, 5, 7, 8])
    unpriced = sum(line.unpriced for line in lines)
    notes = [
        "ON: each model the manifest's [[rules]] suggest for the prompt; WOULD COST: the same "
        "calls re-priced from their token counts (same price DB, overrides, tier and day).",
    ]
    reasons = sorted({f"{alt.model}: {alt.reason}" for line in lines
                      for alt in line.alternatives if alt.unpriced and alt.reason})  # fmt: skip
    notes += [f"? {reason}" for reason in reasons[:5]]
    return table + "\n\n" + "\n".join(notes) + f"\n\n{period}{_unpriced_note(unpriced)}"


def efficiency_json(lines: Sequence[EfficiencyLine], period: Period) -> dict[str, Any]:
    return {
        "schema": EFFICIENCY_SCHEMA,
        "since": period.since_day,
        "until": period.until_day,
        "lines": [
            {
                "prompt_id": line.prompt_id,
                "model": line.model,
                "calls": line.calls,
                "unpriced_calls": line.unpriced,
                "output_tokens": line.output_tokens,
                "cost_usd": _exact(line.cost_usd),
                "per_call_usd": _exact(_round(line.per_call_usd)),
                "per_1k_output_usd": _exact(_round(line.per_1k_output_usd)),
                "alternatives": [
                    {
                        "model": alt.model,
                        "model_id": alt.model_id,
                        "source": alt.source,
                        "cost_usd": _exact(alt.cost_usd),
                        "unpriced_calls": alt.unpriced,
                        "reason": alt.reason,
                        "saving_usd": _exact(line.saving_usd(alt)),
                    }
                    for alt in line.alternatives
                ],
            }
            for line in lines
        ],
    }


def _round(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.000000000001"))


# -- trend ------------------------------------------------------------------------------------


def trend_text(lines: Sequence[TrendLine], period: Period, *, markdown: bool) -> str:
    weekly = bool(lines) and lines[0].per == "week"
    headers = ["WEEK", "DAYS"] if weekly else ["DAY"]
    headers += ["CALLS", "OUTPUT", "COST", "CHANGE"]
    rows = [
        [line.label, *([line.days] if weekly else []), f"{line.totals.calls:,}",
         f"{line.totals.output_tokens:,}",
         _cost(line.totals) if line.totals.calls else money(Decimal(0)), _pct(line.change)]
        for line in lines
    ]  # fmt: skip
    unpriced = sum(line.totals.unpriced for line in lines)
    table = _table(headers, rows, markdown, first=2 if weekly else 1)
    return table + f"\n\n{period}{_unpriced_note(unpriced)}"


def trend_json(lines: Sequence[TrendLine], period: Period, per: str) -> dict[str, Any]:
    return {
        "schema": TREND_SCHEMA,
        "per": per,
        "since": period.since_day,
        "lines": [
            {"label": line.label, "since": line.since.isoformat(),
             "until": line.until.isoformat(), "calls": line.totals.calls,
             "unpriced_calls": line.totals.unpriced, "output_tokens": line.totals.output_tokens,
             "cost_usd": _usd(line.totals.cost_pusd),
             "change": _exact(_round(line.change))}
            for line in lines
        ],
    }  # fmt: skip


# -- forecast ---------------------------------------------------------------------------------


def interval_text(found: Forecast) -> str:
    if found.low_usd is None or found.high_usd is None:
        return "?"
    return f"{money(found.low_usd)} – {money(found.high_usd)}"


def forecast_text(
    found: Sequence[tuple[BudgetScope, Forecast | None]], month: str, *, markdown: bool
) -> str:
    headers = ["SCOPE", "MONTH TO DATE", "FORECAST", f"{LEVEL} INTERVAL", "BUDGET", "OF BUDGET"]
    rows = []
    for scope, item in found:
        budget = scope.budget_usd
        rows.append([
            scope.scope,
            money(item.month_to_date_usd) if item else "?",
            money(item.forecast_usd) if item else "?",
            interval_text(item) if item else "?",
            money(budget) if budget is not None else "",
            f"{item.forecast_usd / budget * 100:.0f}%" if item and budget else "",
        ])  # fmt: skip
    days = next((item for _, item in found if item), None)
    basis = (
        f"from {days.days_observed} complete days, {days.days_left} left (today included)"
        if days else "no complete day yet this month: no forecast"
    )  # fmt: skip
    return (
        _table(headers, rows, markdown)
        + f"\n\nMonth {month}, {basis}. Method: {METHOD}. Priced calls only."
    )


def forecast_json(
    found: Sequence[tuple[BudgetScope, Forecast | None]], month: str
) -> dict[str, Any]:
    return {
        "schema": FORECAST_SCHEMA,
        "month": month,
        "method": METHOD,
        "level": LEVEL,
        "scopes": [
            {
                "scope": scope.scope,
                "budget_usd": _exact(scope.budget_usd),
                "month_to_date_usd": _exact(item.month_to_date_usd) if item else None,
                "forecast_usd": _exact(_cents(item.forecast_usd)) if item else None,
                "low_usd": _exact(_cents(item.low_usd)) if item else None,
                "high_usd": _exact(_cents(item.high_usd)) if item else None,
                "days_observed": item.days_observed if item else 0,
                "days_left": item.days_left if item else None,
            }
            for scope, item in found
        ],
    }


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.000001"))


def forecast_line(found: Forecast) -> str:
    """The editor's hover line: the forecast, its interval and where it comes from."""
    interval = (
        f" ({LEVEL} interval {interval_text(found)})" if found.low_usd is not None else
        " (no interval before two complete days)"
    )  # fmt: skip
    return (
        f"**Forecast for the month:** {money(found.forecast_usd)}{interval}, the mean of "
        f"{found.days_observed} complete day{'s' * (found.days_observed != 1)} "
        f"({money(found.mean_day_usd)}) for each of the {found.days_left} left"
    )
