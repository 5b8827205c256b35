"""Cold count of 1,000 prompt files (~2 KB each): our registry vs plain tiktoken on the same texts.

Run: python benchmarks/bench_tokens_cold.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from tokens_textgen import code, english

from llmcost_lsp.core.tokens import registry
from llmcost_lsp.core.tokens.spec import TokenizerSpec
from llmcost_lsp.core.tokens.vocab import build_encoding, get_encoding

FILES = 1000
REPEATS = 7


def texts() -> list[str]:
    return [(english if i % 2 else code)(2048, seed=1000 + i) for i in range(FILES)]


def best_of(function: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        function()
        timings.append(time.perf_counter() - began)
    return statistics.median(timings) * 1000


def main() -> None:
    prompts = texts()
    for name in ("o200k_base", "cl100k_base"):
        began = time.perf_counter()
        build_encoding(name)
        load_ms = (time.perf_counter() - began) * 1000
        encoding = get_encoding(name)
        spec = TokenizerSpec(family="openai", encoding=name)
        expected = [len(encoding.encode_ordinary(t)) for t in prompts]
        assert [registry.count_text(t, spec).tokens for t in prompts] == expected

        loop = best_of(lambda: [len(encoding.encode_ordinary(t)) for t in prompts])  # noqa: B023
        batch = best_of(lambda: [len(ids) for ids in encoding.encode_ordinary_batch(prompts)])  # noqa: B023
        ours = best_of(lambda: [registry.count_text(t, spec) for t in prompts])  # noqa: B023
        baseline = min(loop, batch)
        print(
            f"{name:<11} {FILES} files x 2 KB | tiktoken loop {loop:6.1f} ms | "
            f"encode_ordinary_batch {batch:6.1f} ms | registry.count_text {ours:6.1f} ms | "
            f"throughput vs faster baseline x{baseline / ours:.2f} (goal >= 0.7) | "
            f"vocabulary load {load_ms:.0f} ms"
        )


if __name__ == "__main__":
    main()
