"""Code actions and commands: each applies a correct edit, and the re-check agrees."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from lsp_helpers import codes, hints, open_doc, wait_for
from lsprotocol import types

from conftest import apply_workspace_edit


def manifest_diagnostics(client: Any, ws: Path) -> list[types.Diagnostic]:
    return list(client.diagnostics.get((ws / "llm-cost.toml").as_uri(), []))


def notify_changed(
    client: Any, *paths: Path, kind: types.FileChangeType = types.FileChangeType.Changed
) -> None:
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(p.as_uri(), kind) for p in paths])
    )


async def actions_for(
    client: Any, uri: str, diagnostics: list[types.Diagnostic], line: int = 0
) -> list[types.CodeAction]:
    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=types.Range(types.Position(line, 0), types.Position(line, 0)),
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    return [_as_action(a) for a in found or []]


def _as_action(item: types.Command | types.CodeAction) -> types.CodeAction:
    """lsprotocol 2025.0.0's client-side hook reads any result with a `command` key as a
    Command, so a CodeAction carrying a command arrives as `Command(command="{...}")`."""
    if isinstance(item, types.CodeAction):
        return item
    if item.command.startswith("{"):
        inner = ast.literal_eval(item.command)
        return types.CodeAction(
            title=item.title,
            command=types.Command(
                inner["title"], inner["command"], arguments=inner.get("arguments")
            ),
        )
    return types.CodeAction(title=item.title, command=item)


async def test_switch_model_quick_fix_brings_prompt_under_budget(client: Any, ws: Path) -> None:
    await client.start(ws, scenario="launch")
    manifest = ws / "llm-cost.toml"
    await wait_for(lambda: "budget-exceeded" in codes(client, manifest))
    breach = next(d for d in manifest_diagnostics(client, ws) if d.code == "budget-exceeded")
    actions = await actions_for(client, manifest.as_uri(), [breach], breach.range.start.line)
    titles = [a.title for a in actions]
    assert titles and titles[0].startswith("Switch 'search/answer' to gpt-4o-mini (saves $")
    assert titles[0].endswith("/mo)")
    assert actions[0].kind == types.CodeActionKind.QuickFix and actions[0].edit is not None
    before = manifest.read_text()
    apply_workspace_edit(actions[0].edit)
    after = manifest.read_text()
    # only the model line of that prompt changed; every comment kept
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [('model = "gpt-4o"', 'model = "gpt-4o-mini"')]
    notify_changed(client, manifest)
    await wait_for(lambda: "budget-exceeded" not in codes(client, manifest))


async def test_switch_model_command_applies_through_the_client(client: Any, ws: Path) -> None:
    await client.start(ws, scenario="launch")
    manifest = ws / "llm-cost.toml"
    await wait_for(lambda: "budget-exceeded" in codes(client, manifest))
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            "llmcost.switchModel", [ws.as_uri(), "search/answer", "claude-haiku-4-5"]
        )
    )
    assert result["applied"] is True
    assert client.applied_edits
    entry = '[prompts."search/answer"]\npath = "prompts/search/answer.prompt.md"\n'
    assert entry + 'model = "claude-haiku-4-5"' in manifest.read_text()
    notify_changed(client, manifest)
    await wait_for(lambda: "budget-exceeded" not in codes(client, manifest))


async def test_switch_model_adds_model_when_the_entry_has_none(client: Any, ws: Path) -> None:
    manifest = ws / "llm-cost.toml"
    text = manifest.read_text()
    text = text.replace(
        "# the model (openai/gpt-4o-mini) and max_tokens (40) come from the file itself\n",
        '# the model comes from the file itself\nbudget_monthly_usd = "1"\n',
    )
    manifest.write_text(text)
    await client.start(ws)
    await wait_for(lambda: "budget-exceeded" in codes(client, manifest))
    breach = next(d for d in manifest_diagnostics(client, ws) if d.code == "budget-exceeded")
    actions = await actions_for(client, manifest.as_uri(), [breach], breach.range.start.line)
    if not actions:  # nothing cheaper fits a $1 budget: no action is the honest answer
        return
    apply_workspace_edit(actions[0].edit)
    assert "# the model comes from the file itself" in manifest.read_text()


async def test_init_code_action_creates_the_manifest(client: Any, ws: Path) -> None:
    (ws / "llm-cost.toml").unlink()
    await client.start(ws)
    prompt = ws / "prompts/support/triage.txt"
    uri = open_doc(client, prompt)
    actions = await actions_for(client, uri, [])
    init = [a for a in actions if a.command and a.command.command == "llmcost.init"]
    assert len(init) == 1
    assert init[0].command is not None
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(init[0].command.command, init[0].command.arguments)
    )
    manifest = ws / "llm-cost.toml"
    text = manifest.read_text()
    assert '[prompts."support/triage"]' in text and 'path = "prompts/support/triage.txt"' in text
    # VS Code takes resource operations: created through applyEdit; Neovim's edits lack
    # documentChanges: the server writes the file itself, atomically
    expected = "applyEdit" if client.client_name == "visual-studio-code" else "written"
    assert result["applied"] == expected
    # the same text `llm-cost init` writes
    from llmcost_lsp.core.init import plan_init

    assert not plan_init(ws).changed
    # no manifest any more: the action is gone
    assert not [
        a
        for a in await actions_for(client, uri, [])
        if a.command and a.command.command == "llmcost.init"
    ]


AZURE_PROMPT = """---
name: triage
model:
  api: chat
  configuration:
    type: azure_openai
    azure_deployment: gpt4o-prod
