"""What `actuals alerts` finds in a ledger: the highest budget share reached (once a month),
spikes against the hours before (with the floor), the editor's drift rule, and the weekly and
monthly reports of complete periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.core.ledger.alerts import (
    AlertRules,
    BudgetAlert,
    SpendReport,
    SpikeAlert,
    budget_alerts,
    drift_alerts,
    evaluate,
    report_alerts,
    spike_alerts,
)
from llmcost_lsp.core.ledger.drift import drifts
from llmcost_lsp.core.ledger.metrics import BudgetScope
from llmcost_lsp.core.ledger.month import month_to_date
from llmcost_lsp.core.ledger.price import CallPrice
from llmcost_lsp.core.ledger.rows import CallRow, make_row, micros
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.ledger.usage import Usage
from llmcost_lsp.present.alerts import json_payload, markdown, slack_payload, title

NOW = datetime(2026, 12, 16, 10, 30, tzinfo=UTC)  # a Wednesday
USD = 10**12


def call(at: datetime, usd: Decimal | None, prompt: str = "search", key: str = "") -> CallRow:
    cost = None if usd is None else int(usd * USD)
    return make_row(
        Usage(1000, 100, model_responded="gpt-4o"),
        CallPrice("gpt-4o", cost, cost, "gpt-4o/standard/standard/2026-11-01" if cost else None),
        request_key=key or f"{prompt}-{at.isoformat()}-{usd}",
        ts=micros(at),
        price_db="2026-11-30T00:00:00Z",
        prompt_id=prompt,
    )


@pytest.fixture()
def ledger(tmp_path: Path) -> SqliteLedger:
    return SqliteLedger(tmp_path / "ledger.sqlite3")


SCOPES = [
    BudgetScope("workspace", Decimal(100), None),
    BudgetScope("prompt:search", Decimal(40), frozenset(["search"])),
    BudgetScope("tag:team=x", None, frozenset(["search"])),  # no budget: never alerts
]


def test_the_highest_share_reached_supersedes_the_lower_ones(ledger: SqliteLedger) -> None:
    first = NOW.replace(day=1, hour=0)
    ledger.write([call(first + timedelta(hours=i), Decimal(5)) for i in range(7)])  # $35
    ledger.write([call(first - timedelta(days=1), Decimal(500))])  # last month: not counted
    ledger.write([call(first + timedelta(hours=1), None, key="unpriced")])
    found = budget_alerts(ledger, NOW, SCOPES, AlertRules())
    (search,) = found  # the workspace is at 35%: nothing
    assert isinstance(search.detail, BudgetAlert)
    assert search.detail.threshold == Decimal("0.8") and search.detail.unpriced == 1
    assert search.key == "budget|*|prompt:search|2026-12|80%"
    assert search.supersedes == ("budget|*|prompt:search|2026-12|50%",)
    assert search.severity == "warning"
    assert title(search) == (
        "Budget 80% reached for prompt search: $35.00 of $40.00 in 2026-12 (88%) "
        "(+ 1 unpriced calls not counted)"
    )
    ledger.write([call(first + timedelta(hours=9), Decimal(70))])  # $105 this month
    found = budget_alerts(ledger, NOW, SCOPES, AlertRules())
    assert [(a.detail.scope.scope, a.key.rsplit("|", 1)[1], a.severity) for a in found] == [
        ("workspace", "100%", "critical"),
        ("prompt:search", "100%", "critical"),
    ]  # type: ignore[union-attr]
    # the next month starts again
    assert budget_alerts(ledger, datetime(2027, 1, 2, tzinfo=UTC), SCOPES, AlertRules()) == []


def test_a_zero_budget_alerts_on_any_spend(ledger: SqliteLedger) -> None:
    zero = [BudgetScope("prompt:search", Decimal(0), frozenset(["search"]))]
    assert budget_alerts(ledger, NOW, zero, AlertRules()) == []
    ledger.write([call(NOW - timedelta(hours=1), Decimal("0.01"))])
    (alert,) = budget_alerts(ledger, NOW, zero, AlertRules())
    assert alert.key.endswith("|100%") and len(alert.supersedes) == 2


def test_a_spike_is_the_last_hour_against_the_hours_before(ledger: SqliteLedger) -> None:
    rules = AlertRules(spike_factor=Decimal(3), spike_baseline_hours=24, spike_min_pusd=5 * USD)
    # search: $2 an hour for a day, then $20 in the last hour -> a spike
    # steady: $10 an hour all along -> not one; quiet: $0.01 then $1 -> under the floor
    rows = []
    for hour in range(1, 25):
        at = NOW - timedelta(hours=hour, minutes=10)
        rows += [call(at, Decimal(2)), call(at, Decimal(10), "steady"),
                 call(at, Decimal("0.01"), "quiet")]  # fmt: skip
    rows += [call(NOW - timedelta(minutes=m), Decimal(4)) for m in (1, 10, 20, 30, 59)]
    rows += [call(NOW - timedelta(minutes=5), Decimal(10), "steady")]
    rows += [call(NOW - timedelta(minutes=5), Decimal(1), "quiet")]
    rows += [call(NOW - timedelta(minutes=61), Decimal(30), "late")]  # outside the last hour
    rows += [call(NOW + timedelta(minutes=5), Decimal(99), "future")]  # after now: not read
    ledger.write(rows)
    (spike,) = spike_alerts(ledger, NOW, rules)
    assert isinstance(spike.detail, SpikeAlert)
    assert spike.detail.prompt_id == "search" and spike.detail.calls == 5
    assert spike.detail.last_hour_pusd == 20 * USD and spike.detail.baseline_pusd == 2 * USD
    assert spike.key == "spike|*|search|2026-12-16T10"
    assert title(spike) == (
        "Cost spike on search: $20.00 in the last hour (5 calls), 10.0x its mean hour "
        "($2.00) over the 24 hours before"
    )
    # a new prompt above the floor is a spike against nothing
    ledger.write([call(NOW - timedelta(minutes=2), Decimal(6), "new")])
    found = {a.detail.prompt_id: a for a in spike_alerts(ledger, NOW, rules)}  # type: ignore[union-attr]
    assert set(found) == {"search", "new"}
    assert "nothing in the 24 hours before" in title(found["new"])
    # a higher floor silences both
    assert spike_alerts(ledger, NOW, AlertRules(spike_min_pusd=50 * USD)) == []


def test_reports_cover_complete_periods_once_they_end(ledger: SqliteLedger) -> None:
    monday = date(2026, 12, 14)
    last_week = datetime(2026, 12, 7, 9, tzinfo=UTC)
    ledger.write([call(last_week + timedelta(days=d), Decimal(3)) for d in range(7)])  # $21
    ledger.write([call(last_week - timedelta(days=5), Decimal(7), "other")])  # the week before
    ledger.write([call(NOW - timedelta(hours=2), Decimal(100))])  # this week: not in it
    rules = AlertRules(reports=("weekly", "monthly"))
    (weekly,) = report_alerts(ledger, NOW, rules, SCOPES)  # November has no calls: no report
    report = weekly.detail
    assert isinstance(report, SpendReport)
    assert weekly.key == "report|*|weekly|2026-W50" and report.period.until == monday
    assert report.total.cost_pusd == 21 * USD and report.previous.cost_pusd == 7 * USD
    assert title(weekly) == (
        "Weekly spend report 2026-W50 (2026-12-07 – 2026-12-13): $21.00, 7 calls, "
        "+200% on the week before"
    )
    text = markdown(weekly)
    assert "| search | 7 | 700 | $21.00 |" in text and "Budgets" not in text
    # in January, December's monthly report with its budgets
    january = datetime(2027, 1, 4, 8, tzinfo=UTC)
    found = {a.key: a for a in report_alerts(ledger, january, rules, SCOPES)}
    monthly = found["report|*|monthly|2026-12"]
    assert "| prompt search | $121.00 | $40.00 | 302% |" in markdown(monthly)
    slack = slack_payload(monthly)
    assert slack["text"].startswith("Monthly spend report 2026-12 (2026-12-01 – 2026-12-31)")
    assert any("```" in block["text"]["text"] for block in slack["blocks"][1:])


def test_payloads_escape_what_ids_hold(ledger: SqliteLedger) -> None:
    hostile = "x<@here>|*bold*"
    ledger.write([call(NOW - timedelta(minutes=3), Decimal(50), hostile)])
    (spike,) = spike_alerts(ledger, NOW, AlertRules())
    assert "<@here>" not in slack_payload(spike)["text"]  # no Slack mention
    assert "&lt;@here&gt;" in slack_payload(spike)["text"]
    assert "\\*bold\\*" in markdown(spike) and "<@" not in markdown(spike)
    data = json_payload(spike)
    assert data["data"]["prompt_id"] == hostile and data["data"]["last_hour_usd"] == "50"


def test_drift_alerts_follow_the_editors_rule(tmp_path: Path) -> None:
    """The same drift the editor warns about, from the same workspace and ledger."""
    import shutil

    from llmcost_lsp.core.workspace import Workspace

    repo = Path(__file__).resolve().parents[3]
    root = tmp_path / "examples"
    shutil.copytree(repo / "examples", root)
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    first = NOW.replace(day=1, hour=0)
    ledger.write([call(first + timedelta(minutes=i), Decimal("0.0001"), "search/answer")
                  for i in range(150)])  # fmt: skip
    workspace = Workspace(root)
    workspace.load()
    found = drifts(workspace, month_to_date(ledger, NOW.date()))
    (item,) = found
    assert item.prompt_id == "search/answer" and item.direction == "below"
    (alert,) = drift_alerts(found, NOW)
    assert alert.key == "drift|*|search/answer|2026-12|below"
    assert title(alert) == f"Drift from the estimate: {item.message}"
    everything = evaluate(ledger, NOW, AlertRules(), [], drifts=found)
    assert [a.kind for a in everything] == ["drift"]
    assert evaluate(ledger, NOW, AlertRules(drift=False), [], drifts=found) == []
