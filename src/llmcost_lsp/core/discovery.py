"""Finding prompt files in a workspace: globs, .gitignore, manifest paths, ids and content hashes.

One walk with os.scandir; globs (gitignore syntax) are compiled once. Ignored directories are not
entered, so a large `node_modules` costs nothing. The same matching and id rules run on a
`TreeListing` (core/tree.py: a commit's files from git objects) for `diff`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from llmcost_lsp.core.code.collect import CodeIndex, index_sources
from llmcost_lsp.core.code.modules import ModuleSource, is_module
from llmcost_lsp.core.code.scan import is_test_path, language_of, mentions_llm
from llmcost_lsp.core.code.scan_store import ScanStore
from llmcost_lsp.core.discovery_guess import ID_ANCHORS, guess, is_doc_name, not_a_prompt
from llmcost_lsp.core.errors import InputError, LlmCostError, Location
from llmcost_lsp.core.formats import PromptFormat, detect_format, parse_prompt
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.manifest import (
    CONTROL_CHARACTERS,
    DEFAULT_INCLUDE,
    MANIFEST_DOCS_URL,
    MANIFEST_FILENAME,
    Manifest,
)
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.textfile import (
    DEFAULT_LIMIT_BYTES,
    content_hash,
    decode_text,
    read_capped,
    read_text_file,
)
from llmcost_lsp.core.tree import TreeListing

__all__ = [
    "DiscoveryResult",
    "PromptFile",
    "Skipped",
    "content_hash",
    "discover",
    "prompt_id_for",
]

# Never prompts, never worth a look: VCS data, dependencies, caches, virtualenvs.
SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".idea", ".gradle", "site-packages",
    }
)  # fmt: skip
_EXTENSIONS = frozenset(
    {
        ".md", ".markdown", ".mdx", ".txt", ".text", ".prompt", ".prompty", ".yml", ".yaml",
        ".j2", ".jinja", ".jinja2", ".hbs", ".handlebars", ".mustache", ".tmpl", ".tpl",
    }
)  # fmt: skip
_ODD = re.compile(r"[^\w.-]+")


@dataclass(frozen=True)
class PromptFile:
    """A prompt found in the workspace, read and decoded (LF-normalised)."""

    id: str
    path: str  # relative to the root, with "/"
    absolute_path: Path
    format: PromptFormat
    explicit_id: bool
    text: str
    # Why the file could not be read (binary, not UTF-8, too large, unreadable): set only for a
    # file the manifest names, which stays a prompt (not estimated) instead of leaving the budgets.
    read_error: Issue | None = None
    site: str = ""  # a call-site prompt's call key in its source file (`answer`, `Bot.reply#2`)
    # a call-site prompt's text or model imported from other modules: their digest (code/modules)
    depends: str = ""

    @functools.cached_property
    def content_hash(self) -> str:
        """Computed when first asked for: an editor's edit of a 1 MB prompt need not hash it.
        A call's hash covers the modules it imports its prompt or model from."""
        if self.read_error is not None:  # never the hash of a readable (empty) text
            return content_hash(f"\0unreadable\0{self.read_error.code}\0{self.read_error.message}")
        if self.depends:
            return content_hash(f"{self.text}\0imports\0{self.depends}")
        return content_hash(self.text)


@dataclass(frozen=True)
class Skipped:
    """A file that looked like a prompt but is not estimated, and why."""

    path: str
    reason: str
    code: str


@dataclass(frozen=True)
class DiscoveryResult:
    prompts: tuple[PromptFile, ...]
    skipped: tuple[Skipped, ...] = ()
    issues: tuple[Issue, ...] = field(default=())
    code: CodeIndex = field(default_factory=CodeIndex)  # LLM calls in source files
    modules: ModuleSource | None = None  # the walk's modules, for names calls import

    def by_id(self) -> dict[str, PromptFile]:
        return {prompt.id: prompt for prompt in self.prompts}


@functools.lru_cache(maxsize=4096)
def _normalise_segment(segment: str) -> str:
    cleaned = _ODD.sub("-", segment.strip().lower())
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-.")
    return cleaned or "_"


