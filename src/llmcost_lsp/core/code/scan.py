"""Which source files to scan, and a content-hash cache of scans.

Discovery stays cheap: a file is parsed only when its bytes mention an LLM library (one regex
over the bytes, far cheaper than a parse), and a scan is kept by the hash of its text, so an
unchanged file is never parsed twice in a process (the editor's re-index, diff's two sides)
unless a module it imports a prompt or model from has changed.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping

from llmcost_lsp.core.code.model import Language, SourceScan
from llmcost_lsp.core.code.modules import ModuleSource, text_digest
from llmcost_lsp.core.code.python import scan_python

PYTHON_SUFFIXES = (".py", ".pyi")
TYPESCRIPT_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
# Test code calls fakes and does not spend money in production: not scanned unless included
# explicitly by path in the manifest.
_TEST_PARTS = frozenset({"test", "tests", "__tests__", "testing", "spec", "__mocks__"})
_LLM_LIBRARY = re.compile(
    rb"openai|anthropic|genai|generativeai|litellm|langchain|@ai-sdk|from ['\"]ai['\"]"
    rb"|['\"]?role['\"]?\s*:\s*['\"](?:system|user)['\"]"  # chat messages, any wrapper
)
_CACHE_LIMIT = 4096
_cache: OrderedDict[tuple[Language, str, str], SourceScan] = OrderedDict()


def language_of(path: str) -> Language | None:
    """The language a file name implies, None for files that are not scanned."""
    lower = path.lower()
    if lower.endswith(PYTHON_SUFFIXES):
        return "python"
    if lower.endswith(TYPESCRIPT_SUFFIXES) and not lower.endswith((".d.ts", ".min.js")):
        return "typescript"
    return None


def is_test_path(path: str) -> bool:
    parts = path.lower().split("/")
    name = parts[-1]
    return (
        any(part in _TEST_PARTS for part in parts[:-1])
        or name.startswith("test_")
        or name.rsplit(".", 1)[0].endswith(("_test", ".test", ".spec", "conftest"))
    )


def mentions_llm(data: bytes | str) -> bool:
    """The byte search before any parse: does the file name an LLM library at all?"""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return _LLM_LIBRARY.search(raw) is not None


def scan_text(
    language: Language, text: str, path: str = "", modules: ModuleSource | None = None
) -> SourceScan:
    """The scan of a source text, from the cache when the same text was scanned before (and
    every module it read an imported name from still reads the same). With `modules`, names
    imported from the workspace's modules are followed; `path` is the file's own path."""
    key = cache_key(language, text, path, modules)
    where = key[2]
    found = _cache.get(key)
    if found is not None and all(modules and modules.digest(rel) == h for rel, h in found.deps):
        _cache.move_to_end(key)
        return found
    if language == "python":
        scan = scan_python(text, where, modules)
    else:
        from llmcost_lsp.core.code.typescript import TreeSitterMissing, scan_typescript

        try:
            scan = scan_typescript(text, where, modules)
        except TreeSitterMissing as missing:
            return SourceScan(language, (), str(missing))
    _cache[key] = scan
    if len(_cache) > _CACHE_LIMIT:
        _cache.popitem(last=False)
    return scan


def cache_key(
    language: Language, text: str, path: str = "", modules: ModuleSource | None = None
) -> tuple[Language, str, str]:
    """What a scan is kept under: a scan that follows imports depends on the file's path."""
    return (language, text_digest(text), path if modules is not None else "")


def cached(key: tuple[Language, str, str]) -> SourceScan | None:
    return _cache.get(key)


def seed(scans: Mapping[tuple[Language, str, str], SourceScan]) -> None:
    """Scans read back from the persistent store (scan_store.py); `scan_text` still checks the
    modules each one read."""
    for key, scan in scans.items():
        _cache.setdefault(key, scan)
    while len(_cache) > _CACHE_LIMIT:
        _cache.popitem(last=False)


def clear_cache() -> None:
    """Forget every scan (benchmarks measure a cold scan)."""
    _cache.clear()
