"""Reading a commit's tree and blobs straight from git objects: no checkout, no worktree.

`git ls-tree -r -z --long` lists a tree once; one long-lived `git cat-file --batch` process
serves every blob. Works in a shallow CI clone as long as the commit itself was fetched.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.textfile import DEFAULT_LIMIT_BYTES as _READ_LIMIT
from llmcost_lsp.core.tree import TreeFile, TreeListing

__all__ = ["GitError", "GitRepo", "TreeChange", "TreeEntry", "ignore_files_above"]

_GIT_TIMEOUT_S = 60
_PREFETCH_BYTES = 64 * 1024 * 1024  # read in one batch up to this much; the rest one by one
# no prompts for credentials, stable messages, paths taken literally (a file named `*.md`)
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_LITERAL_PATHSPECS": "1"}


class GitError(InputError):
    """git is missing, the folder is not a repository, or a ref/object is not there: exit 2."""

    default_code = "git-error"


@dataclass(frozen=True)
class TreeChange:
    """One line of `git diff --raw`: path relative to the repository root."""

    path: str
    status: str  # M, A, D, T (type), U (unmerged)
    old_mode: str
    new_mode: str


@dataclass(frozen=True)
class TreeEntry:
    """One line of `git ls-tree --long`: path relative to the repository root."""

    mode: str
    kind: str  # blob, tree, commit (submodule)
    oid: str
    size: int | None
    path: str

    @property
    def is_link(self) -> bool:
        """A symlink or a submodule: a walk of the disk follows it, a walk of the tree does not."""
        return self.kind == "commit" or self.mode == "120000"


def _tree_entries(out: bytes) -> list[TreeEntry]:
    """The records of `git ls-tree -z --long`."""
    entries = []
    for record in out.split(b"\0"):
        if record:
            meta, _, raw_path = record.partition(b"\t")
            mode, kind, oid, size = meta.decode().split(maxsplit=3)
            path = raw_path.decode("utf-8", "surrogateescape")
            # "-" for trees and submodules; "BAD" when a partial clone lacks the blob (reading
            # it then says so, with the fetch to run)
            known = int(size) if size.isdigit() else None
            entries.append(TreeEntry(mode, kind, oid, known, path))
    return entries


def ignore_files_above(folder: str) -> list[str]:
    """The .gitignore paths of the folders above `folder` (relative to the top, with a final
    "/"; "" for the top itself), inside the repository."""
    parts = folder.rstrip("/").split("/") if folder else []
    return ["/".join([*parts[:i], ".gitignore"]) for i in range(len(parts))]


def _run_git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
            env={**os.environ, **_GIT_ENV},
        )
    except FileNotFoundError:
        raise GitError(
            "git is not installed or not on PATH", hint="install git; diff reads git objects"
        ) from None
    except subprocess.TimeoutExpired:
        raise GitError(f"`git {' '.join(args)}` took over {_GIT_TIMEOUT_S}s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        raise GitError(f"`git {' '.join(args)}` failed: {message}")
    return done.stdout


class GitRepo:
    """A git repository found from any folder inside it; close() ends the blob reader."""

    def __init__(self, toplevel: Path) -> None:
        self.toplevel = toplevel
        self._batch: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self.blobs_read = 0  # blobs fetched through cat-file (tests, benchmarks)

    @classmethod
    def containing(cls, folder: Path) -> GitRepo:
        if not folder.is_dir():
            raise GitError(f"{folder}: no such folder")
        try:
            out = _run_git(["rev-parse", "--show-toplevel"], folder)
        except GitError:
            raise GitError(
                f"{folder} is not inside a git repository",
                hint="diff compares git commits; run it inside a clone (git init for a new one)",
            ) from None
        return cls(Path(out.decode("utf-8", "surrogateescape").strip()).resolve())

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def resolve(self, ref: str) -> str:
        """The commit id `ref` names, or a GitError saying what to fetch."""
        if not ref or ref.startswith("-"):
            raise GitError(f"invalid git ref {ref!r}")
        try:
            out = _run_git(["rev-parse", "--verify", "--quiet", "--end-of-options",
                            f"{ref}^{{commit}}"], self.toplevel)  # fmt: skip
        except GitError:
            out = b""
        commit = out.decode().strip()
        if commit:
            return commit
        raise GitError(f"git ref {ref!r} is not in this clone", hint=self._fetch_hint(ref))

    def _fetch_hint(self, ref: str) -> str:
        try:
            shallow = _run_git(["rev-parse", "--is-shallow-repository"], self.toplevel) == b"true\n"
        except GitError:
            shallow = False
        name = ref.removeprefix("origin/").removeprefix("refs/heads/")
        if "~" in name or "^" in name:
            what = "git fetch --deepen=50" if shallow else "git fetch origin"
        elif len(name) >= 7 and all(c in "0123456789abcdef" for c in name.lower()):
            what = f"git fetch --depth=1 origin {name}"
        else:  # quoted: the ref is the user's (or a PR's) text, and the hint is for pasting
            what = f"git fetch --depth=1 origin {shlex.quote(f'{name}:refs/remotes/origin/{name}')}"
        why = " (this is a shallow clone)" if shallow else ""
        return f"fetch it first{why}: `{what}`, or in GitHub Actions checkout with fetch-depth: 0"

    def default_base(self) -> tuple[str, str]:
        """(commit, label) of the merge base of HEAD with the default branch: `origin/HEAD`,
        else origin/main, origin/master, main, master. GitError when none exists."""
        for ref in ("origin/HEAD", "origin/main", "origin/master", "main", "master"):
            try:
                out = _run_git(["merge-base", "HEAD", ref], self.toplevel)
            except GitError:
                continue
            label = ref.removeprefix("origin/")
            if label == "HEAD":
                target = _run_git(["rev-parse", "--abbrev-ref", "origin/HEAD"], self.toplevel)
                label = target.decode().strip().removeprefix("origin/") or "origin/HEAD"
            return out.decode().strip(), label
        raise GitError(
            "no default branch to compare with (tried origin/HEAD, origin/main, origin/master, "
            "main, master)",
            hint="pass a base ref, e.g. HEAD~1, or `git remote set-head origin --auto`",
        )

    def tree_id(self, commit: str, folder: str = "") -> str | None:
        """The id of the tree of `folder` (relative to the top, "" for all) in `commit`."""
        spec = f"{commit}:{folder.rstrip('/')}" if folder else f"{commit}^{{tree}}"
        try:
            out = _run_git(["rev-parse", "--verify", "--quiet", spec], self.toplevel)
        except GitError:
            return None
        return out.decode().strip() or None

    def changes(self, base: str, head: str | None) -> list[TreeChange]:
        """The files that differ from commit `base` in `head` (None: the working tree, staged
        or not), renames as a deletion and an addition."""
        args = ["diff", "--raw", "-z", "--no-renames", "--no-ext-diff", "--no-color",
                "--ignore-submodules=none", base]  # fmt: skip
        records = _run_git([*args, *([head] if head else [])], self.toplevel).split(b"\0")
        found = []
        for meta, raw_path in zip(records[0:-1:2], records[1::2], strict=True):
            old_mode, new_mode, _, _, status = meta.decode().lstrip(":").split()
            path = raw_path.decode("utf-8", "surrogateescape")
            found.append(TreeChange(path, status[0], old_mode, new_mode))
        return found

    def has_links(self, commit: str, folder: str = "") -> bool:
        """Whether the tree of `folder` in `commit` holds a symlink or a submodule."""
        return any(entry.is_link for entry in self.ls_tree(commit, folder))

    def untracked(self, paths: Sequence[str]) -> list[str]:
        """Files at or below these paths (relative to the top) that git neither tracks nor
        ignores by the ignore files discovery reads (.gitignore, .git/info/exclude; not the
        user's global excludes file)."""
        args = ["-c", f"core.excludesFile={os.devnull}", "ls-files", "--others",
                "--exclude-standard", "-z", "--full-name", "--"]  # fmt: skip
        args += [path or "." for path in paths]
        out = _run_git(args, self.toplevel)
        return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]

    def describe(self, commit: str) -> str:
        return _run_git(["rev-parse", "--short", commit], self.toplevel).decode().strip()

    def ls_tree(self, commit: str, prefix: str = "") -> list[TreeEntry]:
        """Every entry below `prefix` (a folder relative to the top, "" for all) in `commit`."""
        args = ["ls-tree", "-r", "-z", "--long", "--full-tree", commit]
        if prefix:
            args += ["--", prefix.rstrip("/") + "/"]
        return _tree_entries(_run_git(args, self.toplevel))

    def read_blob(self, oid: str) -> bytes:
        """One blob's bytes through the long-lived `git cat-file --batch` process."""
        with self._lock:
            batch = self._batch_process()
            stdin, stdout = _pipes(batch)
            stdin.write(oid.encode() + b"\n")
            stdin.flush()
            header = stdout.readline()
            if not header:
                self.close()
                raise GitError(f"git cat-file stopped while reading object {oid}")
            parts = header.split()
            if len(parts) < 3 or parts[1] != b"blob":
                raise GitError(
                    f"git object {oid} is not in this clone ({header.decode().strip()})",
                    hint="a partial or shallow clone may lack it: fetch the commit with "
                    "`git fetch --depth=1 origin <commit>`",
                )
            size = int(parts[2])
            data = stdout.read(size)
            stdout.read(1)  # the LF after each object
            self.blobs_read += 1
            return data

    def read_blobs(self, oids: Sequence[str]) -> dict[str, bytes]:
        """Many blobs in one round trip (a writer thread feeds the ids while this reads);
        objects the clone lacks are left out, and fail when read one by one."""
        unique = list(dict.fromkeys(oids))
        found: dict[str, bytes] = {}
        if not unique:
            return found
        with self._lock:
            batch = self._batch_process()
            stdin, stdout = _pipes(batch)

            def feed() -> None:
                try:
                    stdin.write(b"".join(oid.encode() + b"\n" for oid in unique))
                    stdin.flush()
                except OSError:
                    pass  # the reader below sees the end of the output

            writer = threading.Thread(target=feed, name="git-cat-file-feed", daemon=True)
            writer.start()
            try:
                for oid in unique:
                    parts = stdout.readline().split()
                    if len(parts) < 3:
                        if not parts:
                            raise GitError("git cat-file stopped while reading objects")
                        continue  # "<oid> missing"
                    data = stdout.read(int(parts[2]))
                    stdout.read(1)
                    if parts[1] == b"blob":
                        found[oid] = data
            finally:
                writer.join()
            self.blobs_read += len(found)
        return found

    def _batch_process(self) -> subprocess.Popen[bytes]:
        if self._batch is None or self._batch.poll() is not None:
            self._batch = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self.toplevel,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
            )
        return self._batch

    def close(self) -> None:
        batch, self._batch = self._batch, None
        if batch is None:
            return
        if batch.stdin:
            batch.stdin.close()
        try:
            batch.wait(timeout=5)
        except subprocess.TimeoutExpired:
            batch.kill()
            batch.wait()
        if batch.stdout:
            batch.stdout.close()

    def listing(self, commit: str, root: Path) -> TreeListing:
        """The files of `commit` below the workspace folder `root`, for discovery.

        Paths are relative to `root`; the .gitignore files of the folders above `root` come
        along so the same ignore rules apply as to a working tree walk."""
        prefix = self.folder_of(root)
        files: dict[str, TreeFile] = {}
        fetched: dict[str, bytes] = {}
        oids: dict[str, str] = {}
        links = False
        for entry in self.ls_tree(commit, prefix):
            rel = entry.path[len(prefix) :]
            links = links or entry.is_link
            if entry.kind != "blob":
                continue  # submodules are other repositories
            oids[rel] = entry.oid
            files[rel] = TreeFile(
                rel,
                "symlink" if entry.mode == "120000" else "file",
                entry.size or 0,
                _Loader(self, entry.oid, fetched),
            )

        def prefetch(paths: Sequence[str]) -> None:
            budget = _PREFETCH_BYTES
            chosen = []
            for rel in paths:
                file = files.get(rel)
                if file is not None and file.kind == "file" and file.size <= budget:
                    chosen.append(oids[rel])
                    budget -= file.size
            fetched.update(self.read_blobs(chosen))

        outer: list[tuple[str, bytes]] = []
        for entry in self.ls_tree_paths(commit, ignore_files_above(prefix)):
            folder = entry.path.rpartition("/")[0]
            below = prefix[len(folder) + 1 :] if folder else prefix
            outer.append((below, self.read_blob(entry.oid)))
        exclude = self.info_exclude()
        if exclude is not None:
            outer.insert(0, (prefix, exclude))
        return TreeListing(files, tuple(outer), prefetch, links)

    def folder_of(self, root: Path) -> str:
        """The workspace folder `root` relative to the top, with a final "/" ("" for the top)."""
        root = root.resolve()
        try:
            inside = root.relative_to(self.toplevel).as_posix()
        except ValueError:
            raise GitError(f"{root} is not inside the repository {self.toplevel}") from None
        return "" if inside == "." else inside + "/"

    def info_exclude(self) -> bytes | None:
        """The repository's own ignore file, `.git/info/exclude`, when there is one."""
        exclude = self.toplevel / ".git" / "info" / "exclude"
        return exclude.read_bytes() if exclude.is_file() else None

    def lazy_listing(self, commit: str, root: Path) -> TreeListing:
        """Like `listing`, for reading a few known files: each is looked up when asked for
        (`prefetch` many at once), and the whole tree is listed only if iterated."""
        files = _LazyFiles(self, commit, root)
        return TreeListing(files, prefetch=files.preload)

    def ls_tree_paths(self, commit: str, paths: list[str]) -> list[TreeEntry]:
        """The entries at exactly these paths (those that exist)."""
        if not paths:
            return []
        out = _run_git(["ls-tree", "-z", "--long", "--full-tree", commit, "--", *paths],
                       self.toplevel)  # fmt: skip
        return [e for e in _tree_entries(out) if e.kind == "blob"]


