"""`llmcost.diff` in the editor: the working tree with an unsaved edit against the default
branch, shown as a markdown document, and the changed prompt's hint saying `+$…/mo vs main`."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import hints, label, open_doc, replace_all
from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "diff"))
from diff_gitrepo import GitRepoBuilder

LONGER = "Classify the ticket, then explain every step of your reasoning in detail.\n" * 40


def git_workspace(ws: Path) -> GitRepoBuilder:
    """The example workspace committed on `main`, as a clone of a project would be."""
    builder = GitRepoBuilder(ws)
    builder.git("add", "-A")
    builder.commit({}, "examples")
    return builder


def command_of(item: types.Command | types.CodeAction) -> dict[str, Any]:
    """The command a code action runs. lsprotocol's client side reads a CodeAction that carries
    a command as `Command(command="{...}")` (see test_code_actions.py): undo that."""
    if isinstance(item, types.CodeAction):
        assert item.command is not None
        return {"command": item.command.command, "arguments": item.command.arguments}
    if item.command.startswith("{"):
        return dict(ast.literal_eval(item.command))
    return {"command": item.command, "arguments": item.arguments}


async def execute(client: Any, *arguments: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="llmcost.diff", arguments=list(arguments))
    )


async def test_diff_of_an_unsaved_edit_against_main(client: Any, ws: Path) -> None:
    git_workspace(ws)
    result = await client.start(ws)
    assert "llmcost.diff" in (result.capabilities.execute_command_provider.commands or [])
    triage = ws / "prompts/support/triage.txt"
    on_disk = triage.read_text()
    uri = open_doc(client, triage)
    replace_all(client, uri, 2, LONGER)  # not saved: only the editor has it

    answer = await execute(client)
    assert answer["base"].startswith("main (")
    changed = {p["id"]: p["changes"] for p in answer["prompts"]}
    assert changed == {"support/triage": ["content-changed"]}
    assert answer["headline"].startswith("+$") and answer["headline"].endswith("%)")
    markdown = answer["markdown"]
    assert markdown.startswith("<!-- llm-cost-diff -->\n### ✅ LLM cost: +$")
    assert "`support/triage`" in markdown
    assert answer["shown"] is True
    assert [s.uri for s in client.shown_documents] == [answer["uri"]]  # pytest-lsp records
    document = Path(answer["uri"].removeprefix("file://"))
    assert document.read_text(encoding="utf-8") == markdown
    assert triage.read_text() == on_disk  # the editor's buffer was diffed, the file untouched

    (hint,) = await hints(client, uri)
    assert label(hint).endswith("/mo vs main") and " · +$" in label(hint)
    # the code lens above it carries the same delta, after the monthly cost (never cut off)
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri))
    )
    [lens] = [lens for lens in lenses if lens.range.start.line == 0]
    assert lens.command.title.endswith(label(hint).rsplit(" · ", 1)[1]), lens.command.title
    assert lens.command.title.split(" · ")[0].endswith("/mo")
    other = open_doc(client, ws / "prompts/classify.prompt")
    assert "vs main" not in label((await hints(client, other))[0])

    # typing on: the delta follows the buffer without running the diff again
    replace_all(client, uri, 3, on_disk)
    (hint,) = await hints(client, uri)
    assert "vs main" not in label(hint)

    assert await execute(client, {"clear": True}) == {"cleared": True}
    replace_all(client, uri, 4, LONGER)
    (hint,) = await hints(client, uri)
    assert "vs main" not in label(hint)


async def test_code_action_on_the_manifest_and_prompts(client: Any, ws: Path) -> None:
    git_workspace(ws)
    await client.start(ws)
    for path in (ws / "llm-cost.toml", ws / "prompts/classify.prompt"):
        uri = open_doc(client, path)
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri),
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        commands = [command_of(a) for a in actions or []]
        diff = [c for c in commands if c["command"] == "llmcost.diff"]
        assert len(diff) == 1 and diff[0]["arguments"] == [{"folder": ws.as_uri()}]


async def test_a_base_missing_from_the_clone_is_an_error_with_the_fix(
    client: Any, ws: Path
) -> None:
    git_workspace(ws)
    await client.start(ws)
    with pytest.raises(Exception, match="git fetch --depth=1 origin release"):
        await execute(client, {"base": "origin/release"})
    answer = await execute(client, "HEAD")  # the server is still there and answers
    assert answer["prompts"] == [] and answer["headline"] == "no change"
