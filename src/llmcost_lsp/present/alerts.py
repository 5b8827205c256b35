"""Alerts as people and webhooks read them: a one-line title, Markdown, Slack's incoming-webhook
JSON and llm-cost's own alert JSON (`llm-cost.alert/1`)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from llmcost_lsp.core.ledger.alerts import Alert, BudgetAlert, SpendReport, SpikeAlert
from llmcost_lsp.core.ledger.drift import PromptDrift
from llmcost_lsp.core.ledger.metrics import BudgetScope
from llmcost_lsp.core.ledger.price import usd_from_pico
from llmcost_lsp.core.ledger.rows import Totals
from llmcost_lsp.core.ledger.summary import SummaryLine
from llmcost_lsp.present import decimal_text, markdown_text, money
from llmcost_lsp.present.table import markdown_table, render_table

JSON_SCHEMA = "llm-cost.alert/1"
SLACK_TEXT_LIMIT = 3000  # characters of one section block


def _usd(pico: int) -> str:
    return money(usd_from_pico(pico))


def _exact(pico: int | Decimal) -> str:
    return decimal_text(Decimal(pico).scaleb(-12)) or "0"


def scope_name(scope: BudgetScope) -> str:
    kind, _, name = scope.scope.partition(":")
    return "the workspace" if kind == "workspace" else f"{kind} {name}"


def _project(alert: Alert) -> str:
    return f"[{alert.project}] " if alert.project else ""


def _unpriced(count: int) -> str:
    return f" (+ {count:,} unpriced calls not counted)" if count else ""


def _change(total: Totals, previous: Totals, what: str) -> str:
    if not previous.priced_calls:
        return ""
    if not previous.cost_pusd:
        return f", nothing the {what} before"
    change = (Decimal(total.cost_pusd) / previous.cost_pusd - 1) * 100
    return f", {change:+.0f}% on the {what} before"


def period_text(report: SpendReport) -> str:
    """The report's days, both included."""
    since, until = report.period.since, report.period.until
    if since is None or until is None:
        return str(report.period)
    return f"{since.isoformat()} – {(until - timedelta(days=1)).isoformat()}"


def title(alert: Alert) -> str:
    """One line saying what happened, with the figures."""
    detail = alert.detail
    head = _project(alert)
    if isinstance(detail, BudgetAlert):
        share = f"{detail.share * 100:.0f}%" if detail.share is not None else "over"
        return (
            f"{head}Budget {decimal_text(detail.threshold * 100)}% reached for "
            f"{scope_name(detail.scope)}: {_usd(detail.spent_pusd)} of "
            f"{_usd(detail.budget_pusd)} in {detail.month} ({share}){_unpriced(detail.unpriced)}"
        )
    if isinstance(detail, SpikeAlert):
        if detail.factor is None:
            baseline = f"nothing in the {detail.baseline_hours} hours before"
        else:
            baseline = (
                f"{detail.factor:.1f}x its mean hour ({_usd(int(detail.baseline_pusd))}) over "
                f"the {detail.baseline_hours} hours before"
            )
        return (
            f"{head}Cost spike on {detail.prompt_id}: {_usd(detail.last_hour_pusd)} in the "
            f"last hour ({detail.calls:,} calls), {baseline}{_unpriced(detail.unpriced)}"
        )
    if isinstance(detail, PromptDrift):
        return f"{head}Drift from the estimate: {detail.message}"
    total = detail.total
    return (
        f"{head}{detail.cadence.capitalize()} spend report {detail.name} ({period_text(detail)}): "
        f"{_usd(total.cost_pusd)}, {total.calls:,} calls"
        f"{_change(total, detail.previous, 'week' if detail.cadence == 'weekly' else 'month')}"
        f"{_unpriced(total.unpriced)}"
    )


def _report_rows(lines: tuple[SummaryLine, ...]) -> list[list[str]]:
    return [
        [line.key, f"{line.totals.calls:,}", f"{line.totals.output_tokens:,}",
         _usd(line.totals.cost_pusd) if line.totals.priced_calls else "unpriced"]
        for line in lines
    ]  # fmt: skip


