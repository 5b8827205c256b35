"""`llm-cost diff --base HEAD~1` on 10,000 prompts with 10 changed, against a full cold estimate
of the same repository in the same run (each command a fresh process with its own cache dir).

Measured: cold estimate (baseline), warm estimate; diff with an empty cache; diff with the cache
an estimate of the base left (token counts only); and the warm diff of CI with a cached cache dir:
the pull request was pushed again with 10 other prompts changed, so the cache holds the previous
diff's results and the base's summary but nothing about the 10 new texts. In process, for that
warm diff: how many prompts it parsed and estimated, how many it answered without reading them,
and how many texts it tokenized. Then where the warm diff's time goes: a process that only
imports, a warm diff with nothing changed, and the same story on a repository of 100 prompts
(what the 9,900 other unchanged prompts add). Run: python benchmarks/bench_diff.py [PROMPTS]
[CHANGED]
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MANIFEST = '[defaults]\nmodel = "gpt-4o-mini"\ncalls_per_month = 10_000\noutput_tokens = 300\n'
WORDS = [
    "customer",
    "order",
    "refund",
    "invoice",
    "shipping",
    "warranty",
    "account",
    "password",
    "delivery",
    "product",
]


def prompt_text(index: int, revision: int = 0) -> str:
    """A few hundred characters, distinct per prompt, so no two texts share a cache entry."""
    lines = [f"You are assistant #{index} (revision {revision}) for the support team."]
    for line in range(12):
        words = [WORDS[(index * 7 + line * 3 + k) % len(WORDS)] for k in range(9)]
        lines.append(f"Step {line}: check the {' '.join(words)} for case {index}-{line}.")
    return "\n".join(lines) + "\n"


def git(root: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def build(root: Path, prompts: int) -> None:
    git(root, "init", "-q", "-b", "main")
    (root / "llm-cost.toml").write_text(MANIFEST)
    for index in range(prompts):
        folder = root / "prompts" / f"team{index % 100}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"p{index}.txt").write_text(prompt_text(index))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")


def change(root: Path, prompts: int, changed: int, offset: int = 0) -> None:
    step = prompts // changed
    for index in range(offset, step * changed, step):
        (root / "prompts" / f"team{index % 100}" / f"p{index}.txt").write_text(
            prompt_text(index, revision=1) + "Also answer in French.\n"
        )
    git(root, "commit", "-q", "-am", "change")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(root: Path, cache: Path, *args: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one command in a fresh process. CPU time is the figure
    compared: wall time swings with whatever else the machine runs."""
    env = {**os.environ, "LLMCOST_CACHE_DIR": str(cache), "CI": "true"}
    command = [sys.executable, "-m", "llmcost_lsp.cli.main", *args]
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return cpu, elapsed


def work_of_warm_diff(root: Path, cache: Path) -> tuple[int, int, int, int]:
    """In process, over a copy of the warm cache: (texts tokenized, prompts estimated, prompts
    answered from the base's summary or the result cache, prompts changed)."""
    from llmcost_lsp.core.diff.git import diff_git
    from llmcost_lsp.core.pricing.db import load_price_db
    from llmcost_lsp.core.prompt_tokens import TokenCounter
    from llmcost_lsp.core.settings import Settings

    settings = Settings(cache_dir=cache, config_dir=cache / "config")
    counter = TokenCounter(settings)
    diff = diff_git(root, "HEAD~1", db=load_price_db(), settings=settings, counter=counter,
                    pricing_date=settings.today())  # fmt: skip
    counter.close()
    return counter.tokenized_texts, diff.estimated_prompts, diff.cached_prompts, len(diff.prompts)


