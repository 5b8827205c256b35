"""`llm-cost pricing update --from genai-prices`: the same build as the bundled DB, from the
genai-prices installed here, installed as an unsigned import and shown as one everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main
from llmcost_lsp.core.pricing.store import forget_active_selection

pytest.importorskip(
    "genai_prices", reason="genai-prices is a dev dependency (pip install -e '.[dev]')"
)


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LLMCOST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LLMCOST_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LLMCOST_NOW", "2026-12-03T09:00:00Z")
    forget_active_selection()
    yield tmp_path
    forget_active_selection()


def test_rebuild_from_genai_prices_is_an_unsigned_import(
    dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pricing", "update", "--from", "genai-prices"]) == 0
    out = capsys.readouterr().out
    assert "built a price DB from genai-prices" in out and "unsigned import" in out
    assert main(["pricing", "status", "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["source"] == "imported" and status["signer"] is None
    assert status["unsigned_import"]["built_from"].startswith("genai-prices ")
    assert status["updated_at"] == "2026-12-03T09:00:00Z"
    # every estimate says where its prices come from
    (dirs / "p.txt").write_text("Summarise the ticket.\n")
    (dirs / "llm-cost.toml").write_text(
        '[discovery]\ninclude = ["p.txt"]\n[defaults]\nmodel = "gpt-4o"\n'
        "output_tokens = 10\ncalls_per_month = 10\n"
    )
    assert main(["estimate", str(dirs)]) == 0
    assert "Prices: price DB unsigned import (genai-prices" in capsys.readouterr().out


def test_a_changed_import_is_ignored_and_reported(
    dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pricing", "update", "--from", "genai-prices"]) == 0
    capsys.readouterr()
    (db,) = (dirs / "cache" / "pricing").glob("db-*/prices.json")
    db.write_bytes(db.read_bytes().replace(b'"input":"2.5"', b'"input":"0.1"', 1))
    forget_active_selection()
    assert main(["pricing", "status", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["source"] == "bundled"
    assert "changed since it was built" in captured.err
