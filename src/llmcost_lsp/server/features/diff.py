"""`llmcost.diff`: the cost diff of the working tree, unsaved editor buffers included, against a
git base (default: the merge base with the default branch), through the same core as
`llm-cost diff`.

The markdown is written under the cache dir and opened with `window/showDocument` (VS Code and
Neovim both open a file URI; an untitled document is not portable); the command's result
carries the same markdown for clients without showDocument. Afterwards each changed prompt's
inlay hint ends with its live delta, `+$41/mo vs main`, until the next diff or `clear`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

from lsprotocol import types

from llmcost_lsp.core.diff.compare import compare_workspaces
from llmcost_lsp.core.diff.git import load_commit_workspace
from llmcost_lsp.core.diff.gitobjects import GitRepo
from llmcost_lsp.core.diff.model import CostDiff
from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.manifest import MANIFEST_FILENAME
from llmcost_lsp.present.diff import headline, render_markdown
from llmcost_lsp.server.baseline import Baseline
from llmcost_lsp.server.capabilities import shows_documents
from llmcost_lsp.server.convert import path_to_uri, uri_to_path
from llmcost_lsp.server.features.commands import Command, CommandError
from llmcost_lsp.server.features.diagnostics import refresh_annotations
from llmcost_lsp.server.state import Folder, LlmCostServer

log = logging.getLogger(__name__)
NAME = "llmcost.diff"
TITLE = "llm-cost: cost diff against the default branch"
_SHA = re.compile(r"[0-9a-f]{7,40}")


def _in_git(root: Path) -> bool:
    return any((folder / ".git").exists() for folder in (root, *root.parents))


def code_actions(ls: LlmCostServer, folder: Folder, uri: str) -> list[types.CodeAction]:
    """Worker-side: offered on the manifest and on prompt files of a folder inside git."""
    path = uri_to_path(uri)
    workspace = folder.workspace
    if workspace is None or path is None or not _in_git(folder.root):
        return []
    if workspace.relative(path) != MANIFEST_FILENAME and workspace.prompt_for_path(path) is None:
        return []
    title = "Show the cost diff against the default branch (llm-cost diff)"
    command = types.Command(
        title=title, command=NAME, arguments=[{"folder": path_to_uri(folder.root)}]
    )
    return [types.CodeAction(title=title, kind=types.CodeActionKind.Source, command=command)]


def _label(ref: str, commit: str) -> str:
    return commit[:7] if _SHA.fullmatch(ref.lower()) and commit.startswith(ref.lower()) else ref


def compute(ls: LlmCostServer, folder: Folder, base_ref: str | None) -> tuple[CostDiff, Baseline]:
    """Worker-side: load the base from git objects (sharing the head's token counter) and diff."""
    head = folder.workspace
    if head is None:
        raise CommandError(f"{folder.root} is not indexed")
    repo = GitRepo.containing(folder.root)
    try:
        if base_ref:
            commit = repo.resolve(base_ref)
            label = _label(base_ref, commit)
        else:
            commit, label = repo.default_base()
        base = load_commit_workspace(
            repo,
            commit,
            folder.root,
            db=head.db,
            counter=head.counter,
            settings=head.settings,
            pricing_date=head.pricing_date,
            parse=False,  # only the prompts that differ from the head are parsed
        )
        diff = compare_workspaces(
            base,
            head,
            ls.config.scenario,
            base_label=f"{label} ({repo.describe(commit)})" if label != commit[:7] else label,
            head_label="working tree (unsaved edits included)",
        ).diff
    except BaseException:
        repo.close()
        raise
    return diff, Baseline(label, repo, base)


def _document_path(folder: Folder) -> Path:
    assert folder.workspace is not None
    digest = hashlib.sha256(str(folder.root).encode()).hexdigest()[:8]
    name = re.sub(r"[^\w.-]+", "-", folder.root.name) or "workspace"
    return folder.workspace.settings.cache_dir / "diff" / f"{name}-{digest}.md"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".md.tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)


def _options(args: list[Any]) -> dict[str, Any]:
    """[{"base": REF, "folder": URI, "clear": bool, "open": bool}] or [REF]; all optional.
    `open: false`: the client renders the result itself (VS Code's rendered view)."""
    if args and isinstance(args[0], dict):
        return dict(args[0])
    if args and isinstance(args[0], str):
        return {"base": args[0]}
    return {}


async def run(ls: LlmCostServer, args: list[Any]) -> dict[str, Any]:
    options = _options(args)
    uri = options.get("folder")
    folder = ls.folder_for(uri) if isinstance(uri, str) else (ls.folders[0] if ls.folders else None)
    if folder is None:
        raise CommandError("no workspace folder to diff")
    await folder.ready.wait()
    if options.get("clear"):
        old = folder.set_baseline(None)
        if old is not None:
            await ls.run(old.close)
        await refresh_annotations(ls)
        return {"cleared": old is not None}
    base = options.get("base")
    if base is not None and not isinstance(base, str):
        raise CommandError("llmcost.diff: `base` must be a git ref (a string)")
    try:
        diff, baseline = await ls.run(compute, ls, folder, base or None)
    except LlmCostError as error:
        raise CommandError(str(error)) from None
    old = folder.set_baseline(baseline)
    if old is not None:
        await ls.run(old.close)
    markdown = render_markdown(diff, baseline.workspace.db)
    path = _document_path(folder)
    await ls.run(_write, path, markdown)
    shown = False
    if options.get("open", True) is not False and shows_documents(ls.client_capabilities):
        answer = await ls.window_show_document_async(
            types.ShowDocumentParams(uri=path_to_uri(path), take_focus=True)
        )
        shown = bool(answer and answer.success)
    await refresh_annotations(ls)
    return {
        "base": diff.base_label,
        "headline": headline(diff),
        "monthlyUsdDelta": str(diff.monthly_usd_delta),
        "prompts": [
            {
                "id": d.prompt_id,
                "path": d.path,
                "changes": list(d.changes),
                "monthlyUsdDelta": None
                if d.monthly_usd_delta is None
                else str(d.monthly_usd_delta),
            }
            for d in diff.prompts
        ],
        "markdown": markdown,
        "uri": path_to_uri(path),
        "shown": shown,
    }


COMMAND = Command(NAME, TITLE, run)
