"""A workspace: manifest + discovered prompts + token caches, and the estimates every shell shows.

The CLI builds one per run; the language server keeps one per folder and feeds it changes through
`apply_change`, which re-reads one prompt (or the manifest) without recounting the rest.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from llmcost_lsp.core import prompt_settings
from llmcost_lsp.core.code import CODE_FORMATS, SEPARATOR, language_of, mentions_llm, scan_text
from llmcost_lsp.core.code.collect import CodeSite, deps_digest, sites_of
from llmcost_lsp.core.code.model import Language, ModelRef, SourceScan
from llmcost_lsp.core.code.modules import ModuleSource, is_module
from llmcost_lsp.core.code.prompts import parse_any
from llmcost_lsp.core.discovery import DiscoveryResult, PromptFile, discover
from llmcost_lsp.core.errors import InputError, LlmCostError, Location
from llmcost_lsp.core.estimate import (
    ASSUMED_MODEL,
    ASSUMED_SOURCE,
    Estimate,
    RateOverrides,
    ScenarioTerms,
    Sourced,
    price_call,
)
from llmcost_lsp.core.formats import Notice, ParsedPrompt, parse_prompt
from llmcost_lsp.core.gate import implausible_values
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.manifest import (
    MANIFEST_FILENAME,
    MANIFEST_LIMIT_BYTES,
    Manifest,
    PromptEntry,
    analyze_manifest,
    format_key_path,
)
from llmcost_lsp.core.manifest.edit import CALIBRATED_MARK, calibration_notes
from llmcost_lsp.core.pricing.db import ModelEntry, PriceDB, load_price_db
from llmcost_lsp.core.prompt_tokens import CountJob, TokenCounter, VariableSize
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.textfile import DEFAULT_LIMIT_BYTES, normalize_newlines, read_text_file
from llmcost_lsp.core.tokens.spec import TokenCount, TokenizerSpec
from llmcost_lsp.core.tree import TreeListing

ProgressCallback = Callable[[int, int, str], None]
"""Called as (done, total, message) while indexing; the CLI draws a bar, the LSP `$/progress`."""


@dataclass(frozen=True)
class PromptResult:
    """Everything known about one prompt under one scenario: its estimate or why there is none."""

    prompt: PromptFile
    parsed: ParsedPrompt
    entry: PromptEntry | None
    estimate: Estimate | None
    issues: tuple[Issue, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    # template variables counted without a size (only their placeholder text): the input is more
    unsized: tuple[str, ...] = ()

    @property
    def prompt_id(self) -> str:
        return self.prompt.id

    @property
    def why_not_estimated(self) -> str:
        """The finding that explains a missing estimate: an error or warning before a notice."""
        ranked = sorted(self.issues, key=lambda i: i.severity == "info")
        return ranked[0].message if ranked else "not estimated"

    @property
    def location(self) -> Location:
        return Location(self.prompt.path, self.parsed.anchor_line, 1)


@dataclass(frozen=True)
class Report:
    """All prompts of a workspace under one scenario, with totals over the complete estimates."""

    scenario: ScenarioTerms
    results: tuple[PromptResult, ...]
    issues: tuple[Issue, ...]

    @property
    def estimates(self) -> list[Estimate]:
        return [r.estimate for r in self.results if r.estimate is not None]

    @property
    def monthly_usd(self) -> Decimal:
        """Sum of the prompts whose monthly cost is known; see `incomplete` for the rest."""
        return sum((e.monthly_usd for e in self.estimates if e.monthly_usd), Decimal(0))

    @property
    def incomplete(self) -> list[PromptResult]:
        return [r for r in self.results if r.estimate is None or r.estimate.monthly_usd is None]

    @property
    def monthly_unknown(self) -> bool:
        """Prompts were found but none has a monthly cost: the total is unknown, not $0."""
        return bool(self.results) and len(self.incomplete) == len(self.results)


class Workspace:
    """One folder: its manifest (optional), its prompts and their counts."""

    def __init__(
        self,
        root: Path,
        *,
        settings: Settings | None = None,
        db: PriceDB | None = None,
        use_persistent_cache: bool = True,
        pricing_date: date | None = None,
        counter: TokenCounter | None = None,
        tree: TreeListing | None = None,
    ) -> None:
        """`counter` shares token caches between workspaces (diff: base and head); `tree` reads
        the files of a git commit (core/diff/gitobjects.py) instead of the disk."""
        self.root = root.resolve()
        self.settings = settings or Settings.from_env()
        self.db = db or load_price_db()
        self.pricing_date = pricing_date  # None: the prices in effect today (settings' clock)
        self.counter = counter or TokenCounter(self.settings if use_persistent_cache else None)
        self._persistent = use_persistent_cache
        self.tree = tree
        self.manifest: Manifest | None = None
        self._calibrated: dict[tuple[str, ...], str] = {}  # key path -> "calibrated <date> from …"
        self.manifest_issues: tuple[Issue, ...] = ()
        self.discovery = DiscoveryResult(())
        self._prompts: dict[str, PromptFile] = {}
        self._ids_by_path: dict[str, str] = {}
        self._relative_paths: dict[Path, str | None] = {}  # resolve() is a syscall per part
        self._parsed: dict[str, ParsedPrompt] = {}
        self._overlays: dict[str, str] = {}  # rel path -> unsaved editor text
        self._code_broken: dict[str, str] = {}  # source path -> where its edited text stopped
        # modules that calls import prompt text or models from (core/code/modules.py): their
        # texts as last read, and per source path the modules its scan read
        self._module_texts: dict[str, str | None] = {}
        self._code_deps: dict[str, tuple[str, ...]] = {}
        self.modules = ModuleSource(self._module_text)
        # (prompt id, scenario, what-if model) -> result; an edit drops only its prompt's entries
        self._results: dict[tuple[str, ScenarioTerms, str | None], PromptResult] = {}

    # -- loading -------------------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_FILENAME

    @property
    def price_day(self) -> date:
        """The day whose prices apply: `--price-date`, else today by the settings' clock."""
        return self.pricing_date or self.settings.today()

    def load(self, progress: ProgressCallback | None = None, *, parse: bool = True) -> None:
        """Read the manifest, discover prompts, parse them and count their tokens.

        `parse=False` stops after discovery: each prompt is parsed when first needed (diff
        estimates only the prompts that changed; `prefetch` counts a chosen few in one batch)."""
        self._load_manifest()
        scans = self.settings if self._persistent else None  # scans kept across runs
        self._set_discovery(discover(self.root, self.manifest, tree=self.tree, settings=scans))
        total = len(self._prompts)
        for done, prompt in enumerate(self.discovery.prompts, start=1):
            prompt = self._with_overlay(prompt)
            self._prompts[prompt.id] = prompt
            if parse:
                self._parsed[prompt.id] = self._parse(prompt)
            if progress and (done % 200 == 0 or done == total):
                progress(done, total, f"read {done:,}/{total:,} prompts")
        if parse:
            if progress and total:
                progress(total, total, f"counting the tokens of {total:,} prompts")
            self._prefetch_counts()

    def load_known(self, prompts: Iterable[PromptFile]) -> None:
        """Read the manifest and take these prompts as discovered, without a walk: diff's fast
        path knows the rest of the tree from a summary and loads only the prompts it estimates.
        Each prompt is parsed when first needed."""
        self._load_manifest()
        self._set_discovery(DiscoveryResult(tuple(sorted(prompts, key=lambda p: p.path))))

    def _set_discovery(self, discovery: DiscoveryResult) -> None:
        self._results.clear()
        self.discovery = discovery
        self._prompts = {p.id: p for p in discovery.prompts}
        self._ids_by_path = {p.path: p.id for p in reversed(discovery.prompts)}
        self._relative_paths.clear()  # a symlink may point elsewhere now
        self._parsed = {}
        self._module_texts.clear()
        self._code_deps.clear()

    def _load_manifest(self) -> None:
        self.manifest, self.manifest_issues, self._calibrated = None, (), {}
        path = self.manifest_path
        # a FIFO or device by that name is refused when read (it is there: never "no manifest")
        if not (path.exists() if self.tree is None else MANIFEST_FILENAME in self.tree.files):
            return
        try:
            overlay = self._overlays.get(MANIFEST_FILENAME)
            text = (
                overlay
                if overlay is not None
                else self._read_text(
                    path, MANIFEST_FILENAME, MANIFEST_LIMIT_BYTES, what="the manifest"
                )
            )
        except LlmCostError as error:
            self.manifest_issues = (_issue_from_error(error, MANIFEST_FILENAME),)
            return
        analysis = analyze_manifest(text, MANIFEST_FILENAME)
        self.manifest, self.manifest_issues = analysis.manifest, analysis.issues
        self._calibrated = calibration_notes(text) if CALIBRATED_MARK in text else {}

    def _with_overlay(self, prompt: PromptFile) -> PromptFile:
        text = self._overlays.get(prompt.path)
        if text is None or text == prompt.text:
            return prompt
        return _replace_text(prompt, text)

    def prefetch(self, prompt_ids: Iterable[str]) -> None:
        """Parse and count these prompts in one batch (after `load(parse=False)`)."""
        self._prefetch_counts(prompt_ids)

    def _prefetch_counts(self, prompt_ids: Iterable[str] | None = None) -> None:
        """Count every prompt in one batch per tokenizer, so the persistent cache is read once."""
        jobs = []
        for prompt_id in self._parsed if prompt_ids is None else prompt_ids:
            parsed = self.parsed(prompt_id)
            model_entry = self.model_entry(prompt_id)
            if model_entry is None or parsed.skip_reason:
                continue
            entry = self.manifest.prompts.get(prompt_id) if self.manifest else None
            sizes, _ = self._variable_sizes(self._prompts[prompt_id], parsed, entry)
            spec = prompt_settings.tokenizer(self.db, self.manifest, model_entry)
            extra = prompt_settings.extra_input_tokens(entry)
            jobs.append(CountJob(parsed, spec, sizes, extra, prompt_id))
        self.counter.count_many(jobs)

    # -- changes -------------------------------------------------------------------------------

    def relative(self, path: Path) -> str | None:
        """`path` relative to the root with `/`, or None when it is outside the workspace."""
        if path in self._relative_paths:
            return self._relative_paths[path]
        try:
            rel: str | None = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            rel = None
        if len(self._relative_paths) > 10_000:
            self._relative_paths.clear()
        self._relative_paths[path] = rel
        return rel

    def apply_change(self, path: Path, text: str | None = None) -> set[str]:
        """Take a new text for one file (None: re-read it from disk, or it was deleted).

        Returns the ids of the prompts whose estimate may have changed. A change to the manifest
        or to a file that is not yet a prompt re-runs discovery; counts stay cached either way.
        """
        rel = self.relative(path)
        if rel is None:
            return set()
        if text is None:
            self._overlays.pop(rel, None)
        else:
            text = normalize_newlines(text)  # as read from disk: an editor's CRLF counts the same
            self._overlays[rel] = text
        self._module_texts.pop(rel, None)
        if language_of(rel) is not None:
            return self._apply_code_change(path, rel, text) | self._refresh_importers(rel)
        known = self._prompt_at(rel)
        if rel == MANIFEST_FILENAME or known is None or (text is None and not path.exists()):
            before = {pid: p.text for pid, p in self._prompts.items()}
            self.load()
            after = {pid: p.text for pid, p in self._prompts.items()}
            if rel == MANIFEST_FILENAME:
                return set(before) | set(after)
            return {pid for pid in set(before) | set(after) if before.get(pid) != after.get(pid)}
        if text is None:
            try:
                text = read_text_file(path, display_path=rel).text
            except LlmCostError:
                self.load()  # unreadable now: discovery reports why
                return {known.id} | set(self._prompts)
        if text == known.text:
            return set()  # saved or reopened unchanged: keep the cached results
        updated = _replace_text(known, text)
        self._prompts[known.id] = updated
        self._parsed[known.id] = parse_prompt(updated.path, updated.text, updated.format)
        self._forget_results({known.id})
        return {known.id}

    def _apply_code_change(self, path: Path, rel: str, text: str | None) -> set[str]:
        """A source file's new text: its call-site prompts take it when the same calls are in
        it; new or removed calls re-run discovery. Half-written code that does not parse keeps
        the last good parse, and its prompts say where parsing stopped."""
        language = language_of(rel)
        assert language is not None
        known = [p for p in self._prompts.values() if p.format in CODE_FORMATS and p.path == rel]
        if text is None:
            try:
                text = read_text_file(path, display_path=rel).text if path.exists() else ""
            except LlmCostError:
                text = ""
        was_broken = self._code_broken.pop(rel, None)
        if not known and rel not in self.discovery.code.paths() and not mentions_llm(text):
            return set()  # an edit in code that calls no LLM: nothing to do
        scan = scan_text(language, text, rel, self.modules)
        if scan.error is not None and known:
            self._code_broken[rel] = scan.error
            ids = {p.id for p in known}
            for prompt_id in ids:
                self._parsed[prompt_id] = self._parse(self._prompts[prompt_id])
            self._forget_results(ids)
            return ids
        before_sites = self.discovery.code.sites_in(rel)
        now_sites, _, _ = sites_of(rel, text, self._exists, self.modules)
        if _shape(before_sites) != _shape(now_sites):  # calls or the files they send changed
            before = {pid: p.text for pid, p in self._prompts.items()}
            self.load()
            after = {pid: p.text for pid, p in self._prompts.items()}
            return {pid for pid in set(before) | set(after) if before.get(pid) != after.get(pid)}
        changed = set()
        for prompt in known:
            if prompt.text == text and was_broken is None:
                continue
            updated = _replace_text(prompt, text)
            self._prompts[prompt.id] = updated
            self._parsed[prompt.id] = self._parse(updated)
            changed.add(prompt.id)
        self._forget_results(changed)
        return changed

    def _refresh_importers(self, rel: str) -> set[str]:
        """The calls whose prompt or model is imported from the module `rel`: re-read with its
        new text (their own file did not change)."""
        changed = set()
        for prompt in list(self._prompts.values()):
            if prompt.path == rel or rel not in self._code_deps.get(prompt.path, ()):
                continue
            self._parsed[prompt.id] = self._parse(prompt)  # the scan records the new digest
            depends = deps_digest(self._scan(prompt))
            if depends != prompt.depends:
                prompt = self._prompts[prompt.id] = replace(prompt, depends=depends)
            changed.add(prompt.id)
        self._forget_results(changed)
        return changed

    def _module_text(self, rel: str) -> str | None:
        """A module's text for imported names: the editor's buffer, else the file (read once
        until it changes)."""
        overlay = self._overlays.get(rel)
        if overlay is not None:
            return overlay
        if rel not in self._module_texts:
            self._module_texts[rel] = None
            path = self.root / rel
            there = rel in self.tree.files if self.tree is not None else path.is_file()
            if is_module(rel) and there:
                with contextlib.suppress(LlmCostError):
                    self._module_texts[rel] = self._read_text(path, rel, what="source files")
        return self._module_texts[rel]

    def _scan(self, prompt: PromptFile) -> SourceScan:
        language: Language = "python" if prompt.format == "python" else "typescript"
        return scan_text(language, prompt.text, prompt.path, self.modules)

    def _exists(self, rel: str) -> bool:
        return rel in self._ids_by_path or (self.tree is None and (self.root / rel).is_file())

    def code_sites(self, path: Path) -> list[CodeSite]:
        """The calls of a source file as its current text has them (line numbers move with
        edits); half-written text that does not parse: the last good parse's."""
        rel = self.relative(path)
        if rel is None or language_of(rel) is None:
            return []
        text = self._overlays.get(rel)
        known = next((p for p in self._prompts.values() if p.path == rel), None)
        if text is None or rel in self._code_broken:
            text = known.text if known is not None else None
        if text is None:
            return list(self.discovery.code.sites_in(rel))
        return sites_of(rel, text, self._exists, self.modules)[0]

    def model_literal(self, prompt_id: str) -> tuple[str, ModelRef] | None:
        """Where in source code the model this prompt runs on is written (file, literal), when
        it comes from code: what a switch-model fix edits instead of the manifest."""
        prompt = self._prompts.get(prompt_id)
        entry = self.manifest.prompts.get(prompt_id) if self.manifest else None
        if prompt is None or (entry is not None and entry.model):
            return None  # the manifest names the model: edit it there
        if prompt.format in CODE_FORMATS:
            origin = self.parsed(prompt_id).model_origin
            if origin is None or not origin.end_column or prompt.path in self._code_broken:
                return None
            key = origin.key
            return prompt.path, ModelRef(self.parsed(prompt_id).model or "", key, origin.line,
                                         origin.column, origin.end_column)  # fmt: skip
        sent = self.discovery.code.file_models.get(prompt.path)
        if sent is None:
            return None
        source = self._overlays.get(sent.source_path)
        if source is None:
            source = next((p.text for p in self._prompts.values() if p.path == sent.source_path),
                          None)  # fmt: skip
        if source is None:
            return None
        _, models, scan = sites_of(sent.source_path, source, self._exists, self.modules)
        if scan.error is not None:
            return None
        fresh = next((m for rel, m in models if rel == prompt.path), None)
        return (sent.source_path, fresh.model) if fresh is not None and fresh.model.line else None

    def _parse(self, prompt: PromptFile) -> ParsedPrompt:
        """A prompt file's parse, or a call-site prompt's from its (cached) source scan."""
        if prompt.format not in CODE_FORMATS:
            return parse_prompt(prompt.path, prompt.text, prompt.format)
        site = prompt.site or prompt.id.partition(SEPARATOR)[2]
        parsed = parse_any(prompt.path, prompt.text, prompt.format, site, self.modules)
        self._code_deps[prompt.path] = tuple(rel for rel, _ in self._scan(prompt).deps)
        broken = self._code_broken.get(prompt.path)
        if broken is None:
            return parsed
        stopped = Notice("code-syntax", f"{broken}: showing the last good parse", None)
        return replace(parsed, notices=(stopped, *parsed.notices))

    def _forget_results(self, prompt_ids: set[str]) -> None:
        for key in [k for k in self._results if k[0] in prompt_ids]:
            del self._results[key]

    # -- queries -------------------------------------------------------------------------------

    @property
    def prompts(self) -> list[PromptFile]:
        return sorted(self._prompts.values(), key=lambda p: p.path)

    def prompt(self, prompt_id: str) -> PromptFile | None:
        return self._prompts.get(prompt_id)

    def prompt_for_path(self, path: Path) -> PromptFile | None:
        rel = self.relative(path)
        return self._prompt_at(rel) if rel is not None else None

    def prompts_at(self, path: Path) -> list[PromptFile]:
        """Every prompt of a file: one for a prompt file, one per call site for source code."""
        rel = self.relative(path)
        if rel is None:
            return []
        return [p for p in self.prompts if p.path == rel]

    def _prompt_at(self, rel: str) -> PromptFile | None:
        prompt_id = self._ids_by_path.get(rel)
        return self._prompts.get(prompt_id) if prompt_id is not None else None

    def parsed(self, prompt_id: str) -> ParsedPrompt:
        parsed = self._parsed.get(prompt_id)
        if parsed is None:  # loaded with parse=False
            prompt = self._prompts[prompt_id]
            parsed = self._parsed[prompt_id] = self._parse(prompt)
        return parsed

    def scenario_names(self) -> list[str]:
        return sorted(self.manifest.scenarios) if self.manifest else []

    def scenario(self, name: str | None = None) -> ScenarioTerms:
        """Terms of a named scenario; None takes `defaults.scenario`, else the baseline."""
        manifest = self.manifest
        name = name or (manifest.defaults.scenario if manifest else None)
        if name is None or (
            name == "baseline" and (not manifest or "baseline" not in manifest.scenarios)
        ):
            return ScenarioTerms()
        broken = [i for i in self.manifest_issues if i.severity == "error"]
        if manifest is None and broken:  # say why, not "unknown scenario"
            raise InputError(
                broken[0].message,
                location=broken[0].location,
                code=broken[0].code,
                hint=f"{MANIFEST_FILENAME} does not load, so scenario {name!r} is unknown"
                + (f"; {len(broken) - 1} more error(s): llm-cost check" if len(broken) > 1 else ""),
            )
        if manifest is None or name not in manifest.scenarios:
            names = self.scenario_names()
            close = difflib.get_close_matches(name, names, n=1)
            defined = ", ".join(names) or "none"
            raise InputError(
                f"unknown scenario {name!r}",
                code="unknown-scenario",
                hint=f"did you mean {close[0]!r}?"
                if close
                else f"scenarios defined in {MANIFEST_FILENAME}: {defined}",
            )
        return prompt_settings.scenario_terms(name, manifest.scenarios[name])

    def report(
        self, scenario: str | None = None, progress: ProgressCallback | None = None
    ) -> Report:
        terms = self.scenario(scenario)
        prompts = self.prompts
        results = []
        for done, prompt in enumerate(prompts, start=1):
            results.append(self.result(prompt.id, terms))
            if progress and (done % 200 == 0 or done == len(prompts)):
                progress(done, len(prompts), f"estimated {done:,}/{len(prompts):,} prompts")
        return Report(terms, tuple(results), self.workspace_issues())

    def workspace_issues(self) -> tuple[Issue, ...]:
        """Manifest and discovery problems (prompt-level ones live on each PromptResult), and
        gate inputs no real bill has (a contracted price of 0: core/gate.py)."""
        gate: tuple[Issue, ...] = ()
        if self.manifest is not None and (
            self.manifest.pricing.overrides or self.manifest.calibration.tokenizers
        ):
            on = self.pricing_date or self.settings.today()
            gate = tuple(implausible_values(self.manifest, self.db, on))
        return self.manifest_issues + self.discovery.issues + gate

    def result(
        self, prompt_id: str, terms: ScenarioTerms | None = None, *, model: str | None = None
    ) -> PromptResult:
        """Estimate one prompt; problems become issues on the result, never exceptions.

        `model` prices the prompt on another model (what-if: hover comparisons, swap
        suggestions). Results are cached until the prompt, the manifest or discovery changes.
        """
        entry = self.manifest.prompts.get(prompt_id) if self.manifest else None
        terms = prompt_settings.own_scenario(entry, self.manifest) or terms or self.scenario()
        key = (prompt_id, terms, model)
        cached = self._results.get(key)
        if cached is None:
            cached = self._results[key] = self._compute_result(prompt_id, terms, model)
        return cached

    def _compute_result(
        self, prompt_id: str, terms: ScenarioTerms, what_if: str | None
    ) -> PromptResult:
        prompt = self._prompts[prompt_id]
        parsed = self.parsed(prompt_id)
        entry = self.manifest.prompts.get(prompt_id) if self.manifest else None
        tags = dict(entry.tags) if entry else {}
        issues: list[Issue] = [
            Issue(
                n.code,
                n.message,
                Location(prompt.path, n.line or parsed.anchor_line, 1),
                "warning" if n.code == "code-syntax" else "info",
            )
            for n in parsed.notices
        ]  # how the file was read (template loops counted once…): never fatal, always said
        if prompt.read_error is not None:
            return PromptResult(prompt, parsed, entry, None, (prompt.read_error,), tags)
        if parsed.skip_reason:
            where = Location(prompt.path, parsed.anchor_line, 1)
            issue = Issue("not-estimated", parsed.skip_reason, where, "info")
            # a call found but not sized: its reason first, the notes on what was read after
            found = (issue, *issues) if prompt.format in CODE_FORMATS else (*issues, issue)
            return PromptResult(prompt, parsed, entry, None, found, tags)
        model = (
            Sourced(what_if, "what-if")
            if what_if is not None
            else self._model_name(prompt_id, parsed, entry)
        )
        if model is None and ASSUMED_MODEL in self.db:
            # never "no estimate" for lack of a model: the documented default, labelled as
            # assumed wherever the estimate is shown, with the one line that fixes it
            model = Sourced(ASSUMED_MODEL, ASSUMED_SOURCE)
            issues.append(
                Issue(
                    "no-model",
                    f"no model named for prompt {prompt_id!r}: priced as {ASSUMED_MODEL}, "
                    "llm-cost's assumed default",
                    self._entry_location(prompt_id, prompt),
                    "warning",
                    f'name it: `model = "<model>"` under [defaults] (every prompt) or '
                    f"[{format_key_path(('prompts', prompt_id))}] of {MANIFEST_FILENAME}",
                )
            )
        if model is None:  # a DB without the default (an org's own sheet)
            issues.append(
                Issue(
                    "no-model",
                    f"no model for prompt {prompt_id!r}: set `model` in [defaults] or "
                    f"[{format_key_path(('prompts', prompt_id))}] of {MANIFEST_FILENAME}",
                    self._entry_location(prompt_id, prompt),
                    "warning",
                    "llm-cost init writes a manifest to start from",
                )
            )
            return PromptResult(prompt, parsed, entry, None, tuple(issues), tags)
        try:
            resolution = self.db.resolve_name(model.value)
        except LlmCostError as error:
            issues.append(
                Issue(
                    "unknown-model",
                    f"{error.message} (from {model.source})",
                    model_location(self.manifest, prompt, parsed, model),
                    "error",
                    error.hint,
                )
            )
            return PromptResult(prompt, parsed, entry, None, tuple(issues), tags)
        model_entry = resolution.entry
        sizes, variable_issues = self._variable_sizes(prompt, parsed, entry)
        issues.extend(variable_issues)
        declared = entry.variables if entry else {}
        unsized = tuple(n for n in parsed.variable_names if n not in sizes and n not in declared)
        spec = prompt_settings.tokenizer(self.db, self.manifest, model_entry)
        extra = prompt_settings.extra_input_tokens(entry)
        tokens = self.counter.count_prompt(parsed, spec, sizes, extra, prompt_id)
        measured = prompt_settings.measured_cache(prompt_id, entry, self._calibrated)
        if measured is not None:
            hit, write = measured.value
            terms = replace(terms, cache_hit_ratio=hit, cache_write_ratio=write)
            measured_source = measured.source
        else:
            measured_source = None
        caching = terms.cache_hit_ratio > 0 or terms.cache_write_ratio > 0
        cacheable = (
            self._prefix_tokens(parsed, spec)
            if caching and parsed.variables and measured is None
            else None
        )
        output_tokens = prompt_settings.output_tokens(
            prompt_id, parsed, entry, self.manifest, self._calibrated
        )
        issues.extend(self._output_above_max(prompt_id, parsed, entry, output_tokens))
        try:
            estimate = price_call(
                prompt_id=prompt_id,
                model=model,
                entry=model_entry,
                input_tokens=tokens,
                output_tokens=output_tokens,
                calls_per_month=prompt_settings.calls_per_month(
                    prompt_id, entry, self.manifest, self._calibrated
                ),
                scenario=terms,
                overrides=self.overrides_for(model_entry),
                on=self.price_day,
                assumed=resolution.notes,
                cacheable_tokens=cacheable,
                measured_cache=measured_source,
            )
        except LlmCostError as error:
            issues.append(_issue_from_error(error, prompt.path))
            return PromptResult(prompt, parsed, entry, None, tuple(issues), tags, unsized)
        return PromptResult(prompt, parsed, entry, estimate, tuple(issues), tags, unsized)

    def _prefix_tokens(self, parsed: ParsedPrompt, spec: TokenizerSpec) -> int:
        """Tokens of the prompt before its first variable: the part a provider's prompt cache
        can reuse (a filled-in value differs per call, and so does everything after it)."""
        first = min(parsed.variables, key=lambda ref: (ref.message_index, ref.offset))
        head = parsed.messages[first.message_index]
        messages = (
            *parsed.messages[: first.message_index],
            replace(head, text=head.text[: first.offset]),
        )
        prefix = replace(parsed, messages=messages, variables=())
        return self.counter.count_prompt(prefix, spec, {}, 0).tokens

    def _output_above_max(
        self,
        prompt_id: str,
        parsed: ParsedPrompt,
        entry: PromptEntry | None,
        output: Sourced[int] | None,
    ) -> list[Issue]:
        """A stated output size above the call's max_tokens cannot happen: the model stops at
        max_tokens, so the estimate would be too high."""
        limit = entry.max_tokens if entry and entry.max_tokens is not None else parsed.max_tokens
        if output is None or limit is None or output.value <= limit:
            return []
        where = "[prompts]" if entry and entry.max_tokens is not None else "the prompt file"
        key: tuple[str, ...] = ("prompts", prompt_id, "output_tokens")
        if not (entry and entry.output_tokens is not None):
            key = ("defaults", "output_tokens")
        return [
            Issue(
                "output-above-max-tokens",
                f"output_tokens {output.value:,} for prompt {prompt_id!r} is above max_tokens "
                f"{limit:,} ({where}): a call never returns more than {limit:,} tokens",
                self._manifest_location(*key),
                "warning",
                f"set {format_key_path(key)} to at most {limit}, or raise max_tokens",
            )
        ]

    # -- each input, with its source (core/prompt_settings.py) -------------------------------------

    def _model_name(
        self, prompt_id: str, parsed: ParsedPrompt, entry: PromptEntry | None
    ) -> Sourced[str] | None:
        sent = self.discovery.code.file_models.get(self._prompts[prompt_id].path)
        return prompt_settings.model_name(prompt_id, parsed, entry, self.manifest, sent)

    def named_model(self, prompt_id: str) -> str | None:
        """The model name this prompt is given before `[models]` maps it: what a quick fix
        maps to a model of the price DB when the DB does not know it."""
        entry = self.manifest.prompts.get(prompt_id) if self.manifest else None
        sent = self.discovery.code.file_models.get(self._prompts[prompt_id].path)
        named = prompt_settings.named_model(
            prompt_id, self.parsed(prompt_id), entry, self.manifest, sent
        )
        return named.value if named is not None else None

    def model_entry(self, prompt_id: str) -> ModelEntry | None:
        """The DB's model this prompt runs on; None when it names none or an unknown one."""
        entry = self.manifest.prompts.get(prompt_id) if self.manifest else None
        model = self._model_name(prompt_id, self.parsed(prompt_id), entry)
        if model is None or model.value not in self.db:
            return None
        return self.db.resolve(model.value)

    def overrides_for(self, model: ModelEntry) -> RateOverrides | None:
        """The manifest's contracted prices for `model`, if any."""
        return prompt_settings.overrides_for(self.manifest, self.db, model)

    def _variable_sizes(
        self, prompt: PromptFile, parsed: ParsedPrompt, entry: PromptEntry | None
    ) -> tuple[dict[str, VariableSize], list[Issue]]:
        return prompt_settings.variable_sizes(
            prompt.id, prompt.path, parsed, entry, self.manifest, self._sample_text
        )

    def _sample_text(self, sample: str) -> str:
        """A variable's sample file, relative to the workspace root (and inside it)."""
        path = self.root / sample
        if self.relative(path) is None:
            raise prompt_settings.SampleOutside(f"sample {sample!r} is outside")
        return self._read_text(path, sample)

    def _read_text(
        self,
        path: Path,
        shown: str,
        limit_bytes: int = DEFAULT_LIMIT_BYTES,
        *,
        what: str = "prompt files",
    ) -> str:
        """A file of the workspace, from the tree when there is one, else from the disk."""
        if self.tree is None:
            return read_text_file(path, limit_bytes, display_path=shown, what=what).text
        file = self.tree.files.get(self.relative(path) or "")
        if file is None:
            raise InputError(
                "no such file in the commit", location=Location(shown), code="unreadable"
            )
        return file.read_text(limit_bytes, what=what).text

    def _manifest_location(self, *key: str) -> Location:
        if self.manifest is None:
            return Location(MANIFEST_FILENAME)
        return self.manifest.location_of(*key)

    def _entry_location(self, prompt_id: str, prompt: PromptFile) -> Location:
        if self.manifest and prompt_id in self.manifest.prompts:
            return self.manifest.location_of("prompts", prompt_id)
        return Location(prompt.path, 1, 1)


