"""Build a price DB from the genai-prices package installed in this environment.

The same code the maintainers use for the bundled DB (`pricing/build.py`); `llm-cost pricing
update --from genai-prices` uses it to rebuild with this week's prices from the user's own
package index. LiteLLM's price map is read when its wheel or an installed copy is found (never
imported); without it the build is recorded as not cross-checked.
"""

from __future__ import annotations

import importlib.util
import json
import tomllib
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from llmcost_lsp.core.errors import PricingError
from llmcost_lsp.core.pricing import litellm_source
from llmcost_lsp.core.pricing.build import BuildReport, build
from llmcost_lsp.data import DATA_DIR


def _data(name: str) -> bytes:
    return (DATA_DIR / "price_build" / name).read_bytes()


def tokenizers() -> dict[str, Any]:
    """The hand-kept tokenizer families (how each model's tokens are counted)."""
    result: dict[str, Any] = json.loads(_data("tokenizers.json"))
    return result


def corrections() -> dict[str, Any]:
    """The hand-kept corrections: facts both sources lack or get wrong, each with a source."""
    return tomllib.loads(_data("corrections.toml").decode("utf-8"))


def installed_litellm_map() -> Path | None:
    """LiteLLM's price map in an installed litellm, found without importing it."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / litellm_source.MAP_NAME
        if candidate.is_file():
            return candidate
    return None


def build_from_installed(
    *, now: datetime, litellm_path: Path | None = None
) -> tuple[dict[str, Any], BuildReport]:
    """Build from the installed genai-prices (and LiteLLM's map, when found)."""
    try:
        from genai_prices import data as genai_data  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise PricingError(
            "genai-prices is not installed in this environment",
            hint="pip install -U genai-prices, then run the command again",
        ) from None
    version = metadata.version("genai-prices")
    path = litellm_path or installed_litellm_map()
    litellm = litellm_source.load_map(path) if path is not None else None
    return build(
        genai_data.providers,
        genai_version=version,
        tokenizers=tokenizers(),
        corrections=corrections(),
        litellm=litellm,
        now=now,
    )
