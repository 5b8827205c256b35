"""`llm-cost diff` over git: the base (and a head commit) read from git objects, the head from
the working tree otherwise; and the fast path that answers a warm diff without reading the files
that did not change.

The full path walks both trees and compares them (compare.py), then stores each commit side's
summary (caches.py) under its folder's git tree id. A later diff whose base has a
summary, and whose head differs from the base only in the text of prompt files, reads just those
files on both sides: nothing else is listed, read or looked up. Calls in source code do not stop
it unless the change reaches them (see `_reads_code`). Anything else takes the full
path, which gives the same answer: a file added, deleted, renamed or untracked, the manifest, a
sample or an ignore file changed, or a changed prompt that no longer reads as text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from llmcost_lsp.core.check import CheckResult
from llmcost_lsp.core.code import CODE_FORMATS, language_of
from llmcost_lsp.core.diff.caches import (
    ResultCache,
    ResultSummary,
    SideSummary,
    SideSummaryStore,
    SummaryPrompt,
)
from llmcost_lsp.core.diff.compare import (
    Comparison,
    Side,
    compare_workspaces,
    finish,
    scenario_terms,
)
from llmcost_lsp.core.diff.gitobjects import GitError, GitRepo, ignore_files_above
from llmcost_lsp.core.diff.keys import result_keys, run_context
from llmcost_lsp.core.diff.model import CostDiff
from llmcost_lsp.core.discovery import SKIPPED_DIRS, PromptFile
from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.manifest import MANIFEST_FILENAME
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.prompt_tokens import TokenCounter
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.textfile import read_text_file
from llmcost_lsp.core.workspace import ProgressCallback, Report, Workspace

__all__ = ["diff_git", "load_commit_workspace", "ref_label", "remember_checkout"]

_SUMMARY_KEY_VERSION = 2  # 2: summaries of sides with calls in code, and the files they send
_IGNORE_FILES = frozenset({".gitignore", ".gitattributes"})
_REGULAR_MODES = frozenset({"100644", "100755"})


def diff_git(
    root: Path,
    base_ref: str,
    head_ref: str | None = None,
    scenario: str | None = None,
    *,
    db: PriceDB,
    settings: Settings | None = None,
    use_persistent_cache: bool = True,
    pricing_date: date | None = None,
    progress: ProgressCallback | None = None,
    counter: TokenCounter | None = None,
) -> CostDiff:
    """`base_ref` vs `head_ref` (None: the working tree) for the workspace folder `root`.

    One TokenCounter serves both sides (pass one to share it further, e.g. with a server); with
    `use_persistent_cache`, the result cache answers for prompts unchanged since a former run
    and the side summaries let a diff against a known base skip the unchanged files."""
    settings = settings or Settings.from_env()
    owned = counter is None
    counter = counter or TokenCounter(settings if use_persistent_cache else None)
    cache = ResultCache(settings) if use_persistent_cache else None
    store = SideSummaryStore(settings) if use_persistent_cache else None
    try:
        with GitRepo.containing(root) as repo:
            run = _Run(repo, root.resolve(), scenario, db, settings, pricing_date, counter)
            base_commit = repo.resolve(base_ref)
            head_commit = repo.resolve(head_ref) if head_ref is not None else None
            labels = (
                ref_label(repo, base_ref, base_commit),
                "working tree"
                if head_ref is None or head_commit is None
                else ref_label(repo, head_ref, head_commit),
            )
            base_key = run.summary_key(base_commit)
            known = store.get(base_key) if store is not None and base_key else None
            quick = run.quick(known, base_commit, head_commit, labels, cache) if known else None
            if quick is not None:
                if store is not None and known is not None and head_commit is not None:
                    keys = {p.id: p.key for p in known.prompts} | dict(quick.head_keys)
                    run.remember(
                        store,
                        run.summary_key(head_commit),
                        known.prompts,
                        quick.head_summaries,
                        keys,
                        links=known.links,
                        sent=known.sent,
                    )  # no source file changed: the same calls send the same files
                return quick.diff
            return run.full(base_commit, head_commit, labels, cache, store, base_key, progress)
    finally:
        for closing in (cache, store):
            if closing is not None:
                closing.close()
        if owned:
            counter.close()


class _Run:
    """One diff's repository, folder and settings: what both paths share."""

    def __init__(
        self,
        repo: GitRepo,
        root: Path,
        scenario: str | None,
        db: PriceDB,
        settings: Settings,
        pricing_date: date | None,
        counter: TokenCounter,
    ) -> None:
        self.repo, self.root, self.scenario, self.db = repo, root, scenario, db
        self.settings, self.pricing_date, self.counter = settings, pricing_date, counter
        self.today = settings.today()
        self.folder = repo.folder_of(root)

    def workspace(self, commit: str | None) -> Workspace:
        """An empty workspace of `commit` (None: the working tree) whose files are read lazily."""
        return Workspace(
            self.root, db=self.db, settings=self.settings, pricing_date=self.pricing_date,
            counter=self.counter,
            tree=None if commit is None else self.repo.lazy_listing(commit, self.root),
        )  # fmt: skip

    def loaded(self, commit: str | None, progress: ProgressCallback | None) -> Workspace:
        """The workspace of `commit` (None: the working tree), discovered (parsed on demand)."""
        if commit is not None:
            return load_commit_workspace(
                self.repo, commit, self.root, db=self.db, counter=self.counter,
                settings=self.settings, pricing_date=self.pricing_date, progress=progress,
                parse=False,
            )  # fmt: skip
        workspace = self.workspace(None)
        workspace.load(progress, parse=False)
        return workspace

    def full(
        self,
        base_commit: str,
        head_commit: str | None,
        labels: tuple[str, str],
        cache: ResultCache | None,
        store: SideSummaryStore | None,
        base_key: str | None,
        progress: ProgressCallback | None,
    ) -> CostDiff:
        """Walk both trees and compare them; store the summary of each commit read
        (`base_key`: the base's summary key)."""
        base, head = self.loaded(base_commit, progress), self.loaded(head_commit, progress)
        # reports read variable samples from the commit: still inside the open repository
        comparison = compare_workspaces(
            base, head, self.scenario, base_label=labels[0], head_label=labels[1],
            today=self.today, cache=cache,
        )  # fmt: skip
        if store is None:
            return comparison.diff
        links = base.tree is not None and base.tree.links
        self.remember(store, base_key, base.prompts, comparison.base_summaries,
                      comparison.base_keys, links=links,
                      sent=base.discovery.code.sent_files)  # fmt: skip
        # the working tree is HEAD's (CI's checkout): a later diff against HEAD starts warm
        head_tree = head_commit or self.clean_head()
        if head_tree is not None:
            links = head.tree is not None and head.tree.links
            self.remember(store, self.summary_key(head_tree), head.prompts,
                          comparison.head_summaries, comparison.head_keys, links=links,
                          sent=head.discovery.code.sent_files)  # fmt: skip
        return comparison.diff

    def summary_key(self, commit: str) -> str | None:
        """Everything that decides the discovery and results of the folder in `commit`: its
        tree (files, manifest, samples), the ignore files above it, the scenario asked for and
        the run context (code, price DB, dates). None when the folder is not in the commit."""
        tree = self.repo.tree_id(commit, self.folder)
        if tree is None:
            return None
        outer = [e.oid for e in self.repo.ls_tree_paths(commit, ignore_files_above(self.folder))]
        excluded = self.repo.info_exclude() or b""
        context = run_context(self.db, self.pricing_date, self.today)
        text = repr((_SUMMARY_KEY_VERSION, context, self.scenario, tree, outer, excluded))
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()

    def remember(
        self,
        store: SideSummaryStore,
        key: str | None,
        prompts: Sequence[PromptFile | SummaryPrompt],
        results: Mapping[str, ResultSummary],
        keys: Mapping[str, str | None],
        *,
        links: bool = False,
        sent: Sequence[str] = (),
    ) -> None:
        """Store the summary of a side under `key` (`summary_key` of its commit; None: the
        folder is not in the commit), from every prompt's result summary and result key;
        `sent`: the prompt files that calls in its source code send."""
        if key is None:
            return
        rows = tuple(
            SummaryPrompt(p.id, p.path, p.format, p.explicit_id, keys[p.id], results[p.id])
            for p in prompts
        )
        store.put(key, SideSummary(rows, links, tuple(sent)))

    def quick(
        self,
        known: SideSummary,
        base_commit: str,
        head_commit: str | None,
        labels: tuple[str, str],
        cache: ResultCache | None,
    ) -> Comparison | None:
        """The diff from the base's summary, when the head differs only in prompt texts."""
        if known.links:
            return None  # a link's text may not change while the file it names does
        changed = self._changed_paths(base_commit, head_commit, known)
        if changed is None or _reads_code(known, changed):
            return None
        evaluated = [p for p in known.prompts if p.path in changed or p.key is None]
        base, head = self.workspace(base_commit), self.workspace(head_commit)
        base_prompts, head_prompts = _read(base, evaluated), _read(head, evaluated)
        if base_prompts is None or head_prompts is None:
            return None  # a changed file is no prompt any more: discovery says why
        base.load_known(base_prompts)
        head.load_known(head_prompts)
        terms, head_terms = scenario_terms(base, head, self.scenario, labels[0])
        ids = [p.id for p in evaluated]
        base.prefetch(ids)
        head.prefetch(ids)
        order, estimated = [p.id for p in known.prompts], set(ids)
        unchanged = {p.id: p.result for p in known.prompts if p.id not in estimated}

        def full_reports() -> tuple[Report, Report]:
            whole = compare_workspaces(
                self.loaded(base_commit, None),
                self.loaded(head_commit, None),
                self.scenario,
                today=self.today,
            ).diff
            return whole.base, whole.head

        comparison = finish(
            Side(base, terms, order, {i: base.result(i, terms) for i in ids}),
            Side(head, head_terms, order, {i: head.result(i, head_terms) for i in ids}),
            unchanged,
            today=self.today,
            labels=labels,
            keys=(result_keys(base, terms, self.today), result_keys(head, head_terms, self.today)),
            estimated=2 * len(ids),
            cached=len(unchanged),
            reports=full_reports,
        )
        if cache is not None:
            comparison.cache_results(cache, ids, ids)
        return comparison

    def _changed_paths(
        self, base_commit: str, head_commit: str | None, known: SideSummary
    ) -> set[str] | None:
        """The prompt files (relative to the folder) whose text differs in the head, or None
        when anything else differs that could change discovery or results."""
        prompts = known.by_path()
        changed = self._changed_files(base_commit, head_commit)
        if changed is None or not changed <= prompts.keys():
            return None
        return changed

    def _changed_files(self, base_commit: str, head_commit: str | None) -> set[str] | None:
        """The regular files of the folder whose content differs in the head, or None when a
        file was added, deleted, renamed or turned into a link, or an ignore file above the
        folder changed."""
        changed: set[str] = set()
        for change in self.repo.changes(base_commit, head_commit):
            directory, _, name = change.path.rpartition("/")
            if not change.path.startswith(self.folder):
                if name in _IGNORE_FILES and self.folder.startswith(f"{directory}/".lstrip("/")):
                    return None  # an ignore file above the folder
                continue
            if change.status != "M" or change.new_mode not in _REGULAR_MODES:
                return None
            changed.add(change.path[len(self.folder) :])
        if head_commit is None and any(
            not SKIPPED_DIRS.intersection(path.split("/")[:-1])
            for path in self.repo.untracked([self.folder, *ignore_files_above(self.folder)])
        ):
            return None  # a new file may be a prompt, a new ignore file may hide some
        return changed

    def clean_head(self) -> str | None:
        """HEAD's commit when the working tree's folder is exactly HEAD's (nothing modified or
        untracked) and holds no symlinks or submodules: a walk of the disk then finds what a
        walk of HEAD's tree would, and the working tree's summary is HEAD's."""
        try:
            commit = self.repo.resolve("HEAD")
        except GitError:
            return None  # no commit yet
        if self._changed_files(commit, None) != set() or self.repo.has_links(commit, self.folder):
            return None
        return commit


