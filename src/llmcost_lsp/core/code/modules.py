"""Where an imported Python module is in the workspace, and how a scan reads it.

`from app.prompts import SYSTEM_PROMPT` in `app/search.py` names `app/prompts.py` (or
`app/prompts/__init__.py`) under the workspace root, under `src/`, or under a folder above the
importing file (a service run from `backend/` imports `server.x` from `backend/server/x.py`);
`from .prompts import X` is relative to the importing file's package. A scan that follows such
an import records the module's path and the hash of the text it read (`SourceScan.deps`), so a
cached scan, a diff's result key and the editor's refresh all change when that module does.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

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
