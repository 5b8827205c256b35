"""From scanned source files to prompts: call-site prompts, the prompt files calls send, and
where each is sent from (for editors). Discovery calls `index_sources` after its walk."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from llmcost_lsp.core.code.model import FileRead, Language, ModelRef, SourceScan
from llmcost_lsp.core.code.modules import ModuleSource, text_digest
from llmcost_lsp.core.code.prompts import SEPARATOR, call_id, sends_text
from llmcost_lsp.core.code.scan import cache_key, cached, language_of, scan_text, seed
from llmcost_lsp.core.code.scan_store import ScanStore, store_key


@dataclass(frozen=True)
class CodePrompt:
    """A call-site prompt: its id, source file, call key and language."""

    id: str
    path: str
    key: str
    language: Language
    depends: str = ""  # digest of the modules its file imports prompt text or models from


@dataclass(frozen=True)
class CodeSite:
    """Where a call is in a source file (1-based line, 0-based column) and what it sends: its
    own prompt (`prompt_id`) and/or prompt files (`files`, workspace-relative paths)."""

    path: str
    line: int
    column: int
    prompt_id: str | None
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileModel:
    """The model a prompt file is sent with, read from the call that sends it."""

    model: ModelRef
    source_path: str
    call_id: str


@dataclass(frozen=True)
class CodeIndex:
    prompts: tuple[CodePrompt, ...] = ()
    sites: tuple[CodeSite, ...] = ()
    file_models: Mapping[str, FileModel] = field(default_factory=dict)
    sent_files: tuple[str, ...] = ()  # prompt files named by calls (discovery adds them)
    errors: Mapping[str, str] = field(default_factory=dict)  # path -> where parsing stopped

    def sites_in(self, path: str) -> list[CodeSite]:
        return [site for site in self.sites if site.path == path]

    def paths(self) -> set[str]:
        return {site.path for site in self.sites} | set(self.errors)


def resolve_read(source: str, read: FileRead, exists: Callable[[str], bool]) -> str | None:
    """The workspace path of a file a call reads: relative to the source file's folder when
    built from `__file__`; else the root (the usual working directory), then the folder."""
    folder = posixpath.dirname(source)
    candidates = (
        [posixpath.join(folder, read.path)]
        if read.base == "file"
        else [read.path, posixpath.join(folder, read.path)]
    )
    for candidate in candidates:
        rel = posixpath.normpath(candidate)
        if not rel.startswith("../") and rel != ".." and exists(rel):
            return rel
    return None


def sites_of(
    path: str, text: str, exists: Callable[[str], bool], modules: ModuleSource | None = None
) -> tuple[list[CodeSite], list[tuple[str, FileModel]], SourceScan]:
    """The call sites of one source text, and the models of the prompt files they send."""
    language = language_of(path)
    if language is None:
        return [], [], SourceScan("python")
    scan = scan_text(language, text, path, modules)
    sites: list[CodeSite] = []
    models: list[tuple[str, FileModel]] = []
    for call in scan.calls:
        files = tuple(
            rel for read in call.files if (rel := resolve_read(path, read, exists)) is not None
        )
        identity = call_id(path, call.key)
        own = sends_text(call) or len(files) < len(call.files)
        sites.append(CodeSite(path, call.line, call.column, identity if own else None, files))
        if call.model is not None:
            models.extend((rel, FileModel(call.model, path, identity)) for rel in files)
    return sites, models, scan


def deps_digest(scan: SourceScan) -> str:
    """One digest of the modules a scan read imported names from ("" for none)."""
    return text_digest(repr(scan.deps)) if scan.deps else ""


def index_sources(
    sources: Mapping[str, str],
    exists: Callable[[str], bool],
    modules: ModuleSource | None = None,
    store: ScanStore | None = None,
) -> CodeIndex:
    """Scan every source (path -> text) and index what its calls send; `store` keeps scans
    across runs (read in one batch first, the new ones written in one batch after)."""
    keys = [
        cache_key(language, text, path, modules)
        for path, text in sources.items()
        if (language := language_of(path)) is not None
    ]
    stored = {} if store is None else store.get_many(store_key(key) for key in keys)
    seed({key: stored[store_key(key)] for key in keys if store_key(key) in stored})
    index = _index(sources, exists, modules)
    if store is not None:
        store.put_many(
            {
                store_key(key): scan
                for key in keys
                if (scan := cached(key)) is not None and stored.get(store_key(key)) is not scan
            }
        )
    return index


def _index(
    sources: Mapping[str, str], exists: Callable[[str], bool], modules: ModuleSource | None
) -> CodeIndex:
    prompts: list[CodePrompt] = []
    sites: list[CodeSite] = []
    file_models: dict[str, FileModel] = {}
    errors: dict[str, str] = {}
    for path in sorted(sources):
        found, models, scan = sites_of(path, sources[path], exists, modules)
        if scan.error is not None:
            errors[path] = scan.error
        for site in found:
            if site.prompt_id is not None:
                key = site.prompt_id.partition(SEPARATOR)[2]
                depends = deps_digest(scan)
                prompts.append(CodePrompt(site.prompt_id, path, key, scan.language, depends))
        sites.extend(found)
        for rel, model in models:
            file_models.setdefault(rel, model)
    sent = tuple(sorted({rel for site in sites for rel in site.files}))
    return CodeIndex(tuple(prompts), tuple(sites), file_models, sent, errors)