---
system:
You triage support tickets into one of five queues.

user:
{{ticket}}
"""


async def _unknown_deployment(client: Any, prompt: Path) -> types.Diagnostic:
    uri = prompt.as_uri()
    await wait_for(lambda: "unknown-model" in codes(client, prompt))
    found = next(d for d in client.diagnostics[uri] if d.code == "unknown-model")
    assert found.data == {"promptId": "triage", "model": "gpt4o-prod"}  # the name as written
    return found


async def test_an_azure_deployment_is_mapped_in_the_manifests_models_table(
    client: Any, ws: Path
) -> None:
    """`azure_deployment: gpt4o-prod` is a name the user chose: Ctrl+. offers to map it to the
    model it runs (gpt-4o first: the deployment words left out), written in [models]."""
    prompt = ws / "prompts" / "triage.prompty"
    prompt.write_text(AZURE_PROMPT)
    await client.start(ws)
    unknown = await _unknown_deployment(client, prompt)
    actions = await actions_for(client, prompt.as_uri(), [unknown], unknown.range.start.line)
    mapped = [a for a in actions if a.title.startswith("Map 'gpt4o-prod' to ")]
    assert mapped[0].title == "Map 'gpt4o-prod' to gpt-4o in llm-cost.toml [models]"
    assert mapped[0].is_preferred and mapped[0].kind == types.CodeActionKind.QuickFix
    manifest = ws / "llm-cost.toml"
    before = manifest.read_text()
    assert mapped[0].edit is not None
    apply_workspace_edit(mapped[0].edit)
    after = manifest.read_text()
    assert after.startswith(before)  # every line and comment kept, the table added at the end
    assert after[len(before) :].strip() == '[models]\ngpt4o-prod = "gpt-4o"'
    notify_changed(client, manifest)
    await wait_for(lambda: "unknown-model" not in codes(client, prompt))
    from llmcost_lsp.core.workspace import Workspace

    workspace = Workspace(ws, use_persistent_cache=False)
    workspace.load()
    estimate = workspace.result("triage").estimate
    assert estimate is not None and estimate.model_entry.id == "gpt-4o"


async def test_on_a_first_run_mapping_a_deployment_also_creates_the_manifest(
    client: Any, ws: Path
) -> None:
    (ws / "llm-cost.toml").unlink()
    prompt = ws / "prompts" / "triage.prompty"
    prompt.write_text(AZURE_PROMPT)
    await client.start(ws)
    unknown = await _unknown_deployment(client, prompt)
    actions = await actions_for(client, prompt.as_uri(), [unknown], unknown.range.start.line)
    titles = [a.title for a in actions]
    assert "Map 'gpt4o-prod' to gpt-4o in a new llm-cost.toml [models]" in titles, titles
    mapped = actions[titles.index("Map 'gpt4o-prod' to gpt-4o in a new llm-cost.toml [models]")]
    assert mapped.command is not None and mapped.command.command == "llmcost.init"
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(mapped.command.command, mapped.command.arguments)
    )
    text = (ws / "llm-cost.toml").read_text()
    assert '[prompts."support/triage"]' in text  # init mapped every prompt
    assert '[models]\ngpt4o-prod = "gpt-4o"' in text
    await wait_for(lambda: "unknown-model" not in codes(client, prompt))


async def test_check_command_returns_findings_and_shows_summary(client: Any, ws: Path) -> None:
    (ws / "prompts" / "notes.py").write_text("print('not a prompt')\n")
    await client.start(ws, scenario="launch")
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("llmcost.check", [])
    )
    (folder,) = result["folders"]
    assert folder["exitCode"] == 1 and folder["scenario"] == "launch"
    assert "budget-exceeded" in {i["code"] for i in folder["issues"]}
    # the same coverage counts as the CLI's last line, for the editors' status
    line = "5 prompts found: 5 estimated; 1 file skipped (--show-skipped)"
    assert folder["coverageLine"] == line
    assert folder["coverage"]["prompts"] == 5 and folder["coverage"]["skipped_files"] == 1
    assert folder["skipped"] == [
        {"path": "prompts/notes.py", "reason": "not a prompt format (extension .py)"}
    ]
    await wait_for(lambda: any(line in m.message for m in client.messages))


async def test_select_scenario_by_argument_and_by_choice(client: Any, ws: Path) -> None:
    await client.start(ws)
    manifest = ws / "llm-cost.toml"
    uri = open_doc(client, ws / "prompts/search/answer.prompt.md")
    baseline = (await hints(client, uri))[0].label
    assert "budget-exceeded" not in codes(client, manifest)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("llmcost.selectScenario", ["launch"])
    )
    assert result == {"scenario": "launch"}
    await wait_for(lambda: "budget-exceeded" in codes(client, manifest))
    assert (await hints(client, uri))[0].label != baseline
    client.choose = "baseline"
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("llmcost.selectScenario", [])
    )
    assert result == {"scenario": "baseline"}
    await wait_for(lambda: "budget-exceeded" not in codes(client, manifest))
    assert (await hints(client, uri))[0].label == baseline


async def test_commands_are_listed_in_capabilities(client: Any, ws: Path) -> None:
    result = await client.start(ws)
    commands = set(result.capabilities.execute_command_provider.commands)
    assert {
        "llmcost.init",
        "llmcost.switchModel",
        "llmcost.check",
        "llmcost.selectScenario",
    } <= commands


async def test_quick_fixes_survive_an_only_quickfix_filter(client: Any, ws: Path) -> None:
    """VS Code's light bulb asks with `only: ["quickfix"]`; the swap must still be offered."""
    await client.start(ws, scenario="launch")
    manifest = ws / "llm-cost.toml"
    await wait_for(lambda: "budget-exceeded" in codes(client, manifest))
    breach = next(d for d in manifest_diagnostics(client, ws) if d.code == "budget-exceeded")
    # the prompt travels with the diagnostic (ruff's pattern): no re-reading of the manifest
    assert breach.data == {"promptId": "search/answer"}
    line = breach.range.start.line
    for only, expect in (([types.CodeActionKind.QuickFix], True), (["refactor"], False)):
        found = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(manifest.as_uri()),
                range=types.Range(types.Position(line, 0), types.Position(line, 0)),
                context=types.CodeActionContext(diagnostics=[breach], only=only),
            )
        )
        titles = [a.title for a in found or []]
        assert any(t.startswith("Switch 'search/answer'") for t in titles) is expect, titles


