"""The language server under a burst of edits and over a long session, over raw JSON-RPC.

1. Storm: 5,000 incremental didChange notifications on a 200 KB document, written back to back,
   then an inlay hint request: seconds from the last change written to the hint received, as a
   ratio to the same server's answer to a hint after one edit when idle (same run). The hint's
   token count is checked against a fresh count of the client's final text.
2. Peak RSS (VmHWM) of the server over the storm.
3. Notifications that must leave nothing behind: RSS growth over 30,000 didClose of a
   document outside the workspace (pygls 2.1.1 kept 2.8 KB per notification).
4. Soak (--soak SECONDS), as the reliability probe ran it: ten small prompts and the 200 KB one
   open, an edit every 1/12 s (about 9 a second with the hints) and one hint per second, a small
   prompt closed and opened again every 20 s; RSS every minute, the hints' latency (median, p95,
   max) and the last hint against a fresh count. --soak-only skips 1-3: the soak starts from a
   fresh server.

Run: python benchmarks/bench_lsp_storm.py [--soak 600 [--soak-only]] [--src PATH]
(--src runs the server from another checkout's src/, e.g. main's, for a before/after.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from queue import Empty, Queue
from typing import Any

# ASCII, Latin, Greek and CJK (all in the BMP: one UTF-16 unit per character) and a placeholder
WORDS = (
    *("the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "seven"),
    *("naïve", "café", "Ωμέγα", "日本語の文章", "{topic}", "데이터", "wizards", "judge"),
)


class Client:
    """A JSON-RPC client over a server's stdio: requests wait for their answer."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env,
        )  # fmt: skip
        self.answers: Queue[dict[str, Any]] = Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if not line.strip():
                    break
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:  # a server request: answer null
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                self.answers.put(message)

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 600) -> Any:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            try:
                answer = self.answers.get(timeout=max(0.01, deadline - time.monotonic()))
            except Empty:
                raise TimeoutError(method) from None
            if answer.get("id") == self.next_id:
                return answer.get("result")

    def rss_mb(self, field: str = "VmRSS") -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=30)
            self.notify("exit", None)
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


def position(text: str, offset: int) -> dict[str, int]:
    line = text.count("\n", 0, offset)
    return {"line": line, "character": offset - (text.rfind("\n", 0, offset) + 1)}


def random_edit(text: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    """One insert, delete or replace (ASCII text: UTF-16 units are characters)."""
    start = rng.randrange(len(text))
    end = min(len(text), start + rng.choice((0, 0, 1, 5, 20)))
    new = " ".join(rng.choices(WORDS, k=rng.randrange(0, 4))) + rng.choice(("", " ", "\n"))
    change = {"range": {"start": position(text, start), "end": position(text, end)}, "text": new}
    return text[:start] + new + text[end:], change


def fresh_tokens(tmp: Path, text: str, env: dict[str, str]) -> int:
    """The input tokens `llm-cost estimate` counts for `text` in a fresh workspace."""
    fresh = tmp / "fresh"
    (fresh / "prompts").mkdir(parents=True, exist_ok=True)
    (fresh / "prompts" / "big.txt").write_text(text)
    (fresh / "llm-cost.toml").write_text((tmp / "llm-cost.toml").read_text())
    done = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", "estimate", str(fresh), "-f", "json",
         "--no-cache", "--allow-stale"],
        capture_output=True, env=env, check=True,
    )  # fmt: skip
    prompt = json.loads(done.stdout)["prompts"][0]
    return int(prompt["estimate"]["tokens"]["input"])


def did_open(client: Client, uri: str, text: str) -> None:
    document = {"uri": uri, "languageId": "plaintext", "version": 1, "text": text}
    client.notify("textDocument/didOpen", {"textDocument": document})


def did_change(client: Client, uri: str, version: int, change: dict[str, Any]) -> None:
    document = {"uri": uri, "version": version}
    client.notify("textDocument/didChange", {"textDocument": document, "contentChanges": [change]})


