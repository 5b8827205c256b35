"""`llm-cost actuals alerts` evaluation over a month of calls (default 1,000,000: 200 prompts ×
5 models over 30 days, 30,000 rollup rows, ~33,000 calls a day, budgets on every prompt, the
workspace and 20 tag values, a spike in the last hour), beside a baseline measured in the same
run:

- baseline: the month-by-prompt summary from the rollups (`actuals summary --by prompt`)
- budgets (month rollups), spikes (the raw rows of the last 25 hours through the ts index),
  the month-to-date per prompt that drift compares with its estimate, the weekly report, and
  all of it together (`evaluate`, what `actuals alerts` runs before delivering)
- for scale: the spike query done over the raw rows of the whole month instead

Prints wall-clock medians and ratios to the baseline. Goal (issue 17): evaluation <= 1 s.
Run: python benchmarks/bench_alerts.py [--calls 1000000] [--ledger FILE (kept, reused)]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from llmcost_lsp.core.ledger.alerts import (
    AlertRules,
    budget_alerts,
    evaluate,
    report_alerts,
    spike_alerts,
)
from llmcost_lsp.core.ledger.api import make_pricer
from llmcost_lsp.core.ledger.metrics import BudgetScope
from llmcost_lsp.core.ledger.month import month_to_date
from llmcost_lsp.core.ledger.rows import make_row, micros
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.ledger.summary import Period, summarise
from llmcost_lsp.core.ledger.usage import Usage

MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-6", "gemini-2.5-flash", "o4-mini")
PROMPTS = 200


def build(path: Path, calls: int) -> None:
    pricer = make_pricer()
    priced = {}
    for model in MODELS:
        usage = Usage(1200, 200, cache_read_tokens=600, model_responded=model)
        priced[model] = (usage, pricer.price(usage, date(2026, 11, 15)))
    span = micros(NOW) - micros(MONTH_START)
    step = span // calls
    with SqliteLedger(path) as ledger:
        batch = []
        for index in range(calls):
            usage, price = priced[MODELS[(index // PROMPTS) % 5]]  # every prompt x model
            ts = micros(MONTH_START) + index * step
            batch.append(make_row(
                usage, price, request_key=f"chatcmpl-{index:012d}", ts=ts,
                price_db=pricer.version, prompt_id=f"team{index % 20}/prompt{index % PROMPTS}",
                user_id=f"user{index % 10_000}", session_id=f"s{index % 50_000}",
            ))  # fmt: skip
            if len(batch) == 10_000:
                ledger.write(batch)
                batch = []
        # the spike: 400 expensive calls of one prompt in the last hour
        usage = Usage(100_000, 2_000, model_responded="gpt-4o")
        price = pricer.price(usage, date(2026, 11, 30))
        batch += [make_row(usage, price, request_key=f"spike-{i}",
                           ts=micros(NOW - timedelta(minutes=59)) + i * 1_000_000,
                           price_db=pricer.version, prompt_id="team3/prompt3")
                  for i in range(400)]  # fmt: skip
        ledger.write(batch)


def scopes() -> list[BudgetScope]:
    found = [BudgetScope("workspace", Decimal(2000), None)]
    found += [BudgetScope(f"prompt:team{p % 20}/prompt{p}", Decimal(8), frozenset(
        [f"team{p % 20}/prompt{p}"])) for p in range(PROMPTS)]  # fmt: skip
    found += [BudgetScope(f"tag:team=team{t}", Decimal(90), frozenset(
        f"team{t}/prompt{p}" for p in range(t, PROMPTS, 20))) for t in range(20)]  # fmt: skip
    return found


def median_ms(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    action()  # warm: the page cache, not the measurement
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--ledger", type=Path, help="build here once, reuse after")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    path = args.ledger or Path(folder.name) / "ledger.sqlite3"
    if not path.exists():
        start = time.perf_counter()
        build(path, args.calls)
        print(f"built {args.calls:,} calls in {time.perf_counter() - start:.0f} s")
    rules = AlertRules(reports=("weekly",))
    budget = scopes()
    with SqliteLedger(path) as ledger:
        calls = ledger.count()
        month = Period(MONTH_START.date(), NOW.date() + timedelta(days=1))
        rows: list[tuple[str, float, str]] = []
        base, _ = median_ms(lambda: summarise(ledger, "prompt", month), args.runs)
        rows.append(("month-by-prompt summary (baseline)", base, ""))
        for name, action in (
            (f"budgets ({len(budget)} scopes)",
             lambda: budget_alerts(ledger, NOW, budget, rules)),
            ("spikes (last 25 h of raw rows)", lambda: spike_alerts(ledger, NOW, rules)),
            ("month-to-date per prompt (drift)", lambda: month_to_date(ledger, NOW.date())),
            ("weekly report", lambda: report_alerts(ledger, NOW, rules, budget)),
        ):  # fmt: skip
            took, found = median_ms(action, args.runs)
            rows.append((name, took, f"{len(found)} found"))
        total, found = median_ms(lambda: evaluate(ledger, NOW, rules, budget), args.runs)
        kinds = sorted({a.kind for a in found})
        rows.append(("evaluate: all of it", total, f"{len(found)} alerts {kinds}"))
        whole = AlertRules(spike_baseline_hours=29 * 24)
        raw, _ = median_ms(lambda: spike_alerts(ledger, NOW, whole), max(args.runs // 3, 1))
        rows.append(("for scale: spikes over the whole month's raw rows", raw, ""))
    print(f"{calls:,} calls in the ledger, {args.runs} runs, medians")
    for name, took, note in rows:
        print(f"  {name:52} {took:9.1f} ms  {took / base:6.2f}x baseline  {note}")
    verdict = "meets" if total <= 1000 else "MISSES"
    print(f"evaluation {total:.1f} ms: {verdict} the goal (<= 1,000 ms)")


if __name__ == "__main__":
    main()
