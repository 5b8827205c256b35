"""Where an imported module is in the workspace, and how a scan follows a name into it.

The rules are the same for Python and TypeScript (`Follower`): a module is read and parsed
once per scan (and kept by its text's digest across scans), the digest of each module read is
recorded, a name a module only re-exports is followed at most MAX_IMPORT_HOPS further, and a
cycle of re-exports stops. What differs per language is where a module is (`module_files` for
Python, `script_files` for TypeScript) and what a module binds (the scanners).


`from app.prompts import SYSTEM_PROMPT` in `app/search.py` names `app/prompts.py` (or
`app/prompts/__init__.py`) under the workspace root, under `src/`, or under a folder above the
importing file (a service run from `backend/` imports `server.x` from `backend/server/x.py`);
`from .prompts import X` is relative to the importing file's package. A scan that follows such
an import records the module's path and the hash of the text it read (`SourceScan.deps`), so a
cached scan, a diff's result key and the editor's refresh all change when that module does.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

SCRIPT_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
_COMPILED_FROM = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
SCRIPT_CONFIGS = ("tsconfig.json", "jsconfig.json")  # their `paths` map `@/lib/x` to a folder
MAX_IMPORT_HOPS = 4  # re-exports followed (`__init__` importing from a submodule) per name
_HASHES: OrderedDict[str, str] = OrderedDict()  # text -> sha256 (Python caches str hashes)
_HASH_LIMIT = 1024


@dataclass(frozen=True)
class ModuleSource:
    """Reads a workspace file for a scan: its text, or None when it is not there (or cannot
    be read). Discovery reads the walk's files; the editor's workspace its open buffers first."""

    read: Callable[[str], str | None]

    def digest(self, rel: str) -> str | None:
        text = self.read(rel)
        return None if text is None else text_digest(text)


def is_module(rel: str) -> bool:
    """Whether a scan may read this workspace file for imported names: a Python or
    TypeScript/JavaScript module, or the tsconfig.json/jsconfig.json whose `paths` it follows."""
    name = posixpath.basename(rel).lower()
    return name in SCRIPT_CONFIGS or (
        name.endswith((".py", *SCRIPT_EXTENSIONS)) and not name.endswith(".d.ts")
    )


def text_digest(text: str) -> str:
    found = _HASHES.get(text)
    if found is None:
        found = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        _HASHES[text] = found
        if len(_HASHES) > _HASH_LIMIT:
            _HASHES.popitem(last=False)
    return found


def module_files(importer: str, level: int, dotted: str) -> list[str]:
    """The workspace paths that may hold module `dotted` imported from the file `importer`
    (`level` leading dots: relative to its package), most likely first."""
    parts = [part for part in dotted.split(".") if part]
    if level > 0:
        folder = posixpath.dirname(importer)
        for _ in range(level - 1):
            if not folder:
                return []  # above the workspace root
            folder = posixpath.dirname(folder)
        roots = [folder]
    else:
        roots = ["", "src"]
        folder = posixpath.dirname(importer)
        while folder:  # the folders above the importer, nearest last (the root was first)
            if folder not in roots:
                roots.insert(2, folder)
            folder = posixpath.dirname(folder)
    found: list[str] = []
    for root in roots:
        base = posixpath.join(root, *parts) if parts else root
        if parts:
            found.append(base + ".py")
        found.append(posixpath.join(base, "__init__.py") if base else "__init__.py")
    return found


@dataclass(frozen=True)
class Aliases:
    """A tsconfig's `compilerOptions.paths` (pattern, targets; workspace paths) and `baseUrl`."""

    paths: tuple[tuple[str, tuple[str, ...]], ...] = ()
    base: str | None = None
    found: bool = False  # a config was read (else `@/` and `~/` are tried at the root, src/)


_JSONC = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.S)


def read_aliases(folder: str, text: str) -> Aliases:
    """The aliases of the tsconfig.json in `folder` (JSON with comments and trailing commas;
    `extends` is not followed). Unreadable: no aliases."""
    try:
        raw = json.loads(_JSONC.sub(lambda m: m.group(0) if m.group(0)[0] == '"' else "", text))
        options = raw.get("compilerOptions") or {}
        base_url = options.get("baseUrl")
        base = posixpath.normpath(posixpath.join(folder, base_url)) if base_url else None
        root = base if base is not None else folder
        paths = tuple(
            (str(pattern), tuple(posixpath.normpath(posixpath.join(root, str(t))) for t in targets))
            for pattern, targets in (options.get("paths") or {}).items()
            if isinstance(targets, list)
        )
    except (ValueError, AttributeError, TypeError):
        return Aliases(found=True)
    return Aliases(paths, "" if base == "." else base, True)


