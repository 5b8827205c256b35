"""The language server's refresh after an edit: the findings of a 10,000-prompt workspace
(core/findings.py `analyze`, the check `--check` and diagnostics share) once one prompt
changed, with the server's FindingsMemo versus a full check, in the same run; then with the
memo after the server's end-of-indexing `gc.freeze()` (full collections were the p95).

Run: python benchmarks/bench_check.py [PROMPTS]   (default 10000)
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

from llmcost_lsp.core.check import FindingsMemo
from llmcost_lsp.core.findings import analyze
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.workspace import Workspace
from llmcost_lsp.server.features.lifecycle import settle_memory

MANIFEST = (
    '[defaults]\nmodel = "gpt-4o-mini"\ncalls_per_month = 10_000\noutput_tokens = 300\n'
    '\n[budgets]\nmonthly_usd = "100000"\n'
)
EDITS = 100


def text(index: int, revision: int = 0) -> str:
    return f"You are assistant #{index} (revision {revision}). Answer about case {index}.\n" * 8


def refreshes(workspace: Workspace, target: Path, memo: FindingsMemo | None) -> list[float]:
    """Milliseconds of `analyze` after each of EDITS edits of one prompt."""
    now = workspace.settings.now()
    analyze(workspace, None, now=now, ci=False, memo=memo)
    times = []
    for revision in range(1, EDITS + 1):
        workspace.apply_change(target, text(7, revision))
        start = time.perf_counter()
        analyze(workspace, None, now=now, ci=False, memo=memo)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    prompts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "ws"
        (root / "prompts").mkdir(parents=True)
        (root / "llm-cost.toml").write_text(MANIFEST)
        for index in range(prompts):
            (root / "prompts" / f"p{index}.txt").write_text(text(index))
        settings = Settings(cache_dir=Path(temp) / "cache", config_dir=Path(temp) / "config")
        workspace = Workspace(root, settings=settings)
        workspace.load()
        target = root / "prompts" / "p7.txt"
        full = refreshes(workspace, target, None)
        memo = refreshes(workspace, target, FindingsMemo())
        settle_memory()
        frozen = refreshes(workspace, target, FindingsMemo())
        gc.unfreeze()
    print(f"workspace: {prompts:,} prompts; findings after a one-prompt edit ({EDITS} edits)")
    rows = (("full check", full), ("with the memo", memo), ("memo + freeze", frozen))
    for name, times in rows:
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{name:14s} p50 {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms")
    print(f"ratio at p50: {statistics.median(full) / statistics.median(memo):.1f}x (memo)")
    full95, frozen95 = (statistics.quantiles(t, n=20)[-1] for t in (full, frozen))
    print(f"ratio at p95: {full95 / frozen95:.1f}x (memo + freeze)")


if __name__ == "__main__":
    main()