def _reads_code(known: SideSummary, changed: set[str]) -> bool:
    """Whether the change reaches calls in source code, which tie prompts across files: a
    changed source file (its calls, or the names other calls import from it), a changed prompt
    file that a call sends (it takes the call's model), a call whose result is not kept (it
    reads samples). The full diff handles those; a change to other prompt files does not touch
    any call, whose results the summary then gives."""
    return (
        any(language_of(path) for path in changed)
        or not changed.isdisjoint(known.sent)
        or any(p.format in CODE_FORMATS and p.key is None for p in known.prompts)
    )


def remember_checkout(
    workspace: Workspace, scenario: str | None, checked: CheckResult, today: date | None = None
) -> bool:
    """After an estimate or check of a workspace whose folder is exactly HEAD's (a CI checkout),
    store HEAD's summary, so that a later diff against it (a pull request's base) starts warm.
    `checked` is the check of the full report under `scenario`. Returns whether it stored; a
    folder outside git, or git missing, is no error here."""
    report = checked.report
    try:
        with GitRepo.containing(workspace.root) as repo:
            run = _Run(repo, workspace.root, scenario, workspace.db, workspace.settings,
                       workspace.pricing_date, workspace.counter)  # fmt: skip
            if today is not None:
                run.today = today
            commit = run.clean_head()
            if commit is None:
                return False
            ids = [p.id for p in workspace.prompts]
            side = Side(workspace, report.scenario, ids, {r.prompt_id: r for r in report.results})
            keys = result_keys(workspace, report.scenario, run.today)
            with SideSummaryStore(workspace.settings) as store:
                run.remember(store, run.summary_key(commit), workspace.prompts,
                             side.summaries(checked), keys,
                             sent=workspace.discovery.code.sent_files)  # fmt: skip
    except GitError:
        return False
    return True


