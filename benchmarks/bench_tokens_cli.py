"""Wall time of `llm-cost --version` and `llm-cost tokens FILE --model gpt-4o` vs `python -c pass`.

Run: python benchmarks/bench_tokens_cli.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 9
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "prompts" / "support" / "triage.txt"


def wall_ms(argv: list[str], env: dict[str, str]) -> float:
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def main() -> None:
    cli = [sys.executable, "-m", "llmcost_lsp.cli.main"]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "LLMCOST_CACHE_DIR": cache}
        tokens = [*cli, "tokens", str(EXAMPLE), "--model", "gpt-4o"]
        baseline = wall_ms([sys.executable, "-c", "pass"], env)
        rows = {
            "python -c pass": baseline,
            "llm-cost --version": wall_ms([*cli, "--version"], env),
            "llm-cost tokens (no cache)": wall_ms([*tokens, "--no-cache"], env),
            "llm-cost tokens (warm cache)": wall_ms(tokens, env),
        }
    print(f"median wall time of {RUNS} runs (subprocess, {EXAMPLE.name})")
    for label, ms in rows.items():
        print(f"  {label:<30} {ms:7.1f} ms   x{ms / baseline:5.1f} of python -c pass")


if __name__ == "__main__":
    main()