def model_location(
    manifest: Manifest | None, prompt: PromptFile, parsed: ParsedPrompt, model: Sourced[str]
) -> Location:
    """Where the prompt's model is written: its manifest key, the prompt file's model line, or
    the prompt file."""
    if model.key is not None and manifest is not None:
        return manifest.location_of(*model.key)
    if parsed.model_origin:
        return Location(prompt.path, parsed.model_origin.line, 1)
    return Location(prompt.path, 1, 1)


def _shape(sites: list[CodeSite]) -> list[tuple[str | None, tuple[str, ...]]]:
    """What a file's calls send, without their lines: equal shapes need no new discovery."""
    return sorted(((site.prompt_id, site.files) for site in sites), key=repr)


def _replace_text(prompt: PromptFile, text: str) -> PromptFile:
    """The prompt with an editor's (or a re-read) text; over the size limit the editor's buffer
    is not estimated either, for the reason `estimate` gives for such a file."""
    if len(text) * 4 > DEFAULT_LIMIT_BYTES and len(text.encode("utf-8")) > DEFAULT_LIMIT_BYTES:
        issue = Issue(
            "too-large",
            f"not estimated: the text is larger than the {DEFAULT_LIMIT_BYTES:,}-byte limit for "
            f"prompt files",
            Location(prompt.path, 1, 1),
            "error" if prompt.explicit_id else "warning",
        )
        return replace(prompt, text="", read_error=issue)
    return replace(prompt, text=text, read_error=None)


def _issue_from_error(error: LlmCostError, path: str) -> Issue:
    return Issue(
        error.code, error.message, error.location or Location(path, 1, 1), "error", error.hint
    )


__all__ = ["PromptResult", "Report", "TokenCount", "Workspace"]