def _strip_extensions(name: str) -> str:
    stem = name
    while True:
        base, dot, ext = stem.rpartition(".")
        if not dot or not base or f".{ext.lower()}" not in _EXTENSIONS:
            return stem
        stem = base


def _id_segments(rel_path: str) -> list[str]:
    """Every path segment normalised, the file name without its prompt extensions."""
    parts = [p for p in rel_path.split("/") if p]
    parts[-1] = _strip_extensions(parts[-1])
    return [_normalise_segment(p) for p in parts]


@functools.lru_cache(maxsize=65536)
def prompt_id_for(rel_path: str) -> str:
    """`src/prompts/search.txt` → `search`; `prompts/support/triage.txt` → `support/triage`.

    After the last `prompts/` directory (or `patterns/`, `system_prompts/`… see ID_ANCHORS) when
    there is one, else the file name alone; known prompt extensions dropped, lowercased, runs of
    odd characters become `-`."""
    segments = _id_segments(rel_path)
    original = [p.lower() for p in rel_path.split("/") if p][:-1]
    last = max((i for i, name in enumerate(original) if name in ID_ANCHORS), default=None)
    kept = segments[last + 1 :] if last is not None else segments[-1:]
    return "/".join(kept)


IGNORE_FILE_LIMIT_BYTES = 4_000_000


class _Globs(pathspec.GitIgnoreSpec):
    """RE2 matches UTF-8 only: a path that is not (a file name with byte 0xFF, held as a lone
    surrogate) is matched with U+FFFD in place of each such byte instead of raising."""

    def match_file(self, file: Any, separators: Any = None) -> bool:
        return super().match_file(_utf8(file), separators)

    def check_file(self, file: Any, separators: Any = None) -> Any:
        return super().check_file(_utf8(file), separators)


def _utf8(path: Any) -> Any:
    if isinstance(path, str) and not path.isascii():
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return path