async def test_export_focus_command_writes_what_the_cli_writes(
    client: Any, ws: Path, tmp_path: Path
) -> None:
    """`llmcost.exportFocus` and `llm-cost export focus` produce the same file."""
    import subprocess
    import sys

    await client.start(ws, scenario="launch")
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            "llmcost.exportFocus", [{"period": "2026-11", "path": "out/focus.csv"}]
        )
    )
    written = ws / "out" / "focus.csv"
    assert result["rows"] > 0 and result["scenario"] == "launch" and result["period"] == "2026-11"
    assert written.is_file()
    await wait_for(lambda: any("FOCUS 1.2 export" in m.message for m in client.messages))
    cli = tmp_path / "cli.csv"
    done = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", "export", "focus", str(ws),
         "--period", "2026-11", "--scenario", "launch", "-o", str(cli), "--allow-stale"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert cli.read_text() == written.read_text()
    escape = types.ExecuteCommandParams("llmcost.exportFocus", [{"path": "../elsewhere.csv"}])
    with pytest.raises(Exception, match="outside the workspace"):
        await client.workspace_execute_command_async(escape)
    assert not (ws.parent / "elsewhere.csv").exists()


async def test_breach_on_the_prompt_file_offers_the_same_quick_fix(client: Any, ws: Path) -> None:
    await client.start(ws, scenario="launch")
    prompt = ws / "prompts" / "search" / "answer.prompt.md"
    await wait_for(lambda: "budget-exceeded" in codes(client, prompt))
    breach = next(d for d in client.diagnostics[prompt.as_uri()] if d.code == "budget-exceeded")
    actions = await actions_for(client, prompt.as_uri(), [breach])
    assert actions and actions[0].title.startswith("Switch 'search/answer' to ")
    assert actions[0].edit is not None
    apply_workspace_edit(actions[0].edit)
    notify_changed(client, ws / "llm-cost.toml")
    await wait_for(lambda: "budget-exceeded" not in codes(client, prompt))
