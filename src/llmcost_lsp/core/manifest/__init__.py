"""`llm-cost.toml`, the manifest: what it may hold, how it is read, edited and located.

- `model.py`: the pydantic schema (every key, its bounds and description), `Manifest`
- `load.py`: reading a manifest with located errors (file:line:column), finding a workspace's
- `positions.py`: where each key of a TOML text was written (tomllib keeps no positions)
- `edit.py`: edits that keep the user's comments and layout (`init`, `calibrate --write`)
- `json_schema.py`: the JSON Schema editors validate `llm-cost.toml` with

The schema and the loader are used everywhere, so their names are importable from here.
"""

from llmcost_lsp.core.manifest.load import (
    ManifestAnalysis,
    ManifestSchemaError,
    analyze_manifest,
    find_manifest,
    find_manifest_upward,
    format_key_path,
    load_manifest,
    parse_manifest,
)
from llmcost_lsp.core.manifest.model import (
    CONTROL_CHARACTERS,
    DEFAULT_INCLUDE,
    MANIFEST_DOCS_URL,
    MANIFEST_FILENAME,
    MANIFEST_LIMIT_BYTES,
    AlertKind,
    AlertsConfig,
    Defaults,
    Manifest,
    PriceOverride,
    PromptEntry,
    Scenario,
    Variable,
)

__all__ = [
    "CONTROL_CHARACTERS",
    "DEFAULT_INCLUDE",
    "MANIFEST_DOCS_URL",
    "MANIFEST_FILENAME",
    "MANIFEST_LIMIT_BYTES",
    "AlertKind",
    "AlertsConfig",
    "Defaults",
    "Manifest",
    "ManifestAnalysis",
    "ManifestSchemaError",
    "PriceOverride",
    "PromptEntry",
    "Scenario",
    "Variable",
    "analyze_manifest",
    "find_manifest",
    "find_manifest_upward",
    "format_key_path",
    "load_manifest",
    "parse_manifest",
]
