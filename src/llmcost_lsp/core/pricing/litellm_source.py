"""LiteLLM's bundled price map as a second source: find a model's entry, compare its prices.

Only the JSON file is read (`model_prices_and_context_window_backup.json`, from an installed
`litellm` or straight from its wheel): LiteLLM itself is never imported, because it is heavy and
fetches prices from the network at import unless `LITELLM_LOCAL_MODEL_COST_MAP=True`.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

MAP_NAME = "model_prices_and_context_window_backup.json"
# our price field -> LiteLLM's per-token key
FIELDS = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_read": "cache_read_input_token_cost",
    "cache_write_5m": "cache_creation_input_token_cost",
    "cache_write_1h": "cache_creation_input_token_cost_above_1hr",
}
MODE_SUFFIX = {"batch": "_batches", "flex": "_flex", "priority": "_priority"}
# how LiteLLM prefixes a first-party provider's or a host's keys
KEY_FORMS: dict[str, tuple[str, ...]] = {
    "openai": ("{name}",),
    "anthropic": ("{name}",),
    "google": ("gemini/{name}", "{name}", "vertex_ai/{name}"),
    "mistral": ("mistral/{name}", "{name}"),
    "deepseek": ("deepseek/{name}", "{name}"),
    "xai": ("xai/{name}", "{name}"),
    "cohere": ("{name}", "cohere/{name}", "cohere_chat/{name}"),
    "perplexity": ("perplexity/{name}", "{name}"),
    "voyage": ("voyage/{name}",),
    "azure": ("azure/{name}", "azure/global/{name}"),
    "bedrock": ("{name}", "bedrock/{name}"),
    "vertex": ("vertex_ai/{name}",),
    "groq": ("groq/{name}",),
    "together": ("together_ai/{name}",),
    "fireworks": ("fireworks_ai/accounts/fireworks/models/{name}", "fireworks_ai/{name}"),
    "openrouter": ("openrouter/{name}",),
}


def load_map(path: Path) -> tuple[dict[str, Any], str]:
    """The price map and a label naming its version, from a JSON file, a wheel or a package."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            data = wheel.read(f"litellm/{MAP_NAME}")
        version = re.search(r"litellm-([0-9][^-]*)-", path.name)
        return json.loads(data), f"litellm {version.group(1) if version else '(wheel)'}"
    if path.is_dir():
        path = path / MAP_NAME
    label = "litellm"
    version_file = path.parent / "__init__.py"
    if path.parent.name == "litellm" and version_file.exists():
        label = _installed_version_label()
    return json.loads(path.read_text("utf-8")), label


def _installed_version_label() -> str:
    from importlib import metadata

    try:
        return f"litellm {metadata.version('litellm')}"
    except metadata.PackageNotFoundError:
        return "litellm"


def per_mtok(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    return (
        Decimal(repr(value) if isinstance(value, float) else str(value)) * 1_000_000
    ).normalize()


def key_forms(host_or_provider: str, name: str) -> list[str]:
    return [form.format(name=name) for form in KEY_FORMS.get(host_or_provider, ("{name}",))]


def find(
    map_: dict[str, Any], host_or_provider: str, names: list[str]
) -> tuple[str, dict[str, Any]] | None:
    """The first LiteLLM entry under one of `names` in the forms that host uses."""
    for name in names:
        for key in key_forms(host_or_provider, name):
            entry = map_.get(key)
            if isinstance(entry, dict) and "input_cost_per_token" in entry:
                return key, entry
    return None


@dataclass(frozen=True)
class Difference:
    field: str
    ours: Decimal | None
    theirs: Decimal | None


def compare(schedule: dict[str, Any], entry: dict[str, Any]) -> tuple[int, list[Difference]]:
    """Compare a schedule's standard prices (and batch/flex/priority input and output) with a
    LiteLLM entry. Returns how many figures agree and every figure that differs; a figure only
    one side has is not a difference."""
    agreed = 0
    differences: list[Difference] = []
    for ours_name, key in FIELDS.items():
        ours = schedule.get(ours_name)
        theirs = per_mtok(entry.get(key))
        if ours is None or theirs is None:
            continue
        if Decimal(ours) == theirs:
            agreed += 1
        else:
            differences.append(Difference(ours_name, Decimal(ours), theirs))
    for mode, suffix in MODE_SUFFIX.items():
        spec = schedule.get("modes", {}).get(mode)
        if spec is None:
            continue
        for ours_name in ("input", "output"):
            theirs = per_mtok(entry.get(FIELDS[ours_name] + suffix))
            if theirs is None:
                continue
            if "multiplier" in spec:
                ours_value = Decimal(schedule[ours_name]) * Decimal(spec["multiplier"])
            else:
                ours_value = Decimal(spec["prices"][ours_name])
            if ours_value == theirs:
                agreed += 1
            else:
                differences.append(Difference(f"{mode}.{ours_name}", ours_value, theirs))
    return agreed, differences
