"""Recount after a one-character edit in a 1 MB prompt: incremental chunks vs a full recount.

Run: python benchmarks/bench_tokens_incremental.py
"""

from __future__ import annotations

import random
import statistics
import time

from tokens_textgen import code, english, percentile

from llmcost_lsp.core.tokens.chunks import ChunkedDocument
from llmcost_lsp.core.tokens.vocab import get_encoding

SIZE = 1_000_000
EDITS = 300
FULL_RECOUNTS = 40


def one_char_edit(rng: random.Random, length: int) -> tuple[int, int, str]:
    position = rng.randrange(length)
    kind = rng.random()
    if kind < 0.5:
        return position, position, rng.choice("abcdefghij ,.\n/'")
    if kind < 0.8:
        return position, position + 1, ""
    return position, position + 1, rng.choice("xyz ")


def run(label: str, text: str, encoding_name: str) -> None:
    encoding = get_encoding(encoding_name)

    def count(piece: str) -> int:
        return len(encoding.encode_ordinary(piece))

    started = time.perf_counter()
    document = ChunkedDocument(text, count)
    build_ms = (time.perf_counter() - started) * 1000
    rng = random.Random(42)
    incremental: list[float] = []
    full: list[float] = []
    current = text
    for step in range(EDITS):
        start, end, new_text = one_char_edit(rng, len(current))
        began = time.perf_counter()
        total = document.apply_edit(start, end, new_text)
        incremental.append((time.perf_counter() - began) * 1000)
        current = current[:start] + new_text + current[end:]
        if step % (EDITS // FULL_RECOUNTS) == 0:
            began = time.perf_counter()
            expected = len(encoding.encode_ordinary(current))
            full.append((time.perf_counter() - began) * 1000)
            assert total == expected, (label, step, total, expected)
    assert document.text == current
    inc_median, full_median = statistics.median(incremental), statistics.median(full)
    print(
        f"{label:<14} {encoding_name:<11} chunks={len(document.chunks):>5} "
        f"build={build_ms:6.1f} ms | edit median={inc_median:6.3f} ms p95="
        f"{percentile(incremental, 0.95):6.3f} ms | full recount median={full_median:6.2f} ms "
        f"p95={percentile(full, 0.95):6.2f} ms | speed-up x{full_median / inc_median:,.0f} "
        f"(p95 x{percentile(full, 0.95) / percentile(incremental, 0.95):,.0f})"
    )


def main() -> None:
    print(
        f"one-character edits in a {SIZE:,}-character prompt; every checked total == full recount"
    )
    for encoding_name in ("o200k_base", "cl100k_base"):
        run("English-like", english(SIZE), encoding_name)
        run("code-like", code(SIZE), encoding_name)
        run("one long line", english(SIZE).replace("\n", " "), encoding_name)  # secondary cut


if __name__ == "__main__":
    main()
