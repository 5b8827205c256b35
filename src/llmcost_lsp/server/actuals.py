"""Month-to-date actuals beside the estimate: the hint's `· $287.00 so far this month`, the
hover's line, and a drift warning past the manifest's `[actuals] drift_threshold`.

The ledger's rollups are read at most every `TTL_S` seconds per folder, on the worker thread;
a ledger that cannot be read is logged and shown as nothing (never as $0).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from lsprotocol import types

from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.ledger.api import ledger_location
from llmcost_lsp.core.ledger.drift import HINT, drifts
from llmcost_lsp.core.ledger.month import MonthToDate, read_month_to_date
from llmcost_lsp.core.workspace import PromptResult, Workspace
from llmcost_lsp.present import money
from llmcost_lsp.present.actuals import forecast_line
from llmcost_lsp.server.state import Folder, LlmCostServer

log = logging.getLogger(__name__)
TTL_S = 30.0


@dataclass
class _Cached:
    key: tuple[str, str, str | None]
    read_at: float
    found: dict[str, MonthToDate]


_cache: dict[str, _Cached] = {}


def month_to_date(ls: LlmCostServer, folder: Folder) -> dict[str, MonthToDate]:
    """Worker-side: this month's actuals per prompt of the folder's ledger (cached)."""
    workspace = folder.workspace
    if workspace is None:
        return {}
    manifest = workspace.manifest
    location = ledger_location(manifest, root=workspace.root)
    project = manifest.actuals.project if manifest else None
    today = ls.pricing_now().date()
    key = (location, today.isoformat(), project)
    cached = _cache.get(str(folder.root))
    if cached is not None and cached.key == key and time.monotonic() - cached.read_at < TTL_S:
        return cached.found
    try:
        found = read_month_to_date(location, today, project) or {}
    except LlmCostError as error:
        log.warning("ledger not read: %s", error)
        found = {}
    _cache[str(folder.root)] = _Cached(key, time.monotonic(), found)
    return found


def hint_suffix(actual: MonthToDate | None) -> str:
    if actual is None or actual.calls == actual.unpriced:
        return ""
    return f" · {money(actual.cost_usd)} so far this month"


def decorate(hint: types.InlayHint, actual: MonthToDate | None) -> types.InlayHint:
    suffix = hint_suffix(actual)
    if suffix and isinstance(hint.label, str):
        hint.label += suffix
    return hint


def hover_markdown(result: PromptResult, actual: MonthToDate | None) -> str:
    if actual is None:
        return ""
    cost = (
        "unpriced"
        if actual.calls == actual.unpriced
        else money(actual.cost_usd)
        + (f" (+ {actual.unpriced:,} unpriced calls)" if actual.unpriced else "")
    )
    text = (
        f"\n**Actual this month:** {cost} so far, {actual.calls:,} calls since "
        f"{actual.since.isoformat()} on {', '.join(f'`{m}`' for m in actual.models)} (ledger)"
    )
    estimate = result.estimate
    if estimate is not None and estimate.monthly_usd is not None:
        text += f" · estimate for these days {money(actual.expected_usd(estimate.monthly_usd))}"
    forecast = actual.forecast()
    if forecast is not None:
        text += f"\n\n{forecast_line(forecast)}"
        if estimate is not None and estimate.monthly_usd is not None:
            text += f" · estimate {money(estimate.monthly_usd)}"
    return text + "\n"


def drift_issues(
    workspace: Workspace, found: dict[str, MonthToDate], scenario: str | None
) -> list[Issue]:
    """A warning per prompt whose month-to-date cost is off its estimate by more than the
    manifest's threshold (default 50%): the rule `llm-cost actuals alerts` shares."""
    return [
        Issue("actuals-drift", item.message, item.location, "warning", HINT)
        for item in drifts(workspace, found, scenario)
    ]
