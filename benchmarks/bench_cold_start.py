"""Cold start: what a fresh process pays before and while doing its work, as same-run ratios.

Every figure is a whole process (wall time, median of --runs), its baselines measured in the
same run, the runs interleaved so a drift of the machine's speed hits both sides alike:

1. `llm-cost tokens` on a 1 MB prompt (no count cache; count cache warm) and on a 2 KB one (no
   count cache: the restricted encoder of a first count, core/tokens/restricted.py), and `llm-cost
   estimate` over 1,000 prompt files of 2 KB, vs the seed project's native binary (Rul1an/llm-cost,
   Zig) doing the same. The native binary is built from a checkout given with --seed DIR when the
   `ziglang` 0.14.0 wheel is installed, or taken from --native BIN; without either the rows say
   why they are skipped.
2. `llm-cost --version` and `--help` vs `python -c pass`; also under `python -S` (no site hooks,
   with the same packages on PYTHONPATH), which shows the cost without what this interpreter's
   `.pth` files import at start-up. `llm-cost estimate examples` without count or result cache.
3. The language server's time from `initialize` to the first inlay hints of a real server
   process over stdio, on the examples workspace and on 10,000 generated prompt files (cold:
   no count or result cache; the vocabulary cache, made once, is kept).

--before SRC also times another checkout's `src` (e.g. a worktree of an older commit) in the
same run, for before/after tables: its commands run with PYTHONPATH=SRC.

Run: python benchmarks/bench_cold_start.py [--before SRC] [--seed DIR | --native BIN]
                                           [--runs N] [--lsp-files N] [--skip-lsp]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tokens_textgen import code, english

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
ZIG_VERSION = "0.14.0"
CLI = "import sys; from llmcost_lsp.cli.main import main; sys.exit(main())"  # as the script does


@dataclass(frozen=True)
class Variant:
    """One llm-cost to time: this checkout, or another checkout's `src` put first on the path."""

    label: str
    src: Path | None

    def env(self, cache: Path, *, no_site: bool = False) -> dict[str, str]:
        env = {**os.environ, "LLMCOST_CACHE_DIR": str(cache), "CI": "true"}
        # as an installed wheel runs: compiled once (pip writes the .pyc files), not per process;
        # the bytecode goes to a folder of its own, never into the checkout
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cache.parent / f"pycache-{self.label}")
        paths = [str(self.src)] if self.src is not None else []
        if no_site:  # -S drops the .pth files, the editable install's path among them
            paths += [str(self.src or REPO / "src"), *site_paths()]
        if paths:
            env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(":")
        return env


def site_paths() -> list[str]:
    return list(dict.fromkeys(p for p in sys.path if p.endswith("site-packages")))


@dataclass(frozen=True)
class Sample:
    """One run: wall seconds, and the CPU seconds (user + sys) of the process and its children,
    which a busy shared machine disturbs less than the wall time."""

    wall: float
    cpu: float


def run_once(argv: Sequence[str], env: dict[str, str], before: Callable[[], None] | None) -> Sample:
    if before is not None:
        before()
    with tempfile.TemporaryFile() as errors:
        began = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace")
            raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}): {message}")
    return Sample(wall, usage.ru_utime + usage.ru_stime)


@dataclass
class Timed:
    argv: Sequence[str]
    env: dict[str, str]
    before: Callable[[], None] | None = None  # run before each timed run (e.g. empty a cache)


def interleaved(commands: dict[str, Timed], runs: int) -> dict[str, list[Sample]]:
    """Every command once (untimed), then `runs` rounds of each in turn, order rotated."""
    names = list(commands)
    for name in names:
        run_once(commands[name].argv, commands[name].env, commands[name].before)
    times: dict[str, list[Sample]] = {name: [] for name in names}
    for round_ in range(runs):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            command = commands[name]
            times[name].append(run_once(command.argv, command.env, command.before))
    return times


