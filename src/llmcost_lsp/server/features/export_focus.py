"""`llmcost.exportFocus`: write the folder's estimate as a FOCUS CSV, the same file as
`llm-cost export focus` (one core call), then tell the user where it is.

Arguments: `[{"folder": URI, "period": "YYYY-MM", "version": "1.2"|"1.3", "path": FILE,
"uri": FILE URI}]`, all optional: the first folder, the current month, FOCUS 1.2,
`<folder>/llm-cost-focus-<period>.csv`. `path` is relative to the folder and stays inside it;
`uri` is a file the user chose in the editor's save dialog, wherever it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types

from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.focus.export import BillingPeriod, ExportSummary, export_focus_file
from llmcost_lsp.server.convert import path_to_uri, uri_to_path
from llmcost_lsp.server.features.commands import Command, CommandError
from llmcost_lsp.server.state import Folder, LlmCostServer

NAME = "llmcost.exportFocus"


def _export(
    ls: LlmCostServer, folder: Folder, period: BillingPeriod | None, version: str, path: Path | None
) -> ExportSummary:
    """Worker-side."""
    if folder.workspace is None:
        raise CommandError(f"{folder.root} is not indexed")
    period = period or BillingPeriod.containing(ls.pricing_now())
    target = path or folder.root / f"llm-cost-focus-{period}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    return export_focus_file(
        folder.workspace,
        target,
        period=period,
        scenario=ls.config.scenario,
        version="1.3" if version == "1.3" else "1.2",
    )


async def run(ls: LlmCostServer, args: list[Any]) -> dict[str, Any]:
    options = dict(args[0]) if args and isinstance(args[0], dict) else {}
    uri = options.get("folder")
    folder = ls.folder_for(uri) if isinstance(uri, str) else (ls.folders[0] if ls.folders else None)
    if folder is None:
        raise CommandError("no workspace folder to export")
    version = str(options.get("version") or "1.2")
    if version not in ("1.2", "1.3"):
        raise CommandError(f"llmcost.exportFocus: FOCUS version {version!r} is not 1.2 or 1.3")
    await folder.ready.wait()
    try:
        period = BillingPeriod.parse(options["period"]) if options.get("period") else None
        raw_path = options.get("path")
        path = (folder.root / raw_path).resolve() if isinstance(raw_path, str) else None
        if path is not None and not path.is_relative_to(folder.root.resolve()):
            raise CommandError(f"llmcost.exportFocus: {raw_path!r} is outside the workspace")
        chosen = options.get("uri")
        if isinstance(chosen, str):
            path = uri_to_path(chosen)
            if path is None:
                raise CommandError(f"llmcost.exportFocus: {chosen!r} is not a file URI")
        summary = await ls.run(_export, ls, folder, period, version, path)
    except LlmCostError as error:
        raise CommandError(str(error)) from None
    left_out = ", ".join(item.prompt_id for item in summary.left_out)
    message = (
        f"FOCUS {summary.version} export: {summary.rows} rows for {summary.prompts} prompts "
        f"({summary.period}, scenario {summary.scenario}) written to {summary.path}"
        + (f"; left out (no monthly cost): {left_out}" if left_out else "")
    )
    ls.window_show_message(types.ShowMessageParams(types.MessageType.Info, message))
    return {
        "uri": path_to_uri(summary.path),
        "rows": summary.rows,
        "prompts": summary.prompts,
        "leftOut": [item.prompt_id for item in summary.left_out],
        "period": str(summary.period),
        "version": summary.version,
        "scenario": summary.scenario,
    }


COMMAND = Command(NAME, "llm-cost: export the estimate as FOCUS CSV", run)
