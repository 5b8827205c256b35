"""The language server on source code: the cost at each LLM call, its hover, budget diagnostics
at the call, the switch-model fix editing the model literal, edits and half-written code."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsp_helpers import WHOLE, hints, label, open_doc, replace_all, wait_for
from lsprotocol import types
from test_code_actions import actions_for

from conftest import apply_workspace_edit

SEARCH = '''\
from pathlib import Path

from openai import OpenAI

client = OpenAI()
SYSTEM_PROMPT = """You are the search assistant of an online bookshop. Answer from the catalogue
excerpt only. Quote titles exactly. If the excerpt does not answer, say so in one sentence."""


def answer(question: str) -> str:
    response = client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Question: {question}"},
        ],
    )
    return response.choices[0].message.content


def triage(ticket: str) -> str:
    system = Path("prompts/triage.txt").read_text()
    return client.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "system", "content": system}])
'''

MANIFEST = """\
[defaults]
calls_per_month = 100000
output_tokens = 300

[prompts."app/search.py::answer"]
variables = { question = 40 }
budget_monthly_usd = 50
"""


def workspace(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "prompts").mkdir()
    (root / "app" / "search.py").write_text(SEARCH)
    (root / "app" / "plain.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "prompts" / "triage.txt").write_text("Sort the ticket: billing, bug or other.\n")
    (root / "llm-cost.toml").write_text(MANIFEST)
    return root


def python_doc(client: Any, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri, "python", 1, path.read_text() if text is None else text)
        )
    )
    return uri


async def test_cost_hover_and_budget_diagnostic_at_the_call(client: Any, tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws")
    await client.start(root)
    source = root / "app" / "search.py"
    uri = python_doc(client, source)
    found = await hints(client, uri)
    by_line = {h.position.line: label(h) for h in found}
    # the two `create(` lines (0-based); the second sends prompts/triage.txt: its cost
    assert sorted(by_line) == [10, 22]
    assert by_line[10].endswith("/mo") and "tok" in by_line[10]
    assert found[0].position.character == len(SEARCH.splitlines()[10])  # at the line's end
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(10, 8))
    )
    assert hover is not None
    value = hover.contents.value  # type: ignore[union-attr]
    assert "app/search.py::answer" in value and "code: literal at app/search.py:12" in value
    away = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(5, 0))
    )
    assert away is None
    await wait_for(
        lambda: any(d.code == "budget-exceeded" for d in client.diagnostics.get(uri, []))
    )
    breach = next(d for d in client.diagnostics[uri] if d.code == "budget-exceeded")
    assert breach.range.start.line == 10


async def test_switch_model_fix_edits_the_literal_in_code(client: Any, tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws")
    await client.start(root)
    source = root / "app" / "search.py"
    uri = python_doc(client, source)
    await wait_for(
        lambda: any(d.code == "budget-exceeded" for d in client.diagnostics.get(uri, []))
    )
    breach = [d for d in client.diagnostics[uri] if d.code == "budget-exceeded"]
    actions = await actions_for(client, uri, breach, line=10)
    titles = [a.title for a in actions]
    assert titles and all(t.startswith("Switch 'app/search.py::answer' to ") for t in titles)
    fix = actions[0]
    assert fix.edit is not None
    touched = apply_workspace_edit(fix.edit)
    assert touched == [source]  # the code, not llm-cost.toml
    line = source.read_text().splitlines()[11]
    chosen = line.split('"')[1]
    assert line == f'        model="{chosen}",' and chosen != "gpt-4o"
    assert chosen.startswith(("gpt-", "o")), chosen  # an OpenAI client: OpenAI models only
    replace_all(client, uri, 2, source.read_text())
    await wait_for(
        lambda: not any(d.code == "budget-exceeded" for d in client.diagnostics.get(uri, []))
    )


async def test_edits_move_the_hint_and_half_written_code_keeps_it(
    client: Any, tmp_path: Path
) -> None:
    root = workspace(tmp_path / "ws")
    await client.start(root)
    source = root / "app" / "search.py"
    uri = python_doc(client, source)
    before = {h.position.line: label(h) for h in await hints(client, uri)}
    replace_all(client, uri, 2, "# moved\n# down\n" + SEARCH.replace('"gpt-4o"', '"gpt-4o-mini"'))
    after = {h.position.line: label(h) for h in await hints(client, uri)}
    assert sorted(after) == [12, 24] and after[12] != before[10]  # cheaper model, moved down
    broken = "# moved\n# down\n" + SEARCH.replace("def triage(ticket: str)", "def triage(ticket")
    replace_all(client, uri, 3, broken)
    kept = {h.position.line: label(h) for h in await hints(client, uri)}
    assert kept == after  # the last good parse stays
    await wait_for(
        lambda: any(
            d.code == "code-syntax" and "parsing stopped at line 23" in d.message
            for d in client.diagnostics.get(uri, [])
        )
    )


async def test_plain_code_and_odd_sources_never_break_the_server(
    client: Any, tmp_path: Path
) -> None:
    root = workspace(tmp_path / "ws")
    (root / "app" / "huge_generated.py").write_text(
        "import openai\n" + "".join(f"X{i} = {i}\n" for i in range(100_000))
    )
    (root / "app" / "latin1.py").write_bytes(b"import openai\nNAME = 'caf\xe9'\n")
    (root / "app" / "deep.py").write_text("import openai\nx = " + "[" * 4000 + "]" * 4000 + "\n")
    (root / "web").mkdir()
    (root / "web" / "bundle.js").write_text(
        'import OpenAI from "openai";' + "var a=1;" * 50_000 + "function f(" * 10
    )
    await client.start(root)
    plain = root / "app" / "plain.py"
    uri = python_doc(client, plain)
    assert await hints(client, uri) == []
    for name in ("huge_generated.py", "deep.py"):
        other = python_doc(client, root / "app" / name)
        assert await hints(client, other) == []
    search = python_doc(client, root / "app" / "search.py")
    assert len(await hints(client, search)) == 2  # still answering
    result = await client.text_document_inlay_hint_async(
        types.InlayHintParams(types.TextDocumentIdentifier((root / "web" / "bundle.js").as_uri()),
                              WHOLE)
    )  # fmt: skip
    assert not result


ROUTE = """\
import { generateText } from "ai";
import { openai } from "@ai-sdk/openai";
import { SYSTEM, greeting } from "./prompts";

