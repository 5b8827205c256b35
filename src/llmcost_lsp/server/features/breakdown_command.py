"""`llmcost.breakdown`: one prompt explained (the hover's markdown: breakdown, actuals, cheaper
models), for a breakdown view. Arguments: `[{"folder": URI?, "promptId": ID}]` or
`[{"uri": file URI, "line": 0-based line}]` (the prompt at a place, as the hover finds it)."""

from __future__ import annotations

from typing import Any

from llmcost_lsp.server.convert import uri_to_path
from llmcost_lsp.server.explain import explain
from llmcost_lsp.server.features.commands import Command, CommandError
from llmcost_lsp.server.lookup import place_at
from llmcost_lsp.server.state import Folder, LlmCostServer

NAME = "llmcost.breakdown"


def _prompt_at(ls: LlmCostServer, folder: Folder, uri: str, line: int) -> str | None:
    """Worker-side."""
    path, workspace = uri_to_path(uri), folder.workspace
    if path is None or workspace is None:
        return None
    place = place_at(workspace, path, line, ls.file_text(folder, workspace.relative(path)))
    return place.prompt_id if place else None


async def run(ls: LlmCostServer, args: list[Any]) -> dict[str, Any]:
    options = dict(args[0]) if args and isinstance(args[0], dict) else {}
    uri = options.get("uri") or options.get("folder")
    folder = ls.folder_for(uri) if isinstance(uri, str) else (ls.folders[0] if ls.folders else None)
    if folder is None:
        raise CommandError(f"{NAME}: no workspace folder for {uri!r}")
    await folder.ready.wait()
    prompt_id = options.get("promptId")
    if prompt_id is None and isinstance(options.get("uri"), str):
        line = options.get("line", 0)
        prompt_id = await ls.run(_prompt_at, ls, folder, options["uri"], int(line or 0))
    if not isinstance(prompt_id, str):
        raise CommandError(f"{NAME}: no prompt there (give promptId, or uri and line)")
    if folder.workspace is None or folder.workspace.prompt(prompt_id) is None:
        raise CommandError(f"{NAME}: unknown prompt {prompt_id!r}")
    markdown = await ls.run(explain, ls, folder, prompt_id)
    return {"promptId": prompt_id, "markdown": markdown}


COMMAND = Command(NAME, "llm-cost: the breakdown of one prompt", run)
