"""Prompts in source code: discovery cost on a large repository, and the editor's refresh.

1. A generated repository of N Python files (default 10,000; 5% call an LLM, in the shapes of
   docs/code-prompts.md; the rest are ordinary modules of similar size). Cold scan: `discover`
   with an empty scan cache (a byte search of every file, then `ast` and the call analysis of
   the files that name an LLM library). Baseline, in the same run: reading and `ast.parse` of
   every file. Warm scan: `discover` again in the same process, the content-hash scan cache
   filled (what the language server's re-index and `diff`'s two sides get).
2. The editor: an edit in an open `.py` (a word typed into the system prompt of a call) versus
   the same edit in a prompt file of the same text, each from the change to fresh hints
   (`_apply` then `compute_hints`, as the server's worker runs them), p50 and p95 of 100 edits
   of each kind, alternating so that both see the same load.

Run: python benchmarks/bench_code.py [FILES [EDITS]]  (FILES 0: the editor part only)
"""

from __future__ import annotations

import ast
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types

from llmcost_lsp.core.code import clear_cache
from llmcost_lsp.core.discovery import discover
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.workspace import Workspace
from llmcost_lsp.server.features.documents import _apply
from llmcost_lsp.server.features.inlay_hints import compute_hints
from llmcost_lsp.server.state import Folder, LlmCostServer

WHOLE = types.Range(types.Position(0, 0), types.Position(1_000_000, 0))
WORDS = [
    "customer", "order", "invoice", "shipment", "refund", "catalogue", "review", "answer",
    "question", "ticket", "account", "passage", "summary", "policy", "delivery", "address",
]  # fmt: skip

CALLS = [
    """
def {name}(question: str, passages: str) -> str:
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {{"role": "system", "content": SYSTEM_PROMPT}},
            {{"role": "user", "content": f"Passages:\\n{{passages}}\\n\\nQuestion: {{question}}"}},
        ],
    )
    return response.choices[0].message.content
""",
    """
def {name}(ticket: str) -> str:
    reply = anthropic_client.messages.create(
        model=os.getenv("MODEL", "claude-haiku-4-5"), max_tokens=50, system=SYSTEM_PROMPT,
        messages=[{{"role": "user", "content": ticket}}],
    )
    return reply.content[0].text
""",
    """
def {name}(text: str) -> str:
    return litellm.completion(
        model="gpt-4o-mini", messages=[("system", SYSTEM_PROMPT), ("user", text)]
    )
""",
    """
chain_{name} = ChatPromptTemplate.from_messages(
    [("system", SYSTEM_PROMPT), ("human", "{{question}}")]
) | ChatOpenAI(model="gpt-4o")


def {name}(question: str) -> str:
    return chain_{name}.invoke({{"question": question}})
""",
]
HEADER = '''"""Generated module {i}."""

import os

import anthropic
import litellm
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI
from openai import OpenAI

client = OpenAI()
anthropic_client = anthropic.Anthropic()
SYSTEM_PROMPT = """{system}"""
'''


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def ordinary_module(rng: random.Random, i: int) -> str:
    """~150 lines of plain code: classes, functions, comprehensions, no LLM library."""
    parts = [
        f'"""Module {i}: {sentence(rng, 8)}"""\n\nimport json\nfrom dataclasses import dataclass\n'
    ]
    for k in range(6):
        parts.append(
            f"""

@dataclass
class Record{k}:
    id: int
    name: str
    values: list[int]

    def total(self) -> int:
        return sum(v * {k + 1} for v in self.values if v > {k})

    def to_json(self) -> str:
        return json.dumps({{"id": self.id, "name": self.name, "total": self.total()}})


def load_{k}(rows: list[dict[str, object]]) -> list[Record{k}]:
    # {sentence(rng, 10)}
    found = []
    for row in rows:
        if row.get("kind") == "{rng.choice(WORDS)}":
            found.append(Record{k}(int(row["id"]), str(row["name"]), list(row["values"])))
    return sorted(found, key=lambda r: (r.total(), r.name))
"""
        )
    return "".join(parts)


def llm_module(rng: random.Random, i: int) -> str:
    system = "\n".join(sentence(rng, 14) for _ in range(6))
    body = HEADER.format(i=i, system=system)
    for k in range(rng.randint(1, 3)):
        body += CALLS[(i + k) % len(CALLS)].format(name=f"call_{k}")
    return body + ordinary_module(rng, i)[:2000].split("\n\n@dataclass")[0]


def generate(root: Path, files: int) -> tuple[list[Path], int]:
    rng = random.Random(15)
    paths: list[Path] = []
    calling = 0
    for i in range(files):
        folder = root / "src" / f"pkg{i // 200}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"module_{i}.py"
        if i % 20 == 7:  # 5%
            path.write_text(llm_module(rng, i))
            calling += 1
        else:
            path.write_text(ordinary_module(rng, i))
        paths.append(path)
    return paths, calling