export async function answer(question: string) {
  return generateText({
    model: openai("gpt-4o"),
    system: SYSTEM,
    prompt: greeting(question),
  });
}
"""
PROMPTS_TS = """\
export const SYSTEM = `You are the bookshop's assistant. Answer from the catalogue excerpt only.`;
export const greeting = (name: string) => `Hello, here is the question: ${name}`;
"""


async def test_a_typescript_call_shows_its_cost_lens_and_hover_and_follows_its_imports(
    client: Any, tmp_path: Path
) -> None:
    """Hint, code lens and hover at a TypeScript call whose text is imported from another
    module; an edit of that module (unsaved, in the editor) refreshes the call's hint."""
    from test_editor_views import lenses

    root = workspace(tmp_path / "ws")
    (root / "web").mkdir()
    (root / "web" / "route.ts").write_text(ROUTE)
    (root / "web" / "prompts.ts").write_text(PROMPTS_TS)
    await client.start(root)
    uri = open_doc(client, root / "web" / "route.ts")
    [hint] = await hints(client, uri)
    assert hint.position.line == 5  # the `generateText(` line
    [lens] = await lenses(client, uri)
    assert lens.range.start.line == 5 and lens.command is not None
    assert lens.command.arguments[0]["promptId"] == "web/route.ts::answer"
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(5, 12))
    )
    assert hover is not None
    assert "web/route.ts::answer" in hover.contents.value  # type: ignore[union-attr]
    prompts_uri = open_doc(client, root / "web" / "prompts.ts")
    longer = PROMPTS_TS.replace("only.", "only. Quote titles exactly." * 20)
    replace_all(client, prompts_uri, 2, longer)

    async def relabelled() -> bool:
        return [label(h) for h in await hints(client, uri)] != [label(hint)]

    for _ in range(50):
        if await relabelled():
            break
        await asyncio.sleep(0.1)
    [after] = await hints(client, uri)
    tokens = int(label(after).split(" tok")[0].replace(",", "").lstrip("≈ "))
    assert tokens > int(label(hint).split(" tok")[0].replace(",", "").lstrip("≈ ")) + 80
