"""The files of a tree that is not on disk (a git commit), as discovery walks them.

Its own module so that the git reader (core/diff/gitobjects.py) fills a listing and discovery
walks it without either importing the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from llmcost_lsp.core.errors import InputError, Location
from llmcost_lsp.core.textfile import DEFAULT_LIMIT_BYTES, TextFile, decode_text

__all__ = ["TreeFile", "TreeListing"]


@dataclass(frozen=True)
class TreeFile:
    """A file of a tree that is not on disk (a git commit): its bytes come from `load`."""

    path: str  # relative to the workspace root, with "/"
    kind: str  # "file" or "symlink" (symlinks in a tree are not followed)
    size: int
    load: Callable[[], bytes]

    def read_text(
        self, limit_bytes: int = DEFAULT_LIMIT_BYTES, *, what: str = "prompt files"
    ) -> TextFile:
        """Decoded like a file on disk; InputError (too-large, binary, invalid-utf8) if not."""
        if self.size > limit_bytes:
            raise InputError(
                f"file is larger than the {limit_bytes:,}-byte limit for {what}",
                location=Location(path=self.path),
                code="too-large",
            )
        return decode_text(self.load(), self.path)


@dataclass(frozen=True)
class TreeListing:
    """The files below a workspace root in a tree, and the ignore files that apply from above
    it: (path of the root relative to the ignore file's folder + "/", file bytes)."""

    files: Mapping[str, TreeFile]
    outer_ignores: tuple[tuple[str, bytes], ...] = ()
    # told every path discovery is about to read, so a source can fetch them in one batch
    prefetch: Callable[[Sequence[str]], None] | None = None
    links: bool = False  # the tree holds symlinks or submodules (a disk walk would follow them)
