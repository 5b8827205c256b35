"""Regenerate llm-cost.schema.json from the manifest models: `python docs/schema/generate.py`."""

from __future__ import annotations

import json
from pathlib import Path

from llmcost_lsp.core.manifest import manifest_json_schema

if __name__ == "__main__":
    target = Path(__file__).with_name("llm-cost.schema.json")
    target.write_text(json.dumps(manifest_json_schema(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {target}")
