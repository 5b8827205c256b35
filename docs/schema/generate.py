"""Regenerate llm-cost.schema.json from the manifest models and the bundled price DB's model
ids: `python docs/schema/generate.py`."""

from __future__ import annotations

import json
from pathlib import Path

from llmcost_lsp.core.manifest.json_schema import editor_schema
from llmcost_lsp.core.pricing.db import load_price_db

if __name__ == "__main__":
    target = Path(__file__).with_name("llm-cost.schema.json")
    target.write_text(
        json.dumps(editor_schema(load_price_db()), indent=2, ensure_ascii=False) + "\n"
    )
    print(f"wrote {target}")