def timed(function: object) -> float:
    start = time.perf_counter()
    function()  # type: ignore[operator]
    return time.perf_counter() - start


def bench_scan(root: Path, files: int) -> None:
    paths, calling = generate(root, files)
    size = sum(p.stat().st_size for p in paths)
    print(f"{files:,} Python files ({size / 1e6:.1f} MB), {calling:,} calling an LLM")

    def parse_all() -> None:
        for path in paths:
            ast.parse(path.read_bytes())

    def scan() -> None:
        result = discover(root)
        assert len({p.path for p in result.prompts}) == calling, "every calling file found"

    parse = min(timed(parse_all) for _ in range(2))
    cold_runs = []
    for _ in range(2):
        clear_cache()
        cold_runs.append(timed(scan))
    cold = min(cold_runs)
    warm = min(timed(scan) for _ in range(3))
    settings = Settings(cache_dir=root.parent / "scan-cache", config_dir=root.parent / "config")

    def stored_scan() -> None:
        clear_cache()  # a new process (a CLI run): only the persistent cache is warm
        result = discover(root, settings=settings)
        assert len({p.path for p in result.prompts}) == calling, "every calling file found"

    stored_scan()  # fills the persistent scan cache
    stored = min(timed(stored_scan) for _ in range(2))
    found = discover(root)
    print(f"  prompts found: {len(found.prompts):,} call sites in {calling:,} files")
    print(f"  baseline, read + ast.parse of every file: {parse:.2f} s")
    print(f"  cold scan (byte search + parse of the calling files): {cold:.2f} s "
          f"= {cold / parse:.2f}× the baseline")  # fmt: skip
    print(
        f"  warm scan (scan cache by content hash): {warm:.2f} s = {warm / parse:.2f}× the baseline"
    )
    print(
        f"  new process, scans from the persistent cache: {stored:.2f} s = "
        f"{stored / parse:.2f}× the baseline, {stored / cold:.2f}× the cold scan"
    )


EDITED_SYSTEM = "You answer questions about the catalogue. " * 40


def bench_refresh(tmp: Path, edits: int = 100) -> None:
    root = tmp / "refresh"
    (root / "app").mkdir(parents=True)
    (root / "prompts").mkdir()
    source = root / "app" / "search.py"
    code = (
        "from openai import OpenAI\n\nclient = OpenAI()\n"
        f'SYSTEM_PROMPT = """{EDITED_SYSTEM}"""\n\n\n'
        "def answer(question):\n"
        "    return client.chat.completions.create(\n"
        '        model="gpt-4o-mini",\n'
        '        messages=[{"role": "system", "content": SYSTEM_PROMPT}],\n'
        "    )\n"
    )
    source.write_text(code)
    prompt = root / "prompts" / "answer.txt"
    prompt.write_text(EDITED_SYSTEM + "\n")
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o-mini"\ncalls_per_month = 1000\noutput_tokens = 100\n'
    )
    settings = Settings(cache_dir=tmp / "cache", config_dir=tmp / "config")
    workspace = Workspace(root, settings=settings, use_persistent_cache=False)
    workspace.load()
    ls = LlmCostServer()
    folder = Folder(workspace.root, workspace)
    rng = random.Random(5)
    edited = {"prompt file": (prompt, EDITED_SYSTEM + "\n"), ".py call": (source, code)}
    for path, _ in edited.values():
        compute_hints(ls, folder, path, WHOLE)
    samples: dict[str, list[float]] = {label: [] for label in edited}
    for _ in range(edits):  # the two kinds alternate: both see the same load on a shared machine
        for label, (path, text) in edited.items():
            at = text.index("catalogue") + rng.randrange(0, 200)
            text = text[:at] + rng.choice(["x", "y ", "z"]) + text[at:]
            edited[label] = (path, text)
            start = time.perf_counter()
            _apply(folder, path, text)
            hints = compute_hints(ls, folder, path, WHOLE)
            samples[label].append(time.perf_counter() - start)
            assert hints, label
    results = {}
    for label, times in samples.items():
        ordered = sorted(times)
        p50, p95 = statistics.median(ordered), ordered[round(0.95 * (len(ordered) - 1))]
        results[label] = (p50, p95)
        print(f"  {label} edit → fresh hints: p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")
    (f50, f95), (c50, c95) = results["prompt file"], results[".py call"]
    print(f"  .py / prompt file: {c50 / f50:.2f}× at p50, {c95 / f95:.2f}× at p95")


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        if files:
            bench_scan(Path(tmp) / "repo", files)
        print("editor refresh after an edit (100 edits each, the same text sent by both)")
        bench_refresh(Path(tmp), edits=int(sys.argv[2]) if len(sys.argv) > 2 else 100)


if __name__ == "__main__":
    main()