def ratio(times: dict[str, list[Sample]], a: str, b: str) -> str:
    """Medians of the run-by-run ratios a/b (runs of one round are close in time), wall and CPU."""
    pairs = list(zip(times[a], times[b], strict=True))
    wall = statistics.median(x.wall / y.wall for x, y in pairs)
    cpu = statistics.median(x.cpu / y.cpu for x, y in pairs)
    return f"{wall:5.2f}x (cpu {cpu:5.2f}x)"


def ms(values: list[Sample]) -> str:
    wall = statistics.median(v.wall for v in values) * 1000
    cpu = statistics.median(v.cpu for v in values) * 1000
    return f"{wall:6.0f} ms (cpu {cpu:5.0f} ms)"


# -- the native binary -------------------------------------------------------------------------


def native_binary(args: argparse.Namespace, scratch: Path) -> tuple[Path | None, str]:
    """The seed's native binary, and why not when there is none."""
    if args.native:
        return Path(args.native), ""
    if importlib.util.find_spec("ziglang") is None:
        return None, f"the ziglang wheel is not installed (pip install ziglang=={ZIG_VERSION})"
    seed = args.seed or os.environ.get("LLMCOST_SEED_SRC")
    if not seed:
        return None, "no checkout of the seed project Rul1an/llm-cost given (--seed DIR)"
    version = subprocess.run(
        [sys.executable, "-m", "ziglang", "version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if version != ZIG_VERSION:
        return None, f"the seed builds with zig {ZIG_VERSION}, the ziglang wheel is {version!r}"
    binary = Path(seed) / "zig-out" / "bin" / "llm-cost"
    if not binary.exists():
        print(f"building the native binary in {seed} (ReleaseFast; minutes on 2 cores)...")
        # own cache dirs: a checkout may carry a stale .zig-cache that points elsewhere
        caches = ["--cache-dir", str(scratch / "zig-cache")]
        caches += ["--global-cache-dir", str(scratch / "zig-global")]
        done = subprocess.run(
            [sys.executable, "-m", "ziglang", "build", "-Doptimize=ReleaseFast", *caches],
            cwd=seed,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not binary.exists():
            return None, f"the native build failed: {done.stderr.strip()[-300:]}"
    return binary, ""


def native_count(binary: Path, prompt: Path) -> int:
    done = subprocess.run(
        [str(binary), "tokens", "--model", "gpt-4o", str(prompt)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.split()[-1])


def our_count(variant: Variant, prompt: Path, cache: Path) -> int:
    argv = [sys.executable, "-c", CLI, "tokens", str(prompt), "-m", "gpt-4o", "--format", "json"]
    done = subprocess.run(
        [*argv, "--no-cache"], capture_output=True, text=True, env=variant.env(cache), check=True
    )
    return int(done.stdout.split('"tokens": ')[1].split(",")[0])


def empty_but_vocabulary(cache: Path) -> None:
    for child in cache.glob("*"):
        if child.name != "vocab":
            shutil.rmtree(child) if child.is_dir() else child.unlink()


# -- 1. tokens ---------------------------------------------------------------------------------


def bench_tokens(
    variants: list[Variant], native: Path | None, why: str, scratch: Path, runs: int
) -> None:
    prompt = scratch / "prompt-1mb.txt"
    prompt.write_text(english(1_000_000, seed=20), encoding="utf-8")
    small = scratch / "prompt-2kb.txt"  # a prompt's size: its first count needs few ranks
    small.write_text(english(2048, seed=21), encoding="utf-8")
    counts = {v.label: our_count(v, prompt, scratch / f"count-{v.label}") for v in variants}
    if native is not None:
        counts["native"] = native_count(native, prompt)
    assert len(set(counts.values())) == 1, f"the counts differ: {counts}"
    print(f"\n1. `tokens` on a 1 MB prompt (o200k, {next(iter(counts.values())):,} tokens, every")
    print(f"   tool agrees), gpt-4o, wall time, median of {runs}")
    commands: dict[str, Timed] = {}
    for v in variants:
        tokens = [sys.executable, "-c", CLI, "tokens", str(prompt), "-m", "gpt-4o"]
        keep = scratch / f"cache-{v.label}"  # vocabulary cache kept, no count cache
        commands[f"{v.label} no count cache"] = Timed([*tokens, "--no-cache"], v.env(keep))
        fresh = scratch / f"fresh-{v.label}"
        commands[f"{v.label} first run (empty cache dir)"] = Timed(
            [*tokens, "--no-cache"],
            v.env(fresh),
            lambda fresh=fresh: shutil.rmtree(fresh, ignore_errors=True),  # type: ignore[misc]
        )
        commands[f"{v.label} count cache warm"] = Timed(tokens, v.env(scratch / f"warm-{v.label}"))
        commands[f"{v.label} 2 KB prompt, no count cache"] = Timed(
            [sys.executable, "-c", CLI, "tokens", str(small), "-m", "gpt-4o", "--no-cache"],
            v.env(keep),
        )
    if native is not None:
        native_argv = [str(native), "tokens", "--model", "gpt-4o"]
        commands["native"] = Timed([*native_argv, str(prompt)], dict(os.environ))
        commands["native 2 KB prompt"] = Timed([*native_argv, str(small)], dict(os.environ))
    times = interleaved(commands, runs)
    for name, values in times.items():
        base = "native 2 KB prompt" if "2 KB" in name else "native"
        versus = f"   {ratio(times, name, base)} native" if native is not None else ""
        print(f"   {name:<44} {ms(values)}{versus}")
    if native is None:
        print(f"   native binary: skipped, {why}")


def bench_estimate_files(
    variants: list[Variant], native: Path | None, scratch: Path, runs: int
) -> None:
    root = scratch / "files-1000"
    (root / "prompts").mkdir(parents=True)
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1000\noutput_tokens = 200\n'
    )
    files = []
    for i in range(1000):
        files.append(root / "prompts" / f"p{i:04}.txt")
        files[-1].write_text((english if i % 2 else code)(2048, seed=i), encoding="utf-8")
    rounds = max(1, min(runs, 3))  # the native binary takes many seconds a run
    print(f"\n   `estimate` over 1,000 prompt files of 2 KB, no count cache, median of {rounds}")
    commands: dict[str, Timed] = {}
    for v in variants:
        cache = scratch / f"files-{v.label}"
        commands[f"{v.label} estimate 1,000 files"] = Timed(
            [sys.executable, "-c", CLI, "estimate", str(root), "--allow-stale"],
            v.env(cache),
            lambda cache=cache: empty_but_vocabulary(cache),  # type: ignore[misc]
        )
    if native is not None:
        argv = [str(native), "estimate", "--model", "gpt-4o", *map(str, files)]
        commands["native estimate 1,000 files"] = Timed(argv, dict(os.environ))
    times = interleaved(commands, rounds)
    for name, values in times.items():
        versus = ""
        if native is not None:
            versus = f"   {ratio(times, name, 'native estimate 1,000 files')} native"
        print(f"   {name:<44} {ms(values)}{versus}")


# -- 2. --version, --help, estimate ------------------------------------------------------------


def bench_cli(variants: list[Variant], scratch: Path, runs: int) -> None:
    print(f"\n2. start-up of the CLI, wall time, median of {runs}")
    for no_site in (False, True):
        flag = ["-S"] if no_site else []
        bare = Timed([sys.executable, *flag, "-c", "pass"], Variant("python", None).env(scratch))
        commands = {"python -c pass": bare}
        for v in variants:
            for what in ("--version", "--help"):
                commands[f"{v.label} {what}"] = Timed(
                    [sys.executable, *flag, "-c", CLI, what], v.env(scratch, no_site=no_site)
                )
        times = interleaved(commands, runs)
        print("   as installed" if not no_site else "   under python -S (no site .pth hooks)")
        for name, values in times.items():
            print(f"   {name:<44} {ms(values)}   {ratio(times, name, 'python -c pass')}")
    commands = {}
    for v in variants:
        cache = scratch / f"estimate-{v.label}"
        # cold: no count or result cache; the vocabulary cache, made once, stays
        commands[f"{v.label} estimate examples, cold"] = Timed(
            [sys.executable, "-c", CLI, "estimate", str(EXAMPLES), "--allow-stale"],
            v.env(cache),
            lambda cache=cache: empty_but_vocabulary(cache),  # type: ignore[misc]
        )
    times = interleaved(commands, runs)
    for name, values in times.items():
        print(f"   {name:<44} {ms(values)}")
    if len(variants) == 2:
        a, b = (f"{v.label} estimate examples, cold" for v in variants)
        print(f"   {variants[1].label} / {variants[0].label}: {ratio(times, b, a)}")


# -- 3. the language server --------------------------------------------------------------------


async def first_hint(root: Path, target: Path, env: dict[str, str]) -> float:
    """Seconds from starting the server process to the first inlay hints of `target`."""
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("bench", "1")
    for method in (
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        types.WINDOW_LOG_MESSAGE,
        types.WINDOW_SHOW_MESSAGE,
    ):
        client.feature(method)(lambda params: None)
    began = time.perf_counter()
    await client.start_io(sys.executable, "-m", "llmcost_lsp", "--log-level", "error", env=env)
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=root.as_uri(),
            initialization_options={"watch": "off"},
        )
    )
    client.initialized(types.InitializedParams())
    whole = types.Range(types.Position(0, 0), types.Position(1_000_000, 0))
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(types.TextDocumentIdentifier(target.as_uri()), whole)
    )
    elapsed = time.perf_counter() - began
    assert hints, f"no hints for {target}"
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return elapsed


