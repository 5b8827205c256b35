"""What the editors show beside hints: code lenses (monthly cost first), the prompt list behind
VS Code's "Prompts by cost" view, the breakdown view, and a first run without llm-cost.toml."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

from lsp_helpers import open_doc, wait_for
from lsprotocol import types
from test_code_actions import actions_for

from llmcost_lsp.core.numbers import usd as money

CREATE = "Create llm-cost.toml for this workspace (llm-cost init)"


async def lenses(client: Any, uri: str) -> list[types.CodeLens]:
    found = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri))
    )
    return list(found or [])


async def execute(client: Any, command: str, *arguments: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command, arguments=list(arguments))
    )


def usd(value: str) -> str:
    return f"${Decimal(value):,.2f}"


async def test_a_code_lens_puts_the_monthly_cost_first_above_a_long_first_line(
    client: Any, ws: Path
) -> None:
    await client.start(ws)
    triage = ws / "prompts/support/triage.txt"
    assert len(triage.read_text().splitlines()[0]) > 80  # an end-of-line hint would be cut
    listed = await execute(client, "llmcost.prompts")
    row = next(r for r in listed["folders"][0]["prompts"] if r["id"] == "support/triage")
    [lens] = await lenses(client, open_doc(client, triage))
    assert lens.range.start == types.Position(0, 0)
    assert lens.command is not None
    title = lens.command.title
    assert title.startswith(f"{usd(row['monthlyUsd'])}/mo · $"), title
    assert title.endswith(f"{row['inputTokens']:,} tok"), title
    assert lens.command.command == "llm-cost.showPromptBreakdown"
    [argument] = lens.command.arguments
    assert argument["promptId"] == "support/triage"
    # what the click opens: the breakdown of that prompt
    shown = await execute(client, "llmcost.breakdown", argument)
    assert shown["markdown"].startswith("**llm-cost · support/triage**")


async def test_the_manifest_has_a_lens_on_each_prompt_table(client: Any, ws: Path) -> None:
    await client.start(ws)
    manifest = ws / "llm-cost.toml"
    found = await lenses(client, open_doc(client, manifest))
    lines = manifest.read_text().splitlines()
    headers = {lines[lens.range.start.line] for lens in found}
    assert '[prompts."search/answer"]' in headers or "[prompts.classify]" in headers, headers
    assert all(lens.command and "/mo" in lens.command.title for lens in found)


async def test_the_prompt_list_is_sorted_by_monthly_cost_with_budgets(
    client: Any, ws: Path
) -> None:
    await client.start(ws, scenario="launch")
    listed = await execute(client, "llmcost.prompts")
    [folder] = listed["folders"]
    assert folder["scenario"] == "launch" and folder["hasManifest"] is True
    rows = folder["prompts"]
    costs = [Decimal(r["monthlyUsd"]) for r in rows if r["monthlyUsd"] is not None]
    assert costs == sorted(costs, reverse=True)
    assert sum(costs) == Decimal(folder["monthlyUsd"])
    answer = next(r for r in rows if r["id"] == "search/answer")
    assert answer["state"] == "over-budget" and answer["budgetMonthlyUsd"] is not None
    assert Decimal(answer["budgetShare"]) > 1
    # the check says the same: its breach is the list's over-budget prompt
    checked = await execute(client, "llmcost.check")
    over = {i["message"].split("'")[1] for i in checked["folders"][0]["issues"]
            if i["code"] == "budget-exceeded"}  # fmt: skip
    assert over == {r["id"] for r in rows if r["state"] == "over-budget"}
    # every amount comes as the text people see, from the one money formatter: the editors
    # show these as they are (no formatter of their own, so no second rounding rule)
    assert answer["monthlyText"] == money(Decimal(answer["monthlyUsd"]))
    assert answer["budgetText"] == money(Decimal(answer["budgetMonthlyUsd"])) == "$2,500.00"
    assert answer["perCallText"] == money(Decimal(answer["perCallUsd"]), per_call=True)
    assert folder["monthlyText"] == listed["monthlyText"] == money(Decimal(folder["monthlyUsd"]))
    assert checked["monthlyText"] == checked["folders"][0]["monthlyText"] == folder["monthlyText"]


async def test_the_hover_and_the_quick_fixes_offer_the_same_cheaper_models(
    client: Any, ws: Path
) -> None:
    await client.start(ws, scenario="launch")
    prompt = ws / "prompts/search/answer.prompt.md"
    await wait_for(
        lambda: any(
            d.code == "budget-exceeded" for d in client.diagnostics.get(prompt.as_uri(), [])
        )
    )
    breach = next(d for d in client.diagnostics[prompt.as_uri()] if d.code == "budget-exceeded")
    fixes = await actions_for(client, prompt.as_uri(), [breach])
    offered = [
        a.title.split(" to ")[1].split(" ")[0] for a in fixes if a.title.startswith("Switch")
    ]
    shown = await execute(client, "llmcost.breakdown", {"promptId": "search/answer"})
    table = shown["markdown"].split("**Cheaper models for this prompt**")[1]
    listed = [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]
    assert offered and listed == offered


async def test_a_first_run_without_manifest_is_quiet_and_offers_the_fix(
    client: Any, ws: Path
) -> None:
    (ws / "llm-cost.toml").unlink()
    shutil.rmtree(ws / "code-app")
    await client.start(ws)
    prompt = ws / "prompts/support/triage.txt"
    uri = open_doc(client, prompt)
    await wait_for(lambda: bool(client.diagnostics.get(uri)))
    published = [d for ds in client.diagnostics.values() for d in ds]
    severities = {d.severity for d in published}
    assert types.DiagnosticSeverity.Error not in severities, published
    # one summary per file, naming the quick fix; the details as hints
    summaries = [d for d in client.diagnostics[uri] if d.code == "no-manifest"]
    assert len(summaries) == 1 and "Create llm-cost.toml" in summaries[0].message
    assert summaries[0].severity == types.DiagnosticSeverity.Information
    assert all(
        d.severity == types.DiagnosticSeverity.Hint
        for d in client.diagnostics[uri]
        if d.code not in ("no-manifest", "unknown-model")
    )
    # Ctrl+. asks for quick fixes: the init action is one (and the preferred one)
    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            context=types.CodeActionContext(
                diagnostics=summaries, only=[types.CodeActionKind.QuickFix]
            ),
        )
    )
    titles = [a.title for a in found or []]
    assert titles == [CREATE]
    # the list says there is no manifest, and the lens offers to create it
    listed = await execute(client, "llmcost.prompts")
    assert listed["folders"][0]["hasManifest"] is False
    checked = await execute(client, "llmcost.check")
    assert checked["folders"][0]["hasManifest"] is False


async def test_export_to_a_file_the_user_chose_anywhere(
    client: Any, ws: Path, tmp_path: Path
) -> None:
    """The save dialog's choice (a URI) may be outside the workspace; a relative `path` not."""
    await client.start(ws)
    target = tmp_path / "exports" / "focus.csv"
    result = await execute(
        client, "llmcost.exportFocus", {"period": "2026-11", "uri": target.as_uri()}
    )
    assert target.is_file() and result["rows"] > 0
