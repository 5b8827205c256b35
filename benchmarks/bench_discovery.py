"""Discovery over a 10,000-file workspace, as a ratio to the bare I/O it cannot avoid.

Baseline (same run, same tree): os.walk over every directory that is not ignored, plus reading the
bytes of every prompt file. `discover` adds glob and .gitignore matching, decoding, hashing, ids.
Run: python benchmarks/bench_discovery.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from llmcost_lsp.core.discovery import discover

PROMPT_TEXT = "You are a helpful assistant for {{product}}.\nAnswer: {{question}}\n" * 20


def build(root: Path) -> int:
    """4,000 prompt files, 6,000 other files, and an ignored node_modules of 5,000 more."""
    (root / ".gitignore").write_text("build/\n*.log\n")
    count = 0
    for team in range(40):
        for index in range(50):
            folder = root / "prompts" / f"team{team}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"p{index}.txt").write_text(PROMPT_TEXT)
            (root / "app" / f"mod{team}").mkdir(parents=True, exist_ok=True)
            (root / "app" / f"mod{team}" / f"p{index}.prompt.md").write_text(PROMPT_TEXT)
            count += 2
    for index in range(6_000):
        folder = root / "src" / f"pkg{index % 60}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"m{index}.py").write_text("x = 1\n")
        count += 1
    for index in range(5_000):
        folder = root / "node_modules" / f"dep{index % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index}.prompt.md").write_text("ignored\n")
    return count


def baseline(root: Path) -> int:
    found = 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("node_modules", ".git")]
        for name in files:
            if name.endswith((".txt", ".prompt.md")):
                with open(os.path.join(directory, name), "rb") as handle:
                    handle.read()
                found += 1
    return found


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        files = build(root)
        result = discover(root)
        assert len(result.prompts) == 4_000, len(result.prompts)
        base = best_of(5, lambda: baseline(root))
        ours = best_of(5, lambda: discover(root))
        print(f"workspace: {files:,} files (+5,000 in node_modules), 4,000 prompts")
        print(f"baseline os.walk + read prompts: {base * 1000:8.1f} ms")
        print(f"discover():                      {ours * 1000:8.1f} ms")
        print(f"ratio discover / baseline:       {ours / base:8.2f}x")
        per_file = statistics.mean([ours / files * 1e6])
        print(f"per workspace file:              {per_file:8.1f} µs")


if __name__ == "__main__":
    main()
