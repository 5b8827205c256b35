"""The editor shows month-to-date actuals from the ledger beside the estimate: in the hint,
in the hover, and as a drift warning past `[actuals] drift_threshold`."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from lsp_helpers import codes, hints, label, open_doc, wait_for
from lsprotocol import types

from conftest import pinned_now
from llmcost_lsp.core.ledger.api import make_recorder
from llmcost_lsp.core.ledger.forecast import month_forecast
from llmcost_lsp.core.ledger.price import usd_from_pico
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.manifest import load_manifest
from llmcost_lsp.present import money


def fill_ledger(ws: Path) -> Decimal:
    """150 cheap search/answer calls (far below its estimate) and 30 support/triage calls in
    the pinned month, one support/triage call last month; returns triage's month cost."""
    manifest = ws / "llm-cost.toml"
    manifest.write_text(manifest.read_text() + '\n[actuals]\nledger = "ledger.sqlite3"\n')
    now = datetime.fromisoformat(pinned_now())
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    recorder = make_recorder(str(ws / "ledger.sqlite3"), manifest=load_manifest(manifest))
    cheap = {"prompt_tokens": 50, "completion_tokens": 5}
    triage = {"input_tokens": 400, "output_tokens": 120}
    for index in range(150):
        at = month_start + timedelta(minutes=index)
        recorder.record(cheap, model="gpt-4o", prompt_id="search/answer", at=at)
    for index in range(30):
        at = month_start + timedelta(hours=index)
        recorder.record(triage, model="claude-sonnet-4-6", prompt_id="support/triage", at=at)
    at = month_start - timedelta(days=2)  # last month: not in this month's figure
    recorder.record(triage, model="claude-sonnet-4-6", prompt_id="support/triage", at=at)
    recorder.close()
    with SqliteLedger(ws / "ledger.sqlite3") as ledger:
        month = [r for r in ledger.iter_rows() if r.prompt_id == "support/triage"
                 and r.ts >= int(month_start.timestamp() * 1e6)]  # fmt: skip
        return usd_from_pico(sum(r.cost_pusd or 0 for r in month))


def triage_days(ws: Path) -> list[int]:
    """support/triage's priced spend per day of the pinned month so far, from the raw rows."""
    today = datetime.fromisoformat(pinned_now()).date()
    days = [0] * today.day
    with SqliteLedger(ws / "ledger.sqlite3") as ledger:
        for row in ledger.iter_rows():
            day = datetime.fromisoformat(row.day).date()
            if row.prompt_id == "support/triage" and day.replace(day=1) == today.replace(day=1):
                days[day.day - 1] += row.cost_pusd or 0
    return days


async def test_hint_and_hover_show_month_to_date(client: Any, ws: Path) -> None:
    triage_cost = fill_ledger(ws)
    await client.start(ws)
    path = ws / "prompts/support/triage.txt"
    uri = open_doc(client, path)
    (hint,) = await hints(client, uri)
    assert label(hint).endswith(f"/mo · {money(triage_cost)} so far this month")
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert f"**Actual this month:** {money(triage_cost)} so far, 30 calls" in hover.contents.value
    # the forecast beside it: triage's days so far, by the stated method
    forecast = month_forecast(triage_days(ws), datetime.fromisoformat(pinned_now()).date())
    assert forecast is not None and forecast.low_usd is not None
    assert (
        f"**Forecast for the month:** {money(forecast.forecast_usd)} (95% interval "
        f"{money(forecast.low_usd)} – {money(forecast.high_usd)}), the mean of "
        f"{forecast.days_observed} complete days"
    ) in hover.contents.value
    # a prompt without calls this month shows no actual (unknown, not $0)
    other = open_doc(client, ws / "prompts/search/rewrite_query.prompt.yml")
    assert all("so far" not in label(h) for h in await hints(client, other))


async def test_drift_beyond_the_threshold_is_a_warning(client: Any, ws: Path) -> None:
    fill_ledger(ws)
    await client.start(ws)
    search = ws / "prompts/search/answer.prompt.md"
    await wait_for(lambda: "actuals-drift" in codes(client, search))
    (drift,) = [d for d in client.diagnostics[search.as_uri()] if d.code == "actuals-drift"]
    assert drift.severity == types.DiagnosticSeverity.Warning
    assert "below the estimate for these days" in drift.message
    # support/triage has fewer than 100 calls: too few to judge
    assert "actuals-drift" not in codes(client, ws / "prompts/support/triage.txt")
