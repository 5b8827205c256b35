"""FOCUS export of a generated workspace with 10,000 prompts, against `estimate -f json` of the
same report and a plain csv.writer writing the same cells, all measured in this run.

Run: python benchmarks/bench_focus_export.py [--prompts N]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from llmcost_lsp.core.focus.export import BillingPeriod, ExportOptions, FocusExport, write_csv
from llmcost_lsp.core.workspace import Workspace
from llmcost_lsp.present.estimate import report_json

MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-6", "gemini-2.5-pro", "bedrock-llama-3.3-70b")


def generate(root: Path, prompts: int) -> None:
    (root / "prompts").mkdir(parents=True)
    lines = [
        "[defaults]",
        "calls_per_month = 10_000",
        "output_tokens = 250",
        "[scenarios.cached]",
        'cache_hit_ratio = "0.5"',
        'cache_write_ratio = "0.1"',
    ]
    for index in range(prompts):
        (root / "prompts" / f"p{index}.txt").write_text(
            f"Prompt {index}: summarise the ticket for team {index % 40}.\n", encoding="utf-8"
        )
        lines += [
            f"[prompts.p{index}]",
            f'model = "{MODELS[index % len(MODELS)]}"',
            f'tags = {{ team = "t{index % 40}" }}',
        ]
    (root / "llm-cost.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def median_seconds(action: Callable[[], object], runs: int = 3) -> float:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "ws"
        generate(root, args.prompts)
        workspace = Workspace(root, use_persistent_cache=False, pricing_date=date(2026, 11, 23))
        began = time.perf_counter()
        workspace.load()
        load_seconds = time.perf_counter() - began
        options = ExportOptions(BillingPeriod(2026, 11), "1.3")
        report = workspace.report("cached")
        # baseline: the estimate's own JSON output of the same report (`estimate -f json`)
        report_seconds = median_seconds(
            lambda: json.dumps(report_json(report, workspace.db), ensure_ascii=False)
        )

        def export() -> int:
            return write_csv(FocusExport(report, options), io.StringIO())

        rows = export()
        export_seconds = median_seconds(export)
        cells = [list(r) for r in FocusExport(report, options).rows()]

        def plain() -> None:
            csv.writer(io.StringIO()).writerows(cells)

        plain_seconds = median_seconds(plain)
        buffer = io.StringIO()
        write_csv(FocusExport(report, options), buffer)
        size = len(buffer.getvalue().encode("utf-8"))

    print(f"prompts: {args.prompts:,}  rows: {rows:,}  CSV: {size / 1e6:.1f} MB")
    print(f"workspace load (discover + count, cold): {load_seconds:.2f} s")
    print(f"estimate JSON of the report:    {report_seconds:.3f} s (baseline)")
    ratio = export_seconds / report_seconds
    print(
        f"FOCUS export of that report:    {export_seconds:.3f} s "
        f"({ratio:.2f}x the JSON, {rows / export_seconds:,.0f} rows/s)"
    )
    print(f"csv.writer of the same cells:   {plain_seconds:.3f} s "
          f"(export = {export_seconds / plain_seconds:.1f}x plain writing)")  # fmt: skip


if __name__ == "__main__":
    main()