def compile_globs(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """Gitignore-syntax globs, matched in time linear in the path: runs of `*` that are not a
    `**` segment mean one `*` (as in git) and are collapsed, and with google-re2 installed (a
    dependency) pathspec matches through RE2, which never backtracks. A 13-byte line such as
    `************b` once kept Python's backtracking regex busy for minutes per path."""
    return _Globs.from_lines([_utf8(_collapse_stars(line)) for line in lines])


def _collapse_stars(pattern: str) -> str:
    if "**" not in pattern:
        return pattern
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n:  # an escaped character is literal
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char != "*":
            out.append(char)
            i += 1
            continue
        end = i
        while end < n and pattern[end] == "*":
            end += 1
        segment = (i == 0 or pattern[i - 1] == "/") and (end == n or pattern[end] == "/")
        out.append("**" if segment and end - i == 2 else "*")
        i = end
    return "".join(out)


def _read_ignore_file(path: str) -> pathspec.GitIgnoreSpec | None:
    try:  # never a FIFO, never unbounded
        data = read_capped(path, IGNORE_FILE_LIMIT_BYTES, path, what="ignore files")
    except InputError:
        return None
    return _ignore_spec(data)


class _Ignore:
    """Nested .gitignore files: the deepest file with a matching pattern decides.

    Each spec is kept with how to turn a root-relative path into one relative to the spec's
    directory: strip a prefix (a directory below the root) or prepend one (the root's path inside
    the git repository, for .gitignore files above the root)."""

    def __init__(self, specs: list[tuple[str, str, pathspec.GitIgnoreSpec]] | None = None) -> None:
        self.specs = specs or []

    @classmethod
    def for_root(cls, root: str) -> _Ignore:
        """The .gitignore files (and .git/info/exclude) from the repository root down to `root`."""
        ancestors: list[str] = []
        current = root
        for _ in range(64):
            ancestors.append(current)
            if os.path.exists(os.path.join(current, ".git")):
                break
            parent = os.path.dirname(current)
            if parent == current:
                return cls().with_dir(root, "")  # not in a git repository: the root's own only
            current = parent
        specs: list[tuple[str, str, pathspec.GitIgnoreSpec]] = []
        repo = ancestors[-1]
        exclude = _read_ignore_file(os.path.join(repo, ".git", "info", "exclude"))
        for directory in reversed(ancestors):
            inside = os.path.relpath(root, directory).replace(os.sep, "/")
            prepend = "" if inside == "." else inside + "/"
            if directory == repo and exclude is not None:
                specs.append(("", prepend, exclude))
            spec = _read_ignore_file(os.path.join(directory, ".gitignore"))
            if spec is not None:
                specs.append(("", prepend, spec))
        return cls(specs)

    def with_dir(self, directory: str, rel_dir: str) -> _Ignore:
        return self.with_spec(rel_dir, _read_ignore_file(os.path.join(directory, ".gitignore")))

    def with_spec(self, rel_dir: str, spec: pathspec.GitIgnoreSpec | None) -> _Ignore:
        if spec is None:
            return self
        return _Ignore([*self.specs, (rel_dir, "", spec)])

    def ignored(self, rel_path: str, is_dir: bool) -> bool:
        for strip, prepend, spec in reversed(self.specs):
            local = prepend + (rel_path[len(strip) + 1 :] if strip else rel_path)
            result = spec.check_file(local + "/" if is_dir else local)
            if result.include is not None:
                return bool(result.include)
        return False


@dataclass
class _Walk:
    root: Path  # absolute, as the caller named it (paths match editor URIs)
    real_root: Path  # symlinks resolved: what "inside the workspace" means
    include: pathspec.PathSpec[Any]
    exclude: pathspec.PathSpec[Any]
    limit_bytes: int
    tree: TreeListing | None = None  # None: the filesystem under root
    guessing: bool = False  # also look where teams keep prompts (core/discovery_guess.py)
    found: dict[str, PromptFile] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    not_prompt_format: list[str] = field(default_factory=list)  # matched, format unknown
    failed: dict[str, InputError] = field(default_factory=dict)  # candidates that did not read
    links: dict[str, str] = field(default_factory=dict)  # a tree's symlink -> the file it names
    sources: dict[str, str] = field(default_factory=dict)  # source files naming an LLM library
    code_ids: set[str] = field(default_factory=set)

    def run(self) -> None:
        if self.tree is not None:
            self.run_tree(self.tree)
            return
        root = str(self.root)
        stack: list[tuple[str, str, _Ignore]] = [(root, "", _Ignore.for_root(root))]
        while stack:
            directory, rel_dir, ignore = stack.pop()
            try:
                entries = list(os.scandir(directory))
            except OSError as error:
                self.skipped.append(
                    Skipped(rel_dir or ".", f"cannot list: {error.strerror}", "unreadable")
                )
                continue
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                self.visit(entry, rel, ignore, stack)

    def run_tree(self, tree: TreeListing) -> None:
        """The walk over a tree's file list: same skipped folders, ignore files and globs."""
        outer = [("", prepend, _ignore_spec(data)) for prepend, data in tree.outer_ignores]
        folders: dict[str, _Ignore | None] = {
            "": _Ignore(outer).with_spec("", _tree_ignore(tree, ""))
        }
        wanted: list[tuple[str, str | None]] = []
        for rel in sorted(tree.files):
            ignore = self._tree_folder(rel.rpartition("/")[0], folders, tree)
            if ignore is None or rel == MANIFEST_FILENAME or ignore.ignored(rel, False):
                continue
            if tree.files[rel].kind == "symlink" and not self.tree_link(tree, rel):
                continue
            kind = self.kind(rel)
            if kind is not None or _is_source(rel):
                wanted.append((rel, kind))
        if tree.prefetch is not None:
            tree.prefetch(
                [
                    self.links.get(rel, rel)
                    for rel, _ in wanted
                    if detect_format(rel) is not None or _is_source(rel)
                ]
            )
        for rel, kind in wanted:
            self.candidate(rel, str(self.root / rel), kind)

    def kind(self, rel: str) -> str | None:
        """None: not a candidate; "": matched by the include globs; else the kind of guess."""
        if self.exclude.match_file(rel):
            return None
        if self.include.match_file(rel):
            return ""
        if not self.guessing or detect_format(rel) is None:
            return None  # a guess only looks at files in a prompt format
        return guess(rel)

    def tree_link(self, tree: TreeListing, rel: str) -> bool:
        """A committed symlink is what a checkout of the commit holds, so it is followed as a
        walk of the checkout would: to a file inside the workspace, it is a candidate read
        from its target (`links`); to a folder inside, nothing (walked where it is); outside
        the workspace or broken, skipped with the reason. Both sides of a diff then agree."""
        target: str | None = rel
        for _ in range(8):  # a chain of links, as the OS allows a few
            file = tree.files.get(target) if target is not None else None
            if file is None or file.kind != "symlink":
                break
            assert target is not None
            pointed = file.load().decode("utf-8", "surrogateescape")
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(target), pointed))
            target = None if pointed.startswith("/") or joined.startswith("../") else joined
        else:
            target = ""  # a loop
        reason = None
        if target is None:
            reason = ("symlink to a path outside the workspace", "outside-workspace")
        elif target == "":
            reason = ("symlink loop", "symlink")
        elif target not in tree.files:
            folder = target + "/"
            if any(path.startswith(folder) for path in tree.files):
                return False  # a folder inside the workspace: walked where it is
            reason = ("broken symlink", "symlink")
        if reason is not None:
            if self.include.match_file(rel):
                self.skipped.append(Skipped(rel, *reason))
            return False
        assert target is not None
        self.links[rel] = target
        return True

    def _tree_folder(
        self, folder: str, folders: dict[str, _Ignore | None], tree: TreeListing
    ) -> _Ignore | None:
        """The ignore rules inside `folder`, or None when the folder is skipped or ignored."""
        if folder in folders:
            return folders[folder]
        parent = self._tree_folder(folder.rpartition("/")[0], folders, tree)
        name = folder.rpartition("/")[2]
        state: _Ignore | None = None
        if (
            parent is not None
            and name not in SKIPPED_DIRS
            and f"{folder}/pyvenv.cfg" not in tree.files
            and f"{folder}/{MANIFEST_FILENAME}" not in tree.files  # a workspace of its own
            and not parent.ignored(folder, True)
        ):
            state = parent.with_spec(folder, _tree_ignore(tree, folder))
        folders[folder] = state
        return state

    def visit(
        self,
        entry: os.DirEntry[str],
        rel: str,
        ignore: _Ignore,
        stack: list[tuple[str, str, _Ignore]],
    ) -> None:
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            return
        if is_dir and (
            entry.name in SKIPPED_DIRS
            or os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))
            # a folder with its own llm-cost.toml is a workspace of its own (examples/code-app)
            or os.path.exists(os.path.join(entry.path, MANIFEST_FILENAME))
        ):
            return
        if ignore.ignored(rel, is_dir):
            return
        if is_dir and os.path.lexists(os.path.join(entry.path, ".git")):
            # a submodule (or another repository): its files are not this repository's, and a
            # commit's tree holds only a pointer to it, so diff could never read its base side
            self.skipped.append(
                Skipped(rel, "git submodule or nested repository: not read", "submodule")
            )
            return
        if is_link:
            self.symlink(entry, rel)
            return
        if is_dir:
            stack.append((entry.path, rel, ignore.with_dir(entry.path, rel)))
        elif rel != MANIFEST_FILENAME:
            # a FIFO or device too: its read is refused without blocking, with the reason
            self.candidate(rel, entry.path)

    def symlink(self, entry: os.DirEntry[str], rel: str) -> None:
        try:
            target = Path(os.path.realpath(entry.path, strict=True))
        except OSError as error:
            reason = (
                "symlink loop"
                if "loop" in str(error).lower() or error.errno == 40
                else "broken symlink"
            )
            if self.include.match_file(rel):
                self.skipped.append(Skipped(rel, reason, "symlink"))
            return
        if not target.is_relative_to(self.real_root):
            if self.include.match_file(rel) or target.is_dir():
                self.skipped.append(
                    Skipped(rel, f"symlink to {target}, outside the workspace", "outside-workspace")
                )
            return
        if target.is_dir():
            return  # the target is inside the workspace and is walked where it really is
        self.candidate(rel, entry.path)

    def candidate(self, rel: str, absolute: str, kind: str | None = "?") -> None:
        """`kind` as `self.kind(rel)` says, when the caller knows it already ("?": ask)."""
        if _is_source(rel) and not self.exclude.match_file(rel) and self.add_source(rel, absolute):
            return  # source code calling an LLM (core/code)
        kind = self.kind(rel) if kind == "?" else kind
        if kind is not None:
            self.add(rel, Path(absolute), guessed=kind or None)

    def add(
        self,
        rel: str,
        absolute: Path,
        prompt_id: str = "",
        explicit: bool = False,
        guessed: str | None = None,
    ) -> bool:
        """Read a candidate; `explicit`: named by a manifest `path`, `guessed`: found by a guess
        (discovery_guess.guess), so its content must read like a prompt."""
        # A path named in the manifest is a prompt whatever its extension.
        fmt = detect_format(rel) or ("text" if explicit else None)
        if fmt is None:
            if rel.rsplit("/", 1)[-1].startswith("."):
                return False  # .gitignore, .DS_Store: hidden files are not worth a line
            ext = os.path.splitext(rel)[1] or "(none)"
            self.skipped.append(
                Skipped(rel, f"not a prompt format (extension {ext})", "not-a-prompt")
            )
            self.not_prompt_format.append(rel)
            return False
        if not explicit and is_doc_name(rel):
            self.skipped.append(Skipped(rel, "documentation, not a prompt", "not-a-prompt"))
            return False
        try:
            text = self.read(rel, absolute)
        except InputError as error:
            self.skipped.append(Skipped(rel, error.message, error.code))
            self.failed[rel] = error
            return False
        if guessed is not None:
            why = not_a_prompt(text, parse_prompt(rel, text, fmt), guessed)
            if why is not None:
                self.skipped.append(Skipped(rel, why, "not-a-prompt"))
                return False
        self.found[rel] = PromptFile(prompt_id, rel, absolute, fmt, explicit, text)
        return True

    def keep_unreadable(self, rel: str, prompt_id: str) -> bool:
        """A file the manifest names that failed to read stays a prompt, with the reason as an
        error: leaving it out would drop it from every budget without a word."""
        error = self.failed.get(rel)
        if error is None:
            return False
        self.skipped = [skip for skip in self.skipped if skip.path != rel]
        located = error.location if error.location and error.location.path else Location(rel)
        issue = Issue(
            "unreadable-prompt",
            f"prompt {prompt_id!r} cannot be estimated: {error.message}; "
            f"{MANIFEST_FILENAME} names it, so its cost is unknown",
            Location(rel, located.line or 1, located.column or 1),
            "error",
            error.hint or f"make {rel} a readable UTF-8 text file under the size limit",
        )
        fmt = detect_format(rel) or "text"
        self.found[rel] = PromptFile(prompt_id, rel, self.root / rel, fmt, True, "", issue)
        return True

    def add_source(self, rel: str, absolute: str) -> bool:
        """A source file is kept (for core/code) only if its bytes name an LLM library;
        False when they do not (it is then an ordinary file to discovery)."""
        try:
            if self.tree is None:
                with open(absolute, "rb") as handle:
                    data = handle.read(self.limit_bytes + 1)
            else:
                file = self.tree.files[rel]
                data = file.load() if file.kind == "file" and file.size <= self.limit_bytes else b""
        except OSError as error:
            self.skipped.append(Skipped(rel, f"cannot read: {error.strerror}", "unreadable"))
            return True
        if not mentions_llm(data):
            return False
        if CONTROL_CHARACTERS.search(rel):
            # a call's id is `path::function`: an id with a CR in it once split a FOCUS record
            message = "the file name has control characters: calls not read (rename the file)"
            self.skipped.append(Skipped(rel, message, "bad-name"))
            return True
        if len(data) > self.limit_bytes:
            message = f"source larger than the {self.limit_bytes:,}-byte limit: calls not read"
            self.skipped.append(Skipped(rel, message, "too-large"))
            return True
        try:
            self.sources[rel] = decode_text(data, rel).text
        except InputError as error:
            self.skipped.append(Skipped(rel, f"calls not read: {error.message}", error.code))
        return True

    def read(self, rel: str, absolute: Path) -> str:
        if self.tree is None:
            return read_text_file(absolute, self.limit_bytes, display_path=rel).text
        file = self.tree.files[self.links.get(rel, rel)]
        if file.kind == "symlink":
            raise InputError("symlink in a git tree: not followed", code="symlink")
        return file.read_text(self.limit_bytes).text

    def is_file(self, rel: str, absolute: Path) -> bool:
        """Something that is not a folder is there (a FIFO too: reading it says what it is)."""
        if self.tree is not None:
            return rel in self.tree.files
        return absolute.exists() and not absolute.is_dir()


