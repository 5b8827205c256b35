"""Language server benchmarks, as ratios to same-run baselines.

1. A one-character edit in a 1 MB prompt: server-side time from didChange to fresh hints (the
   server's document applies the edit, the Workspace takes the text, the prompt is re-estimated,
   hints are built) versus a full recount of that file with the same tokenizer.
   Goal ≥ 10× (p50 and p95).
2. Time to first hints on a workspace of 10,000 generated prompt files, from `initialize` to
   the first inlay hint response of a real server process over stdio: cold (empty persistent
   cache) and warm (the cache the cold run left).
3. The server's RSS with those 10,000 files indexed (goal ≤ 250 MB).
4. The edit of (1) seen from a client: a real server process over stdio, didChange sent to
   fresh hints received (JSON-RPC of a 1 MB document's hints and all).

Run: python benchmarks/bench_lsp.py [FILES]   (default 10000)
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from tokens_textgen import code, english

from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.tokens.registry import counter_for
from llmcost_lsp.core.workspace import Workspace
from llmcost_lsp.server.features.documents import _apply
from llmcost_lsp.server.features.inlay_hints import compute_hints
from llmcost_lsp.server.state import Folder, LlmCostServer
from llmcost_lsp.server.text_document import BlockTextDocument

WHOLE = types.Range(types.Position(0, 0), types.Position(1_000_000, 0))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def big_prompt_workspace(root: Path, text: str) -> Path:
    """A workspace of one prompt file holding `text`, priced on gpt-4o; the prompt's path."""
    (root / "prompts").mkdir(parents=True)
    path = root / "prompts" / "big.txt"
    path.write_text(text)
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1000\noutput_tokens = 100\n'
    )
    return path


def bench_edit(tmp: Path, label: str, text: str, edits: int = 100) -> None:
    root = tmp / f"edit-{label}"
    path = big_prompt_workspace(root, text)
    settings = Settings(cache_dir=tmp / "cache-edit", config_dir=tmp / "config")
    workspace = Workspace(root, settings=settings, use_persistent_cache=False)
    workspace.load()
    ls = LlmCostServer()
    folder = Folder(workspace.root, workspace)
    document = BlockTextDocument(path.as_uri(), text, version=1)  # what the server opens
    compute_hints(ls, folder, path, WHOLE)  # warm: the first count of the whole file
    counter = counter_for(workspace.db.tokenizer_for(workspace.db.resolve("gpt-4o")))
    rng = random.Random(3)
    lines = text.count("\n")
    incremental: list[float] = []
    full: list[float] = []
    pygls_share: list[float] = []
    for _ in range(edits):
        line = rng.randrange(lines)
        position = types.Position(line, 3)
        change = types.TextDocumentContentChangePartial(
            range=types.Range(position, position), text=rng.choice("xyz ")
        )
        start = time.perf_counter()
        document.apply_change(change)
        source = document.source
        pygls_share.append(time.perf_counter() - start)
        _apply(folder, path, source)
        found = compute_hints(ls, folder, path, WHOLE)
        incremental.append(time.perf_counter() - start)
        assert found, "the prompt must have a hint"
        start = time.perf_counter()
        counter.count_raw(document.source)
        full.append(time.perf_counter() - start)
    p50, p95 = percentile(incremental, 0.5), percentile(incremental, 0.95)
    base = statistics.median(full)
    print(f"1 MB {label} prompt, one-character edit → fresh hints ({edits} edits)")
    print(f"  incremental: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    pygls_p50 = percentile(pygls_share, 0.5) * 1000
    print(f"  of which the document applying the edit: p50 {pygls_p50:.1f} ms")
    print(f"  full recount of the file (baseline): median {base * 1000:.1f} ms")
    print(f"  ratio: {base / p50:.1f}× at p50, {base / p95:.1f}× at p95 (goal ≥ 10×)")


async def start_server(root: Path, cache: Path) -> tuple[LanguageClient, float]:
    """A real server process over stdio, initialized on `root` (file watching off), and the
    `perf_counter` at which `initialize` was sent (the process already up)."""
    client = LanguageClient("bench", "1")
    for method in (
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
        types.WINDOW_LOG_MESSAGE,
        types.WINDOW_SHOW_MESSAGE,
    ):
        client.feature(method)(lambda params: None)
    env = {**os.environ, "LLMCOST_CACHE_DIR": str(cache), "CI": "true"}
    await client.start_io(sys.executable, "-m", "llmcost_lsp", "--log-level", "error", env=env)
    sent = time.perf_counter()
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=root.as_uri(),
            initialization_options={"watch": "off"},
        )
    )
    client.initialized(types.InitializedParams())
    return client, sent


