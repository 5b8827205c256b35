"""`llm-cost estimate` on a generated repo of 10,000 prompt files, cold and warm (persistent
cache), against raw tiktoken reading and counting the same files, all measured in this run.

Run: python benchmarks/bench_estimate.py [--files N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tokens_textgen import code, english

RAW_TIKTOKEN = """
import sys, pathlib, tiktoken
from llmcost_lsp.core.tokens.vocab import get_encoding
enc = get_encoding("o200k_base")
total = 0
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.txt")):
    total += len(enc.encode_ordinary(path.read_text(encoding="utf-8")))
print(total)
"""


def generate(root: Path, files: int) -> None:
    root.mkdir(parents=True)
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1000\noutput_tokens = 200\n'
    )
    for i in range(files):
        folder = root / "prompts" / f"team{i % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        text = (english if i % 2 else code)(2048, seed=i)
        (folder / f"prompt{i}.txt").write_text(text, encoding="utf-8")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - began, done.stdout


def median_of(runs: int, command: list[str], env: dict[str, str], reset: Path | None) -> float:
    timings = []
    for _ in range(runs):
        if reset is not None:
            shutil.rmtree(reset, ignore_errors=True)
        timings.append(timed(command, env)[0])
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root, cache = Path(tmp) / "repo", Path(tmp) / "cache"
        generate(root, args.files)
        env = {**os.environ, "LLMCOST_CACHE_DIR": str(cache), "CI": "true"}
        estimate = [sys.executable, "-m", "llmcost_lsp.cli.main", "estimate", str(root)]
        estimate += ["--format", "json", "--allow-stale"]
        raw = [sys.executable, "-c", RAW_TIKTOKEN, str(root)]

        raw_s = median_of(args.runs, raw, env, None)
        cold_s = median_of(args.runs, estimate, env, cache)
        timed(estimate, env)  # fill the persistent cache
        warm_s = median_of(args.runs, estimate, env, None)

    print(f"{args.files:,} prompt files of ~2 KB, median of {args.runs} runs (whole processes)")
    print(f"  raw tiktoken (read + encode_ordinary)   {raw_s * 1000:8.0f} ms")
    print(f"  llm-cost estimate, cold cache           {cold_s * 1000:8.0f} ms")
    print(f"  llm-cost estimate, warm cache           {warm_s * 1000:8.0f} ms")
    print(f"  cold vs raw tiktoken: {raw_s / cold_s:.2f}x (1.0 = as fast as counting alone)")
    print(f"  warm vs raw tiktoken: {raw_s / warm_s:.2f}x")
    print(f"  warm vs cold:         {cold_s / warm_s:.2f}x")


if __name__ == "__main__":
    main()