def _is_source(rel: str) -> bool:
    return language_of(rel) is not None and not is_test_path(rel)


def _ignore_spec(data: bytes) -> pathspec.GitIgnoreSpec:
    return compile_globs(data.decode("utf-8", "replace").splitlines())


def _tree_ignore(tree: TreeListing, folder: str) -> pathspec.GitIgnoreSpec | None:
    file = tree.files.get(f"{folder}/.gitignore" if folder else ".gitignore")
    if file is None or file.kind != "file":
        return None
    try:
        return _ignore_spec(file.load())
    except InputError:
        return None


def _spec(patterns: Iterable[str]) -> pathspec.PathSpec[Any]:
    return compile_globs(patterns)


def _explicit_paths(walk: _Walk, manifest: Manifest, issues: list[Issue]) -> dict[str, str]:
    """Bind manifest entries that name a `path`; returns relative path → explicit id."""
    claimed: dict[str, str] = {}
    for prompt_id, entry in manifest.prompts.items():
        if entry.path is None:
            continue
        where = manifest.location_of("prompts", prompt_id, "path")
        absolute = Path(os.path.normpath(walk.root / entry.path))
        # a tree's paths are checked as text: its symlinks are never followed
        real = Path(os.path.realpath(absolute)) if walk.tree is None else absolute
        real_root = walk.real_root if walk.tree is None else walk.root
        if not absolute.is_relative_to(walk.root) or not real.is_relative_to(real_root):
            issues.append(
                Issue(
                    "outside-workspace",
                    f"prompts.{prompt_id}.path {entry.path!r} is outside the workspace",
                    where,
                    "error",
                )
            )
            continue
        rel = absolute.relative_to(walk.root).as_posix()
        if rel in claimed:
            issues.append(
                Issue(
                    "duplicate-id",
                    f"prompts.{prompt_id} points at the same file as "
                    f"prompts.{claimed[rel]} ({rel}); both are estimated",
                    manifest.location_of("prompts", prompt_id),
                    "warning",
                    "remove one entry unless the file really runs under two settings",
                )
            )
            continue
        if not walk.is_file(rel, absolute):
            issues.append(
                Issue(
                    "missing-path",
                    f"prompts.{prompt_id}.path {entry.path!r} does not exist",
                    where,
                    "error",
                    "fix the path or remove the entry",
                )
            )
            continue
        if (
            rel not in walk.found
            and not walk.add(rel, absolute, explicit=True)
            and not walk.keep_unreadable(rel, prompt_id)
        ):
            continue
        claimed[rel] = prompt_id
    return claimed