def warm_diff(temp: Path, name: str, prompts: int, changed: int) -> dict[str, tuple[float, float]]:
    """The CI story on a repository of `prompts` prompts; CPU and wall seconds of each step."""
    root, caches = temp / name, temp / f"{name}-caches"
    root.mkdir()
    build(root, prompts)
    times = {}
    # main's CI: an estimate of the base fills the cache dir that pull requests restore
    times["cold estimate"] = timed(root, caches / "ci", "estimate", "--format", "json")
    times["warm estimate"] = timed(root, caches / "ci", "estimate", "--format", "json")
    change(root, prompts, changed)  # the pull request's first push
    times["cold diff"] = timed(root, caches / "fresh", "diff", "--base", "HEAD~1")
    times["estimate-cache diff"] = timed(root, caches / "ci", "diff", "--base", "HEAD~1")
    git(root, "reset", "-q", "--hard", "HEAD~1")  # pushed again: 10 other prompts changed
    change(root, prompts, changed, offset=1)
    shutil.copytree(caches / "ci", caches / "ci-copy")
    times["warm diff"] = timed(root, caches / "ci", "diff", "--base", "HEAD~1")
    # a warm diff with nothing changed, against a base an earlier diff has seen
    timed(root, caches / "ci", "diff", "--base", "HEAD")
    times["nothing"] = timed(root, caches / "ci", "diff", "--base", "HEAD")
    return times


def start_and_imports() -> float:
    """CPU seconds of a process that only imports what `llm-cost diff` imports."""
    code = "import llmcost_lsp.cli.main, llmcost_lsp.cli.diff, llmcost_lsp.core.diff.git"
    cpu = _children_cpu()
    subprocess.run([sys.executable, "-c", code], check=True)
    return _children_cpu() - cpu


def main() -> None:
    prompts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    changed = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    small = max(changed * 10, 100)
    with tempfile.TemporaryDirectory() as temp:
        big = warm_diff(Path(temp), "repo", prompts, changed)
        texts, estimated, cached, found = work_of_warm_diff(
            Path(temp) / "repo", Path(temp) / "repo-caches" / "ci-copy"
        )
        little = warm_diff(Path(temp), "small", small, changed)
        floor = min(start_and_imports() for _ in range(3))
    print(f"repository: {prompts:,} prompts, {changed} changed in HEAD")
    print("                                                CPU s   wall s")
    rows = [
        ("estimate, cold cache (baseline)", big["cold estimate"]),
        ("estimate, warm cache", big["warm estimate"]),
        ("diff --base HEAD~1, empty cache", big["cold diff"]),
        ("diff, cache from an estimate of the base", big["estimate-cache diff"]),
        ("diff, cache from the previous diff (warm)", big["warm diff"]),
        ("diff --base HEAD (nothing changed), warm", big["nothing"]),
        (f"warm diff, same story on {small} prompts", little["warm diff"]),
        (f"nothing changed, {small} prompts", little["nothing"]),
    ]
    for name, (cpu, wall) in rows:
        print(f"{name:46s} {cpu:6.2f}  {wall:7.2f}")
    print(f"{'python start + imports only':46s} {floor:6.2f}")
    for name, (cpu, _), (baseline, _), base_name in [
        ("warm diff", big["warm diff"], big["cold estimate"], "cold estimate"),
        ("warm diff", big["warm diff"], big["warm estimate"], "warm estimate"),
        ("empty-cache diff", big["cold diff"], big["cold estimate"], "cold estimate"),
        ("estimate-cache diff", big["estimate-cache diff"], big["warm estimate"],
         "warm estimate"),
    ]:  # fmt: skip
        print(f"ratio {name} / {base_name}:".ljust(47) + f"{cpu / baseline:5.2f}x (CPU)")
    print(
        f"warm diff: {found} prompts changed of {prompts:,}; {estimated} prompt estimates "
        f"computed (both sides), {cached:,} unchanged prompts answered without reading them, "
        f"{texts} texts tokenized"
    )
    warm, nothing = big["warm diff"][0], big["nothing"][0]
    size = nothing - little["nothing"][0]
    print(
        f"warm diff {warm:.2f} s (CPU) = {floor:.2f} python start + imports"
        f" + {little['nothing'][0] - floor:.2f} any diff's own work"
        f" + {size:.2f} for the other {prompts - small:,} unchanged prompts"
        f" + {warm - nothing:.2f} for the {changed} changed prompts"
    )


if __name__ == "__main__":
    main()
