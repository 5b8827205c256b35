"""`llm-cost actuals metrics` scrape at 1,000 prompts x 20 models (20,000 series per
per-prompt metric, a month of rollups behind them), each beside baselines measured in the
same run:

- reading the month's rollup rows alone (the floor: what any exporter must read)
- the same exposition made with prometheus_client (a custom collector + generate_latest),
  the library we did not use, from the same rows
- ours: Exporter.render (first scrape; then with no new calls; then with 1,000 new calls
  written between scrapes), and over HTTP (urllib GET /metrics)

Prints wall and CPU medians and the ratios. Goal (issue 17): a scrape <= 50 ms.
Run: python benchmarks/bench_metrics.py [--prompts 1000] [--models 20] [--days 30] [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from llmcost_lsp.core.ledger.api import make_pricer
from llmcost_lsp.core.ledger.metrics import Exporter, budget_scopes, usd_text
from llmcost_lsp.core.ledger.rows import make_row, micros
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.ledger.usage import Usage
from llmcost_lsp.core.manifest import parse_manifest
from llmcost_lsp.integrations.metrics_server import MetricsServer

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
MODEL_NAMES = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-6", "gemini-2.5-flash", "o4-mini")


def build(path: Path, prompts: int, models: int, days: int) -> int:
    """One call per prompt x model x day (every rollup row exists)."""
    pricer = make_pricer()
    names = [f"{MODEL_NAMES[i % 5]}" if i < 5 else f"ft:{MODEL_NAMES[i % 5]}:{i}"
             for i in range(models)]  # fmt: skip
    priced = {}
    for name in names:
        usage = Usage(1200, 200, cache_read_tokens=600, model_responded=name)
        priced[name] = (usage, pricer.price(usage, date(2026, 11, 15)))
    count = 0
    with SqliteLedger(path) as ledger:
        for day in range(days):
            ts = micros(datetime(2026, 11, 1 + day, 10, tzinfo=UTC))
            batch = []
            for prompt in range(prompts):
                for name in names:
                    usage, price = priced[name]
                    batch.append(make_row(
                        usage, price, request_key=f"{day}-{prompt}-{name}", ts=ts + count,
                        price_db=pricer.version, prompt_id=f"team{prompt % 20}/p{prompt}",
                        project=f"proj{prompt % 5}", user_id=f"u{count % 997}",
                    ))  # fmt: skip
                    count += 1
            ledger.write(batch)
    return count


def new_calls(prompts: int, models: int) -> Callable[[int], list[Any]]:
    """1,000 calls spread over the series (what arrives between two scrapes at ~66 calls/s
    and a 15 s scrape interval)."""
    pricer = make_pricer()
    usage = Usage(1200, 200, cache_read_tokens=600, model_responded="gpt-4o")
    price = pricer.price(usage, date(2026, 11, 15))
    ts = micros(datetime(2026, 11, 30, 11, tzinfo=UTC))

    def batch(run: int) -> list[Any]:
        return [
            make_row(usage, price, request_key=f"new-{run}-{i}", ts=ts + i,
                     price_db=pricer.version, prompt_id=f"team{(i * 7) % prompts % 20}/p"
                     f"{(i * 7) % prompts}", project=f"proj{(i * 7) % prompts % 5}")
            for i in range(1000)
        ]  # fmt: skip

    return batch


def timed(
    fn: Callable[[], Any], runs: int, before: Callable[[int], Any] | None = None
) -> tuple[float, float]:
    walls, cpus = [], []
    for run in range(runs):
        if before is not None:
            before(run)  # not timed
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def client_library(ledger: SqliteLedger) -> Callable[[], bytes]:
    """The same three per-series families through prometheus_client."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily

    class Collector:
        def collect(self) -> Iterator[CounterMetricFamily]:
            rows = ledger.month_rollups("2026-11")
            keys = ["project", "prompt_id", "model"]
            requests = CounterMetricFamily("llmcost_requests", "calls", labels=keys)
            cost = CounterMetricFamily("llmcost_cost_usd", "cost", labels=keys)
            for key, totals in rows:
                labels = [key.project, key.prompt_id, key.model]
                requests.add_metric(labels, totals.calls)
                cost.add_metric(labels, float(usd_text(totals.cost_pusd)))
            yield requests
            yield cost

    registry = CollectorRegistry()
    registry.register(Collector())  # type: ignore[arg-type]
    return lambda: generate_latest(registry)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.sqlite3"
        started = time.perf_counter()
        calls = build(path, args.prompts, args.models, args.days)
        print(f"ledger: {calls:,} calls ({args.prompts:,} prompts x {args.models} models x "
              f"{args.days} days) built in {time.perf_counter() - started:.1f} s")  # fmt: skip
        budgets = "".join(
            f'[prompts."team0/p{i}"]\nbudget_monthly_usd = "10"\n' for i in range(0, 1000, 20)
        )
        scopes = budget_scopes(parse_manifest('[budgets]\nmonthly_usd = "5000"\n' + budgets))
        with SqliteLedger(path) as ledger:
            exporter = Exporter(ledger, scopes=scopes)
            first_wall, first_cpu = timed(lambda: exporter.render(NOW), 1)
            text = exporter.render(NOW)
            series = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
            floor = timed(lambda: ledger.month_rollups("2026-11"), args.runs)
            ours = timed(lambda: exporter.render(NOW), args.runs)
            fresh_calls = new_calls(args.prompts, args.models)
            busy = timed(
                lambda: exporter.render(NOW), args.runs, lambda run: ledger.write(fresh_calls(run))
            )
            library = timed(client_library(ledger), args.runs)
            server = MetricsServer(
                lambda: Exporter(SqliteLedger(path), scopes=scopes), lambda: NOW, "127.0.0.1", 0
            ).start()
            url = "http://{}:{}/metrics".format(*server.address)
            urllib.request.urlopen(url).read()  # the server's first scrape fills its cache

            def http() -> bytes:
                with urllib.request.urlopen(url) as answer:
                    return bytes(answer.read())

            over_http = timed(http, args.runs)
            busy_http = timed(http, args.runs, lambda run: ledger.write(fresh_calls(100 + run)))
            server.close()
        print(f"exposition: {series:,} samples, {len(text) / 1e6:.1f} MB")
        rows = [
            ("read the month's rollup rows (floor)", floor),
            ("prometheus_client, same rows, 2 families", library),
            ("ours, first scrape", (first_wall, first_cpu)),
            ("ours, Exporter.render, no new calls", ours),
            ("ours, Exporter.render, 1,000 new calls", busy),
            ("ours, HTTP GET /metrics, no new calls", over_http),
            ("ours, HTTP GET /metrics, 1,000 new calls", busy_http),
        ]
        for name, (wall, cpu) in rows:
            print(f"{name:<44} {wall:8.1f} ms wall {cpu:8.1f} ms CPU   "
                  f"x{wall / floor[0]:.2f} of the floor")  # fmt: skip
        print(
            f"ours / prometheus_client: x{ours[0] / library[0]:.2f} wall "
            f"(ours writes {series:,} samples, the library 2 x {args.prompts * args.models:,})"
        )
        for name, (wall, cpu) in (("no new calls", over_http), ("1,000 new calls", busy_http)):
            verdict = "meets" if wall <= 50 else "MISSES"
            print(f"scrape over HTTP, {name}: {wall:.1f} ms wall ({cpu:.1f} ms CPU) — "
                  f"{verdict} the 50 ms goal")  # fmt: skip


if __name__ == "__main__":
    main()