def report_tables(report: SpendReport, *, markdown: bool) -> list[tuple[str, str]]:
    """(heading, table) of a spend report: top prompts, top models, budgets (monthly)."""
    table = markdown_table if markdown else render_table

    def cell(text: str) -> str:
        return markdown_text(text) if markdown else text

    out = []
    for heading, lines, column in (("Top prompts", report.by_prompt, "PROMPT"),
                                   ("Top models", report.by_model, "MODEL")):  # fmt: skip
        rows = [[cell(r[0]), *r[1:]] for r in _report_rows(lines)]
        out.append((heading, table([column, "CALLS", "OUTPUT", "COST"], rows, range(1, 4))))
    if report.budgets:
        rows = [
            [cell(scope_name(scope)), _usd(spent), money(scope.budget_usd),
             f"{Decimal(spent) / (scope.budget_usd * 10**12) * 100:.0f}%"
             if scope.budget_usd else "-"]
            for scope, spent in report.budgets
        ]  # fmt: skip
        out.append(("Budgets", table(["SCOPE", "SPENT", "BUDGET", "SHARE"], rows, range(1, 4))))
    return out


def markdown(alert: Alert) -> str:
    """The alert as Markdown (GitHub-flavoured; ids escaped)."""
    detail = alert.detail
    head = f"**{markdown_text(title(alert))}**"
    if not isinstance(detail, SpendReport):
        return head + "\n"
    parts = [head]
    for heading, table in report_tables(detail, markdown=True):
        parts.append(f"### {heading}\n\n{table}")
    return "\n\n".join(parts) + "\n"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(alert: Alert) -> dict[str, Any]:
    """Slack's incoming-webhook JSON: `text` (notifications) and section blocks (mrkdwn has no
    tables: a report's tables go in code blocks)."""
    text = _slack_escape(title(alert))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}}
    ]
    if isinstance(alert.detail, SpendReport):
        for heading, table in report_tables(alert.detail, markdown=False):
            body = f"*{heading}*\n```{_slack_escape(table)}```"
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": body[:SLACK_TEXT_LIMIT]}}
            )
    return {"text": text, "blocks": blocks}


def _data(alert: Alert) -> dict[str, Any]:
    detail = alert.detail
    if isinstance(detail, BudgetAlert):
        return {
            "scope": detail.scope.scope,
            "month": detail.month,
            "threshold": decimal_text(detail.threshold),
            "spent_usd": _exact(detail.spent_pusd),
            "budget_usd": _exact(detail.budget_pusd),
            "unpriced_calls": detail.unpriced,
        }
    if isinstance(detail, SpikeAlert):
        return {
            "prompt_id": detail.prompt_id,
            "hour_end": detail.hour_end.isoformat(),
            "last_hour_usd": _exact(detail.last_hour_pusd),
            "baseline_hour_usd": _exact(detail.baseline_pusd.quantize(Decimal(1))),
            "baseline_hours": detail.baseline_hours,
            "calls": detail.calls,
            "unpriced_calls": detail.unpriced,
        }
    if isinstance(detail, PromptDrift):
        return {
            "prompt_id": detail.prompt_id,
            "month_to_date_usd": decimal_text(detail.actual.cost_usd),
            "expected_usd": decimal_text(detail.expected_usd),
            "estimate_monthly_usd": decimal_text(detail.monthly_usd),
            "drift": decimal_text(detail.drift.quantize(Decimal("0.0001"))),
            "calls": detail.actual.calls,
        }
    return {
        "cadence": detail.cadence,
        "period": detail.name,
        "since": detail.period.since_day,
        "until": detail.period.until_day,
        "calls": detail.total.calls,
        "unpriced_calls": detail.total.unpriced,
        "cost_usd": _exact(detail.total.cost_pusd),
        "previous_cost_usd": _exact(detail.previous.cost_pusd),
        "by_prompt": [
            {"prompt_id": line.key, "calls": line.totals.calls,
             "cost_usd": _exact(line.totals.cost_pusd)}
            for line in detail.by_prompt
        ],
    }  # fmt: skip


def json_payload(alert: Alert) -> dict[str, Any]:
    """llm-cost's alert JSON: what happened, as text and as figures (money as exact decimal
    strings)."""
    return {
        "schema": JSON_SCHEMA,
        "key": alert.key,
        "kind": alert.kind,
        "severity": alert.severity,
        "project": alert.project,
        "title": title(alert),
        "markdown": markdown(alert),
        "data": _data(alert),
    }
