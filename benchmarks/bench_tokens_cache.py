"""Start-up with the persistent count cache: a warm process vs a cold one, 1,000 files of 2 KB.

Each run is a fresh Python process (so the cold one pays for loading the vocabulary, as a real
first start does); the time is measured inside it, from importing llm-cost to having all counts.
Run: python benchmarks/bench_tokens_cache.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RUNS = 5

CHILD = """
import json, sys, time
began = time.perf_counter()
from pathlib import Path
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.tokens.cache import CountCache, count_texts_cached
from llmcost_lsp.core.tokens.spec import TokenizerSpec
from llmcost_lsp.core.tokens.vocab import loaded_encodings
imported = time.perf_counter()
texts = [p.read_text() for p in sorted(Path(sys.argv[1]).iterdir())]
read = time.perf_counter()
with CountCache(Settings.from_env()) as cache:
    counts = count_texts_cached(texts, TokenizerSpec(family="openai"), cache)
done = time.perf_counter()
print(json.dumps({"count_ms": (done - read) * 1000, "process_ms": (done - began) * 1000,
                  "total": sum(c.tokens for c in counts), "loaded": sorted(loaded_encodings())}))
"""


def child(prompts: Path, cache_dir: Path) -> dict[str, object]:
    env = {**os.environ, "LLMCOST_CACHE_DIR": str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(prompts)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from tokens_textgen import code, english

    with tempfile.TemporaryDirectory() as scratch:
        prompts = Path(scratch) / "prompts"
        prompts.mkdir()
        for i in range(1000):
            text = (english if i % 2 else code)(2048, seed=5000 + i)
            (prompts / f"p{i:04}.txt").write_text(text)
        runs: dict[str, list[float]] = {"cold": [], "warm": [], "cold_p": [], "warm_p": []}
        for run in range(RUNS):
            cache_dir = Path(scratch) / f"cache{run}"
            first = child(prompts, cache_dir)
            second = child(prompts, cache_dir)
            assert first["total"] == second["total"]
            assert second["loaded"] == [], "a warm start must not load the vocabulary"
            runs["cold"].append(float(first["count_ms"]))  # type: ignore[arg-type]
            runs["warm"].append(float(second["count_ms"]))  # type: ignore[arg-type]
            runs["cold_p"].append(float(first["process_ms"]))  # type: ignore[arg-type]
            runs["warm_p"].append(float(second["process_ms"]))  # type: ignore[arg-type]
    median = {key: statistics.median(values) for key, values in runs.items()}
    print(f"1,000 files x 2 KB, o200k, median of {RUNS} pairs of fresh processes")
    print(
        f"  counting (texts in memory -> counts, vocabulary load included): cold "
        f"{median['cold']:6.1f} ms | warm {median['warm']:5.1f} ms | "
        f"speed-up x{median['cold'] / median['warm']:.1f} (goal >= 20)"
    )
    print(
        f"  whole process after start-up (imports + reading 1,000 files + counting): cold "
        f"{median['cold_p']:6.1f} ms | warm {median['warm_p']:5.1f} ms | "
        f"speed-up x{median['cold_p'] / median['warm_p']:.1f}"
    )


if __name__ == "__main__":
    main()