async def edits_over_stdio(
    root: Path, path: Path, text: str, edits: int, cache: Path
) -> tuple[list[float], float]:
    """Client-observed seconds from sending didChange to receiving the fresh hints, per edit,
    from a real server process (JSON-RPC, the worker thread and all); and the median round trip
    of the same request with nothing changed (the protocol's floor)."""
    client, _ = await start_server(root, cache)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "plaintext", 1, text))
    )
    request = types.InlayHintParams(types.TextDocumentIdentifier(uri), WHOLE)
    assert await client.text_document_inlay_hint_async(request)
    rng = random.Random(5)
    lines = text.count("\n")
    labels: set[str] = set()
    times: list[float] = []
    for version in range(2, edits + 2):
        position = types.Position(rng.randrange(lines), 3)
        change = types.TextDocumentContentChangePartial(
            range=types.Range(position, position), text=rng.choice("xyz ")
        )
        start = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri), [change]
            )
        )
        hints = await client.text_document_inlay_hint_async(request)
        times.append(time.perf_counter() - start)
        assert hints
        labels.add(str(hints[0].label))
    assert len(labels) > 1, "the hints must follow the edits"
    floor: list[float] = []  # the same request with nothing changed: JSON-RPC and the hops
    for _ in range(edits):
        start = time.perf_counter()
        await client.text_document_inlay_hint_async(request)
        floor.append(time.perf_counter() - start)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times, statistics.median(floor)


def bench_edit_over_stdio(tmp: Path, label: str, text: str, edits: int = 100) -> None:
    root = tmp / f"stdio-{label}"
    path = big_prompt_workspace(root, text)
    times, floor = asyncio.run(edits_over_stdio(root, path, text, edits, tmp / f"cache-{label}"))
    counter = counter_for(Workspace(root).db.tokenizer_for(Workspace(root).db.resolve("gpt-4o")))
    full = []
    for _ in range(10):
        start = time.perf_counter()
        counter.count_raw(text)
        full.append(time.perf_counter() - start)
    p50, p95, base = percentile(times, 0.5), percentile(times, 0.95), statistics.median(full)
    print(f"1 MB {label} prompt over stdio: didChange sent → fresh hints received ({edits} edits)")
    print(f"  client-observed: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    print(f"  of which the protocol (same request, nothing changed): median {floor * 1000:.1f} ms")
    print(f"  ratio to a full recount ({base * 1000:.1f} ms): {base / p50:.1f}× at p50, "
          f"{base / p95:.1f}× at p95")  # fmt: skip


def build_workspace(root: Path, files: int) -> Path:
    rng = random.Random(11)
    for index in range(files):
        folder = root / "prompts" / f"team{index % 100}"
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.randint(300, 3000)
        body = english(size, seed=index)
        (folder / f"p{index}.txt").write_text(f"Prompt {index}.\n{body}\n")
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o-mini"\ncalls_per_month = 1000\noutput_tokens = 200\n'
    )
    return root / "prompts" / "team7" / "p7.txt"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def first_hints(root: Path, target: Path, cache: Path) -> tuple[float, float]:
    """Seconds from `initialize` to the first hints of `target`, and the server's RSS (MB)."""
    client, start = await start_server(root, cache)
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(types.TextDocumentIdentifier(target.as_uri()), WHOLE)
    )
    elapsed = time.perf_counter() - start
    assert hints, "no hints"
    # the whole workspace checked too (diagnostics computed), then the memory it holds
    await client.workspace_execute_command_async(types.ExecuteCommandParams("llmcost.check", []))
    assert client._server is not None
    memory = rss_mb(client._server.pid)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return elapsed, memory


def bench_workspace(tmp: Path, files: int) -> None:
    root = tmp / "big"
    start = time.perf_counter()
    target = build_workspace(root, files)
    print(f"\n{files:,} prompt files generated in {time.perf_counter() - start:.1f} s")
    cache = tmp / "cache-ws"
    cold, rss_cold = asyncio.run(first_hints(root, target, cache))
    warm, rss_warm = asyncio.run(first_hints(root, target, cache))
    # baseline: reading every file's bytes, the I/O no index can skip
    start = time.perf_counter()
    for path in root.rglob("*.txt"):
        path.read_bytes()
    io_floor = time.perf_counter() - start
    print(f"  time to first hints, cold: {cold:.2f} s; warm (persistent cache): {warm:.2f} s")
    print(
        f"  warm is {cold / warm:.1f}× faster than cold; reading the bytes alone: {io_floor:.2f} s"
    )
    print(
        f"  server RSS with {files:,} files indexed: {max(rss_cold, rss_warm):.0f} MB (goal ≤ 250)"
    )


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        bench_edit(tmp, "English-like", english(1_000_000, seed=7))
        bench_edit(tmp, "code-like", code(1_000_000, seed=7))
        bench_edit_over_stdio(tmp, "English-like", english(1_000_000, seed=7))
        bench_workspace(tmp, files)


if __name__ == "__main__":
    main()