class _LazyFiles(Mapping[str, TreeFile]):
    def __init__(self, repo: GitRepo, commit: str, root: Path) -> None:
        self._repo, self._commit, self._root = repo, commit, root
        self._prefix = repo.folder_of(root)
        self._known: dict[str, TreeFile | None] = {}
        self._fetched: dict[str, bytes] = {}
        self._all: Mapping[str, TreeFile] | None = None

    def preload(self, paths: Sequence[str]) -> None:
        """Look these paths up in one call and read their blobs in one batch."""
        wanted = [rel for rel in paths if rel not in self._known]
        for rel in wanted:
            self._known[rel] = None
        entries = self._repo.ls_tree_paths(self._commit, [self._prefix + rel for rel in wanted])
        for entry in entries:
            rel = entry.path[len(self._prefix) :]
            kind = "symlink" if entry.mode == "120000" else "file"
            loader = _Loader(self._repo, entry.oid, self._fetched)
            self._known[rel] = TreeFile(rel, kind, entry.size or 0, loader)
        small = [e.oid for e in entries if e.mode != "120000" and (e.size or 0) <= _READ_LIMIT]
        self._fetched.update(self._repo.read_blobs(small))

    def __getitem__(self, rel: str) -> TreeFile:
        if rel not in self._known:
            self.preload([rel])
        file = self._known[rel]
        if file is None:
            raise KeyError(rel)
        return file

    def _everything(self) -> Mapping[str, TreeFile]:
        if self._all is None:
            self._all = self._repo.listing(self._commit, self._root).files
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())


@dataclass(frozen=True)
class _Loader:
    repo: GitRepo
    oid: str
    fetched: dict[str, bytes]  # filled by a listing's prefetch

    def __call__(self) -> bytes:
        data = self.fetched.get(self.oid)
        return data if data is not None else self.repo.read_blob(self.oid)


def _pipes(batch: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    assert batch.stdin is not None and batch.stdout is not None  # opened with PIPE
    return batch.stdin, batch.stdout