def _read(workspace: Workspace, prompts: Sequence[SummaryPrompt]) -> list[PromptFile] | None:
    """These prompts as they are in the workspace's tree or on its disk; None if one does not
    read as text any more."""
    tree = workspace.tree
    if tree is not None and tree.prefetch is not None:
        tree.prefetch([MANIFEST_FILENAME, *(p.path for p in prompts)])
    found = []
    for prompt in prompts:
        try:
            if tree is None:
                text = read_text_file(workspace.root / prompt.path, display_path=prompt.path).text
            else:
                text = tree.files[prompt.path].read_text().text
        except (LlmCostError, KeyError):
            return None
        found.append(
            PromptFile(prompt.id, prompt.path, workspace.root / prompt.path, prompt.format,
                       prompt.explicit_id, text)
        )  # fmt: skip
    return found


def load_commit_workspace(
    repo: GitRepo,
    commit: str,
    root: Path,
    *,
    db: PriceDB,
    counter: TokenCounter,
    settings: Settings | None = None,
    pricing_date: date | None = None,
    progress: ProgressCallback | None = None,
    parse: bool = True,
) -> Workspace:
    """The workspace folder `root` as it is in `commit`, read from git objects."""
    workspace = Workspace(
        root,
        db=db,
        settings=settings,
        pricing_date=pricing_date,
        counter=counter,
        tree=repo.listing(commit, root),
    )
    workspace.load(progress, parse=parse)
    return workspace


def ref_label(repo: GitRepo, ref: str, commit: str) -> str:
    """`main (1a2b3c4)`, or the short id alone when the ref is a commit id."""
    short = repo.describe(commit)
    return short if commit.startswith(ref.lower()) else f"{ref} ({short})"
