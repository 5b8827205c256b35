"""FOCUS actuals import of a generated 1,000,000-row usage file: throughput (rows/s, MB/s)
against a bare csv.reader pass over the same file, and peak memory (a fresh process's VmHWM
for a small and the large file; tracemalloc on a 50,000-row file), all measured in this run.

Run: python benchmarks/bench_focus_import.py [--rows N] [--parquet]
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from llmcost_lsp.core.focus.actuals import read_actuals

PEAK = """
import sys
from pathlib import Path
from llmcost_lsp.core.focus.actuals import read_actuals
read_actuals(Path(sys.argv[1]))
# VmHWM, not ru_maxrss: a child started by a big parent inherits the parent's ru_maxrss
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(int(peak.split()[1]) * 1024)
"""
HEADER = [
    "BilledCost", "EffectiveCost", "ChargeCategory", "ChargePeriodStart", "ChargePeriodEnd",
    "ResourceId", "Tags", "x_InputTokens", "x_CachedInputTokens", "x_OutputTokens",
    "ChargeDescription",
]  # fmt: skip


def generate(path: Path, rows: int) -> Path:
    """One row per request (the runtime-capture shape), 200 prompts, a month of hours."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for index in range(rows):
            day, hour = 1 + index % 30, index % 24
            start = f"2026-11-{day:02d}T{hour:02d}:00:00Z"
            end = f"2026-11-{day:02d}T{hour:02d}:59:59Z"
            writer.writerow(
                ["0.00131", "0.00131", "Usage", start, end, f"deployment-{index % 3}",
                 f'{{"prompt_id":"team{index % 20}/prompt{index % 200}","env":"prod"}}',
                 str(900 + index % 211), str(index % 400), str(index % 333),
                 "gpt-4o chat completion"]
            )  # fmt: skip
    return path


def peak_rss(path: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--parquet", action="store_true", help="also time a Parquet copy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        large = generate(Path(folder) / "large.csv", args.rows)
        small = generate(Path(folder) / "small.csv", 10_000)
        size = large.stat().st_size

        began = time.perf_counter()
        with open(large, newline="", encoding="utf-8") as handle:
            bare_rows = sum(1 for _ in csv.reader(handle)) - 1
        bare = time.perf_counter() - began

        began = time.perf_counter()
        actuals = read_actuals(large)
        ours = time.perf_counter() - began
        assert actuals.rows_read == bare_rows == args.rows and actuals.skipped_rows == 0

        small_peak, large_peak = peak_rss(small), peak_rss(large)
        traced = generate(Path(folder) / "traced.csv", 50_000)
        tracemalloc.start()
        read_actuals(traced)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        print(f"file: {args.rows:,} rows, {size / 1e6:.0f} MB, {len(actuals.prompts)} prompts")
        print(f"csv.reader alone (baseline): {bare:.2f} s  {bare_rows / bare:,.0f} rows/s")
        print(
            f"read_actuals:                {ours:.2f} s  {args.rows / ours:,.0f} rows/s  "
            f"{size / 1e6 / ours:.1f} MB/s  ({ours / bare:.1f}x the bare reader)"
        )
        print(
            f"peak RSS (VmHWM) of a fresh process: {small_peak / 1e6:.0f} MB for 10,000 rows, "
            f"{large_peak / 1e6:.0f} MB for {args.rows:,} rows "
            f"(+{(large_peak - small_peak) / 1e6:.1f} MB for +{size / 1e6:.0f} MB of file)"
        )
        print(
            f"tracemalloc peak, 50,000 rows ({traced.stat().st_size / 1e6:.1f} MB): "
            f"{traced_peak / 1e6:.2f} MB"
        )
        if args.parquet:
            import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
            import pyarrow.parquet as pq  # type: ignore[import-untyped]

            parquet = Path(folder) / "large.parquet"
            pq.write_table(pa_csv.read_csv(large), parquet)
            began = time.perf_counter()
            read_actuals(parquet)
            seconds = time.perf_counter() - began
            print(
                f"read_actuals (Parquet, {parquet.stat().st_size / 1e6:.0f} MB): {seconds:.2f} s "
                f"{args.rows / seconds:,.0f} rows/s; peak RSS {peak_rss(parquet) / 1e6:.0f} MB"
            )
    print(f"this process: maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB")


if __name__ == "__main__":
    main()