def generated_workspace(root: Path, files: int) -> Path:
    for index in range(files):
        folder = root / "prompts" / f"team{index % 100}"
        folder.mkdir(parents=True, exist_ok=True)
        body = english(300 + (index * 7919) % 2700, seed=index)
        (folder / f"p{index}.txt").write_text(f"Prompt {index}.\n{body}\n")
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o-mini"\ncalls_per_month = 1000\noutput_tokens = 200\n'
    )
    return root / "prompts" / "team7" / "p7.txt"


def bench_lsp(variants: list[Variant], scratch: Path, runs: int, files: int) -> None:
    print("\n3. language server: process start to first inlay hints, no count cache, median")
    big = scratch / "lsp-big"
    workspaces = [
        ("examples workspace", EXAMPLES, EXAMPLES / "prompts" / "classify.prompt", runs),
        (f"{files:,} files", big, generated_workspace(big, files), max(1, min(runs, 3))),
    ]
    for label, root, target, count in workspaces:
        results: dict[str, list[float]] = {v.label: [] for v in variants}
        for round_ in range(count + 1):  # the first round warms the OS file cache, not counted
            for v in variants:
                cache = scratch / f"lsp-{v.label}"
                empty_but_vocabulary(cache)
                seconds = asyncio.run(first_hint(root, target, v.env(cache)))
                if round_:
                    results[v.label].append(seconds)
        line = " | ".join(
            f"{name} {statistics.median(values) * 1000:.0f} ms" for name, values in results.items()
        )
        print(f"   {label:<20} {line}   (median of {count})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout's src dir, timed as 'before'")
    parser.add_argument("--seed", help="checkout of Rul1an/llm-cost to build the native binary")
    parser.add_argument("--native", help="an already built native binary")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lsp-files", type=int, default=10_000)
    parser.add_argument("--skip-lsp", action="store_true")
    args = parser.parse_args()
    variants = [Variant("after", None)]
    if args.before is not None:
        variants.insert(0, Variant("before", args.before.resolve()))
    python = sysconfig.get_config_var("VERSION")
    print(f"cold start: Python {python}, {os.cpu_count()} cores; variants: ", end="")
    print(", ".join(f"{v.label} = {v.src or REPO / 'src'}" for v in variants))
    with tempfile.TemporaryDirectory() as name:
        scratch = Path(name)
        native, why = native_binary(args, scratch)
        bench_tokens(variants, native, why, scratch, args.runs)
        bench_estimate_files(variants, native, scratch, args.runs)
        bench_cli(variants, scratch, args.runs)
        if not args.skip_lsp:
            bench_lsp(variants, scratch, args.runs, args.lsp_files)


if __name__ == "__main__":
    main()
