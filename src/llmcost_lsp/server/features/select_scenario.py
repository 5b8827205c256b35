"""`llmcost.selectScenario`: pick the scenario hints and diagnostics use (argument or a choice)."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from llmcost_lsp.server.features.commands import Command, CommandError
from llmcost_lsp.server.features.diagnostics import refresh
from llmcost_lsp.server.state import LlmCostServer

NAME = "llmcost.selectScenario"
BASELINE = "baseline"


def scenario_names(ls: LlmCostServer) -> list[str]:
    names = {BASELINE}
    for folder in ls.folders:
        if folder.workspace is not None:
            names.update(folder.workspace.scenario_names())
    return sorted(names)


async def run(ls: LlmCostServer, args: list[Any]) -> dict[str, Any]:
    """Arguments: [name?]; without one, the user picks from the manifests' scenarios."""
    for folder in ls.folders:
        await folder.ready.wait()
    names = scenario_names(ls)
    name = args[0] if args else None
    if name is None:
        choice = await ls.window_show_message_request_async(
            types.ShowMessageRequestParams(
                types.MessageType.Info,
                f"llm-cost scenario (now: {ls.config.scenario or 'default'})",
                [types.MessageActionItem(n) for n in names],
            )
        )
        if choice is None:
            return {"scenario": ls.config.scenario}
        name = choice.title
    if not isinstance(name, str) or name not in names:
        raise CommandError(f"unknown scenario {name!r}; defined: {', '.join(names)}")
    ls.config = ls.config.model_copy(update={"scenario": name})
    for folder in ls.folders:
        await refresh(ls, folder)
    return {"scenario": name}


COMMAND = Command(NAME, "llm-cost: select the scenario", run)