def script_files(importer: str, specifier: str, aliases: Aliases) -> list[str]:
    """The workspace paths that may hold the TypeScript/JavaScript module `specifier` imported
    from `importer`: relative to it (`./prompts`), through the tsconfig's `paths` (`@/lib/x`)
    or `baseUrl`; a package (`openai`) is not in the workspace."""
    bases: list[str] = []
    if specifier.startswith("."):
        bases.append(posixpath.join(posixpath.dirname(importer), specifier))
    else:
        for pattern, targets in aliases.paths:
            head, star, tail = pattern.partition("*")
            if not star and specifier == pattern:
                bases.extend(targets)
            elif star and specifier.startswith(head) and specifier.endswith(tail):
                middle = specifier[len(head) : len(specifier) - len(tail)]
                bases.extend(target.replace("*", middle, 1) for target in targets)
        if aliases.base is not None:
            bases.append(posixpath.join(aliases.base, specifier))
        if not aliases.found and specifier.startswith(("@/", "~/")):
            bases.extend([specifier[2:], posixpath.join("src", specifier[2:])])
    found: list[str] = []
    for base in bases:
        base = posixpath.normpath(base)
        if base == ".." or base.startswith("../") or base.startswith("/"):
            continue  # outside the workspace
        stem, extension = posixpath.splitext(base)
        if extension in SCRIPT_EXTENSIONS:  # `./prompts.js` is prompts.ts, compiled
            found.extend(stem + e for e in _COMPILED_FROM.get(extension, ()))
            found.append(base)
            continue
        found.extend(base + e for e in SCRIPT_EXTENSIONS)
        index = posixpath.join(base, "index") if base != "." else "index"
        found.extend(index + e for e in SCRIPT_EXTENSIONS)
    return list(dict.fromkeys(found))


Module = TypeVar("Module")
Entry = TypeVar("Entry")
Bound = TypeVar("Bound")
_PARSED: OrderedDict[tuple[str, str, str], Any] = OrderedDict()  # (language, path, digest)
_PARSED_LIMIT = 256


class ModuleRules(Protocol[Module, Entry]):
    """What a language says about its modules: where an import's module may be, how a text
    parses into the names it binds, and where a name it does not bind is re-exported from."""

    language: str

    def candidates(self, importer: str, entry: Entry) -> list[str]: ...

    def parse(self, rel: str, text: str) -> Module | None: ...

    def forwards(self, module: Module, entry: Entry) -> list[tuple[str, Entry]]: ...

    def name(self, entry: Entry) -> str: ...


@dataclass
class Follower(Generic[Module, Entry]):
    """Follows imported names into the workspace's modules for one scan."""

    rules: ModuleRules[Module, Entry]
    source: ModuleSource | None
    deps: dict[str, str] = field(default_factory=dict)  # module path -> digest of the text read
    _loaded: dict[str, tuple[str, Module | None]] = field(default_factory=dict)
    _following: set[tuple[str, str]] = field(default_factory=set)

    def load(self, candidates: Iterable[str]) -> tuple[str, Module] | None:
        """The first candidate path that is a workspace file, parsed (None: none is, or it
        does not parse)."""
        if self.source is None:
            return None
        for rel in candidates:
            if rel not in self._loaded:
                text = self.source.read(rel)
                if text is None:
                    continue
                digest = self.deps[rel] = text_digest(text)
                self._loaded[rel] = (rel, _parsed(self.rules, rel, text, digest))
            path, module = self._loaded[rel]
            return (path, module) if module is not None else None
        return None

    def follow(
        self,
        importer: str,
        entry: Entry,
        binding: Callable[[Module, Entry], Bound | None],
        hops: int = 0,
    ) -> tuple[Bound, Module] | None:
        """What the module an import names binds to the name (`binding`), through re-exports."""
        if hops > MAX_IMPORT_HOPS:
            return None
        loaded = self.load(self.rules.candidates(importer, entry))
        if loaded is None:
            return None
        path, module = loaded
        found = binding(module, entry)
        if found is not None:
            return found, module
        key = (path, self.rules.name(entry))
        if key in self._following:
            return None  # a cycle of re-exports
        self._following.add(key)
        try:
            for further_importer, further in self.rules.forwards(module, entry):
                result = self.follow(further_importer, further, binding, hops + 1)
                if result is not None:
                    return result
        finally:
            self._following.discard(key)
        return None


def _parsed(rules: ModuleRules[Module, Entry], rel: str, text: str, digest: str) -> Module | None:
    """A module's parse, kept by its text's digest across scans."""
    key = (rules.language, rel, digest)
    if key in _PARSED:
        _PARSED.move_to_end(key)
        found: Module | None = _PARSED[key]
        return found
    module = rules.parse(rel, text)
    _PARSED[key] = module
    if len(_PARSED) > _PARSED_LIMIT:
        _PARSED.popitem(last=False)
    return module
