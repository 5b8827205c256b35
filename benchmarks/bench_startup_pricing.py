"""Start-up with the built price DB vs the DB and code before it, measured in the same run.

`llm-cost --version`, `llm-cost tokens FILE --model gpt-4o` and `llm-cost estimate examples`, each
as a fresh process, alternating between this checkout and a baseline commit (default `main`, or
the commit before the DB was built: pass it as the first argument). Median of REPEATS runs each.

Run: python benchmarks/bench_startup_pricing.py [BASELINE_REF]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPEATS = 11


def export(ref: str, into: Path) -> Path:
    """The `src` tree of `ref`, extracted from git (no checkout is touched)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def run_once(src: Path, args: list[str], cache: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "LLMCOST_CACHE_DIR": str(cache)}
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", *args, "--allow-stale"]
        if args[0] != "--version"
        else [sys.executable, "-m", "llmcost_lsp.cli.main", *args],
        env=env,
        check=False,
        capture_output=True,
        cwd=REPO,
    )
    return (time.perf_counter() - began) * 1000


def main() -> None:
    ref = sys.argv[1] if len(sys.argv) > 1 else "main"
    with tempfile.TemporaryDirectory() as tmp:
        base_src = export(ref, Path(tmp))
        prompt = Path(tmp) / "prompt.txt"
        prompt.write_text("Summarise the following ticket for the on-call engineer.\n" * 40)
        commands = {
            "--version": ["--version"],
            "tokens": ["tokens", str(prompt), "--model", "gpt-4o"],
            "estimate examples": ["estimate", str(REPO / "examples")],
        }
        for label, args in commands.items():
            timings: dict[str, list[float]] = {"baseline": [], "this": []}
            for side, src in (("baseline", base_src), ("this", REPO / "src")):
                run_once(src, args, Path(tmp) / f"cache-{side}")  # warm the OS file cache
            for _ in range(REPEATS):  # alternate, so load on the machine hits both alike
                for side, src in (("baseline", base_src), ("this", REPO / "src")):
                    timings[side].append(run_once(src, args, Path(tmp) / f"cache-{side}"))
            base = statistics.median(timings["baseline"])
            this = statistics.median(timings["this"])
            print(
                f"{label:<18} baseline ({ref}) {base:7.1f} ms | this checkout {this:7.1f} ms | "
                f"ratio {this / base:.3f} (goal <= 1.10)"
            )


if __name__ == "__main__":
    main()
