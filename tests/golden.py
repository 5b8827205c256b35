"""Golden-file comparison shared by the output-format tests.

`LLMCOST_UPDATE_GOLDEN=1 python -m pytest …` rewrites the files; read the diff before committing:
it is exactly what users will see."""

from __future__ import annotations

import os
from pathlib import Path


def assert_golden(path: Path, text: str) -> None:
    """`text` equals the golden file byte for byte (written as is, newlines untranslated)."""
    if os.environ.get("LLMCOST_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"missing golden file {path}; run with LLMCOST_UPDATE_GOLDEN=1"
    assert text == path.read_bytes().decode("utf-8")
