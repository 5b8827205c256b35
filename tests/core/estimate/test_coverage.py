"""The coverage counts: what was found, what got a monthly cost, why the rest did not, and
what was skipped — the same for the CLI's last line, JSON and the editor status."""

from __future__ import annotations

from pathlib import Path

from llmcost_lsp.core.coverage import Coverage
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.workspace import Workspace

MANIFEST = """\
[prompts.priced]
model = "gpt-4o"
calls_per_month = 1_000
output_tokens = 100

[prompts.sized]
model = "gpt-4o"

[prompts.unknown]
model = "gpt-9-ultra"
"""


def test_every_prompt_is_counted_once_with_its_reason(tmp_path: Path, small_db: PriceDB) -> None:
    files = {
        "llm-cost.toml": MANIFEST,
        "prompts/priced.txt": "Classify {{ticket}}.",  # priced, but {{ticket}} has no size
        "prompts/sized.txt": "Answer briefly.",  # per call only: no volumes
        "prompts/unknown.txt": "Say hi.",
        "prompts/nomodel.txt": "You are terse.",
        "prompts/empty.txt": "",
        "prompts/loader.py": "print(1)",  # skipped: not a prompt format
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    workspace = Workspace(tmp_path, db=small_db, use_persistent_cache=False)
    workspace.load()
    coverage = Coverage.of(workspace.report(), workspace.discovery.skipped)
    assert coverage.line() == (
        "5 prompts found: 1 estimated, 1 need volumes, 1 need a model, 1 unknown model, "
        "1 empty, 1 with unsized variables; 1 file skipped (--show-skipped)"
    )
    assert coverage.data() == {
        "prompts": 5,
        "estimated": 1,
        "need_volumes": 1,
        "need_model": 1,
        "unknown_model": 1,
        "empty": 1,
        "not_read": 0,
        "failed": 0,
        "unsized_variables": 1,
        "skipped_files": 1,
    }
    assert [s.path for s in coverage.skipped] == ["prompts/loader.py"]


def test_nothing_found_still_says_so(tmp_path: Path, small_db: PriceDB) -> None:
    workspace = Workspace(tmp_path, db=small_db, use_persistent_cache=False)
    workspace.load()
    assert Coverage.of(workspace.report(), ()).line() == (
        "0 prompts found: no file matched the discovery globs or read like a prompt "
        "(name yours with [discovery] include in llm-cost.toml)"
    )