def _unreadable_includes(manifest: Manifest, paths: Sequence[str]) -> Issue:
    """An explicit include that matches files llm-cost cannot read as prompts says so."""
    shown = ", ".join(sorted(paths)[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    count = len(paths)
    return Issue(
        "not-a-prompt-format",
        f"[discovery] include matches {count} file{'s' * (count != 1)} that llm-cost cannot "
        f"read as a prompt (not a prompt format), so {'they are' if count != 1 else 'it is'} "
        f"not estimated: {shown}",
        manifest.location_of("discovery", "include"),
        "warning",
        "narrow the globs or add an exclude; `--show-skipped` lists every file; formats: "
        f"{MANIFEST_DOCS_URL}",
    )


_LISTED = 3  # files named in a finding about many


def _assign_ids(paths: Sequence[str], taken: set[str], issues: list[Issue]) -> dict[str, str]:
    """Heuristic ids; colliding ones get the shortest unique parent path and a warning."""
    groups: dict[str, list[str]] = {}
    for rel in paths:
        groups.setdefault(prompt_id_for(rel), []).append(rel)
    result: dict[str, str] = {}
    for base, members in sorted(groups.items()):
        if len(members) == 1 and base not in taken:
            result[members[0]] = base
            taken.add(base)
            continue
        chosen = _disambiguate(base, sorted(members), taken)
        result.update(chosen)
        ordered = sorted(members)
        listing = ", ".join(f"{rel!r} -> {chosen[rel]!r}" for rel in ordered[:_LISTED])
        if len(ordered) > _LISTED:  # one line, not one per file: fabric has 225 `system.md`
            listing += f" and {len(ordered) - _LISTED} more"
        issues.append(
            Issue(
                "id-collision",
                f"prompt id {base!r} is not unique; using {listing}",
                Location(path=sorted(members)[0]),
                "warning",
                "name them in llm-cost.toml ([prompts.<id>] with path) to choose stable ids",
            )
        )
    return result


def _disambiguate(base: str, members: list[str], taken: set[str]) -> dict[str, str]:
    depth = base.count("/") + 1
    segments = {rel: _id_segments(rel) for rel in members}
    chosen: dict[str, str] = {}
    pending = list(members)
    longest = max(len(s) for s in segments.values())
    for k in range(depth + 1, longest + 1):
        candidates = {rel: "/".join(segments[rel][-k:]) for rel in pending}
        counts: dict[str, int] = {}
        for value in candidates.values():
            counts[value] = counts.get(value, 0) + 1
        for rel in list(pending):
            value = candidates[rel]
            if counts[value] == 1 and value not in taken:
                chosen[rel] = value
                taken.add(value)
                pending.remove(rel)
    for rel in pending:  # same path but for the extension or case: keep the full name
        value = "/".join(_normalise_segment(p) for p in rel.split("/"))
        suffix = 2
        unique = value
        while unique in taken:
            unique, suffix = f"{value}~{suffix}", suffix + 1
        chosen[rel] = unique
        taken.add(unique)
    return chosen


def discover(
    root: Path,
    manifest: Manifest | None = None,
    *,
    limit_bytes: int = DEFAULT_LIMIT_BYTES,
    tree: TreeListing | None = None,
    settings: Settings | None = None,
) -> DiscoveryResult:
    """Every prompt under `root` (zero-config without a manifest), plus skips and located issues.

    With `tree`, the files are those of the listing (a git commit) instead of the disk's; with
    `settings`, scans of source files are kept in the persistent cache under its cache dir."""
    root = Path(os.path.abspath(root))
    config = manifest.discovery if manifest else None
    # Guesses only when the manifest does not say which files are prompts.
    explicit_include = config is not None and "include" in config.model_fields_set
    walk = _Walk(
        root,
        Path(os.path.realpath(root)),
        _spec(config.include if config else DEFAULT_INCLUDE),
        _spec(config.exclude if config else ()),
        limit_bytes,
        tree,
        guessing=not explicit_include,
    )
    walk.run()
    modules = _module_source(walk)
    code = _index_code(walk, modules, settings)
    issues: list[Issue] = []
    if explicit_include and walk.not_prompt_format and manifest is not None:
        issues.append(_unreadable_includes(manifest, walk.not_prompt_format))
    claimed = _explicit_paths(walk, manifest, issues) if manifest else {}
    unclaimed = [rel for rel in walk.found if rel not in claimed]
    taken = set(claimed.values())
    # Entries without `path` name a discovered prompt by its heuristic id.
    by_heuristic: dict[str, list[str]] = {}
    for rel in unclaimed:
        by_heuristic.setdefault(prompt_id_for(rel), []).append(rel)
    bound: dict[str, str] = {}
    if manifest:
        unreadable: dict[str, list[str]] = {}
        for rel in walk.failed:
            if rel not in walk.found and rel not in claimed:
                unreadable.setdefault(prompt_id_for(rel), []).append(rel)
        for prompt_id, entry in manifest.prompts.items():
            if entry.path is not None or prompt_id in walk.code_ids:
                continue
            matches = by_heuristic.get(prompt_id, [])
            failed = unreadable.get(prompt_id, [])
            if not matches and len(failed) == 1:
                walk.keep_unreadable(failed[0], prompt_id)
                matches = failed
            if len(matches) == 1:
                bound[matches[0]] = prompt_id
                taken.add(prompt_id)
            else:
                problem = "no discovered prompt has" if not matches else "several prompts share"
                issues.append(
                    Issue(
                        "unmatched-entry",
                        f"prompts.{prompt_id} has no `path` and {problem} the id {prompt_id!r}",
                        manifest.location_of("prompts", prompt_id),
                        "warning",
                        'add `path = "…"` to the entry',
                    )
                )
    heuristic = _assign_ids(sorted(rel for rel in unclaimed if rel not in bound), taken, issues)
    prompts = []
    for rel, prompt in walk.found.items():
        explicit_id = claimed.get(rel) or bound.get(rel)
        prompt_id = explicit_id or heuristic[rel]
        prompts.append(
            PromptFile(
                prompt_id, rel, prompt.absolute_path, prompt.format, explicit_id is not None,
                prompt.text, prompt.read_error,
            )
        )  # fmt: skip
    for found in code.prompts:
        explicit = bool(manifest and found.id in manifest.prompts)
        source = walk.root / found.path
        text = walk.sources[found.path]
        prompts.append(
            PromptFile(found.id, found.path, source, found.language, explicit, text,
                       site=found.key, depends=found.depends)
        )  # fmt: skip
    prompts.sort(key=lambda p: (p.path, p.id))
    skipped = sorted(walk.skipped, key=lambda s: s.path)
    return DiscoveryResult(tuple(prompts), tuple(skipped), tuple(issues), code, modules)


def _module_source(walk: _Walk) -> ModuleSource:
    """The walk's Python files for imported names: the sources it kept, else read once."""
    texts: dict[str, str | None] = {}

    def read(rel: str) -> str | None:
        if rel in walk.sources:
            return walk.sources[rel]
        if rel not in texts:
            texts[rel] = None
            absolute = walk.root / rel
            if is_module(rel) and walk.is_file(rel, absolute):
                # unreadable: the import is not followed, and the reason stays
                with contextlib.suppress(LlmCostError, OSError, KeyError):
                    texts[rel] = walk.read(rel, absolute)
        return texts[rel]

    return ModuleSource(read)


def _index_code(walk: _Walk, modules: ModuleSource, settings: Settings | None) -> CodeIndex:
    """The LLM calls of the walk's source files; the prompt files they send become prompts."""

    def exists(rel: str) -> bool:
        if rel in walk.found:
            return True
        return rel != MANIFEST_FILENAME and walk.is_file(rel, walk.root / rel)

    if settings is None or not walk.sources:
        code = index_sources(walk.sources, exists, modules)
    else:
        with ScanStore(settings) as store:
            code = index_sources(walk.sources, exists, modules, store)
    for rel, error in code.errors.items():
        walk.skipped.append(Skipped(rel, f"calls not read: {error}", "syntax"))
    for rel in code.sent_files:
        if rel not in walk.found:
            walk.add(rel, walk.root / rel, explicit=True)
    walk.code_ids = {found.id for found in code.prompts}
    return code