def hint_tokens(client: Client, uri: str, text: str) -> Any:
    end = position(text, len(text))
    return client.request(
        "textDocument/inlayHint",
        {"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": end}},
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def soak(client: Client, tmp: Path, uri: str, text: str, seconds: float, rng: random.Random,
         env: dict[str, str]) -> None:  # fmt: skip
    """Edit for `seconds` as the probe did; print RSS per minute, hint latency, exactness."""
    small = []
    for index in range(10):
        path = tmp / "prompts" / f"small{index}.txt"
        path.write_text(f"Small prompt {index}: summarise {{topic}} for the reader.\n")
        small.append((path.as_uri(), path.read_text()))
        did_open(client, *small[-1])
    version, edits, reopened, latencies = 1_000_000, 0, 0, []
    start = time.monotonic()
    rss = [client.rss_mb()]
    next_hint, next_rss, next_reopen = start, start + 60, start + 20
    while (now := time.monotonic()) - start < seconds:
        text, change = random_edit(text, rng)
        version += 1
        edits += 1
        did_change(client, uri, version, change)
        if now >= next_hint:
            asked = time.perf_counter()
            hint_tokens(client, uri, text)
            latencies.append(time.perf_counter() - asked)
            next_hint += 1
        if now >= next_reopen:
            small_uri, small_text = small[reopened % len(small)]
            client.notify("textDocument/didClose", {"textDocument": {"uri": small_uri}})
            did_open(client, small_uri, small_text)
            reopened += 1
            next_reopen += 20
        if now >= next_rss:
            rss.append(client.rss_mb())
            next_rss += 60
        time.sleep(1 / 12)
    rss.append(client.rss_mb())
    hints = hint_tokens(client, uri, text)
    shown = int(str(hints[0]["label"]).split(" tok")[0].lstrip("≈").replace(",", ""))
    fresh = fresh_tokens(tmp, text, env)
    print(f"soak {seconds:.0f} s: {edits:,} edits, {len(latencies)} hints, {reopened} close/reopen")
    print("soak RSS (MB) at start, every minute, end: " + ", ".join(f"{r:.0f}" for r in rss))
    print(f"soak RSS growth {rss[-1] - rss[0]:+.0f} MB; peak {client.rss_mb('VmHWM'):.0f} MB")
    print(
        f"soak hint latency: median {percentile(latencies, 0.5) * 1000:.0f} ms, p95 "
        f"{percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(f"soak last hint {shown:,} tokens; fresh count {fresh:,}"
          + (" (equal)" if shown == fresh else " (DIFFERENT)"))  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores shared)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=5_000)
    parser.add_argument("--soak", type=float, default=0, help="seconds of editing soak")
    parser.add_argument("--soak-only", action="store_true", help="no storm before the soak")
    parser.add_argument("--src", help="run the server from this src/ folder")
    args = parser.parse_args()
    rng = random.Random(7)
    tmp = Path(tempfile.mkdtemp(prefix="storm-"))
    (tmp / "prompts").mkdir()
    text = ""
    while len(text) < 200_000:
        text += " ".join(rng.choices(WORDS, k=12)) + ".\n"
    (tmp / "prompts" / "big.txt").write_text(text)
    (tmp / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1000\noutput_tokens = 100\n'
    )
    env = {**os.environ, "LLMCOST_CACHE_DIR": str(tmp / "cache")}
    if args.src:
        env["PYTHONPATH"] = args.src
    client = Client([sys.executable, "-m", "llmcost_lsp"], env)
    uri = (tmp / "prompts" / "big.txt").as_uri()
    client.request("initialize", {"processId": None, "rootUri": tmp.as_uri(), "capabilities": {}})
    client.notify("initialized", {})
    did_open(client, uri, text)
    hint_tokens(client, uri, text)
    if args.soak_only:
        soak(client, tmp, uri, text, args.soak, rng, env)
        client.close()
        return
    version = 1
    # baseline: one edit, then a hint, when idle
    idle = []
    for _ in range(5):
        text, change = random_edit(text, rng)
        version += 1
        started = time.perf_counter()
        did_change(client, uri, version, change)
        hint_tokens(client, uri, text)
        idle.append(time.perf_counter() - started)
    baseline = sorted(idle)[len(idle) // 2]
    rss_start = client.rss_mb()
    started = time.perf_counter()
    for _ in range(args.changes):
        text, change = random_edit(text, rng)
        version += 1
        did_change(client, uri, version, change)
    written = time.perf_counter()
    hints = hint_tokens(client, uri, text)
    answered = time.perf_counter()
    label = hints[0]["label"] if hints else None
    fresh = fresh_tokens(tmp, text, env)
    shown = int(str(label).split(" tok")[0].lstrip("≈").replace(",", "")) if label else None
    print(f"hint {shown:,} tokens; a fresh `llm-cost estimate` of the final text: {fresh:,}"
          + (" (equal)" if shown == fresh else " (DIFFERENT)"))  # fmt: skip
    print(
        f"storm: {args.changes} changes written in {written - started:.1f} s; hint "
        f"{answered - written:.2f} s after the last one ({(answered - written) / baseline:.0f}x "
        f"an idle edit's {baseline * 1000:.0f} ms); hint {label!r}"
    )
    print(
        f"RSS: {rss_start:.0f} MB before the storm, peak {client.rss_mb('VmHWM'):.0f} MB, "
        f"{client.rss_mb():.0f} MB after"
    )
    before = client.rss_mb()
    for _ in range(30_000):
        client.notify("textDocument/didClose", {"textDocument": {"uri": "file:///nowhere/x.txt"}})
    client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                          "position": {"line": 0, "character": 0}})  # fmt: skip
    print(f"30,000 didClose outside the workspace: RSS {before:.0f} -> {client.rss_mb():.0f} MB")
    if args.soak:
        soak(client, tmp, uri, text, args.soak, rng, env)
    client.close()


if __name__ == "__main__":
    main()
