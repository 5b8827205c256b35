"""`llm-cost pricing list|show`: what users read, with exact numbers from the DB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmcost_lsp.cli.main import main

# the hand-written DB of the core pricing tests
SMALL = json.loads(
    (Path(__file__).resolve().parents[1] / "core" / "pricing" / "small_prices.json").read_text(
        encoding="utf-8"
    )
)


@pytest.fixture
def small_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LLMCOST_NOW", "2026-11-23")
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(SMALL, indent=2), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["pricing", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


LIST_TABLE = """\
MODEL              PROVIDER   INPUT $/Mtok  OUTPUT $/Mtok    CONTEXT  NOTE
-----------------  ---------  ------------  -------------  ---------  --------------------------
claude-sonnet-4-5  anthropic             3             15  1,000,000  deprecated from 2026-11-30
gpt-4o             openai             2.50          10.00    128,000
"""


def test_list_table_is_sorted_and_exact(capsys: pytest.CaptureFixture[str], small_db: Path) -> None:
    code, out, _ = run(capsys, "list", "--db", str(small_db))
    assert code == 0
    table = out.split("\n\n")[0] + "\n"
    assert table == LIST_TABLE
    assert "2 models" in out and f"price DB {small_db}" in out


def test_list_provider_filter_and_unknown_provider(
    capsys: pytest.CaptureFixture[str], small_db: Path
) -> None:
    code, out, _ = run(capsys, "list", "--db", str(small_db), "--provider", "openai")
    assert code == 0 and "gpt-4o" in out and "claude" not in out
    code, _, err = run(capsys, "list", "--db", str(small_db), "--provider", "nobody")
    assert code == 2
    assert "no models of provider 'nobody'" in err and "anthropic, openai" in err


def test_list_json_keeps_decimal_strings(
    capsys: pytest.CaptureFixture[str], small_db: Path
) -> None:
    code, out, _ = run(capsys, "list", "--db", str(small_db), "--format", "json")
    assert code == 0
    document = json.loads(out)
    gpt = next(m for m in document["models"] if m["id"] == "gpt-4o")
    assert (gpt["input"], gpt["output"], gpt["context_window"]) == ("2.50", "10.00", 128000)
    assert document["db"]["updated_at"] == "2026-11-23T00:00:00Z"


SHOW_TABLE = """\
claude-sonnet-4-5 — Claude Sonnet 4.5 (anthropic)

aliases         claude-sonnet-4.5
context window  1,000,000 tokens
max output      64,000 tokens
tokenizer       claude: approximate ±20% (o200k_base × 1.25)
deprecated on   2026-11-30
price DB        {db}, updated 2026-11-23T00:00:00Z

Prices in effect on 2026-11-23 (since 2025-09-29), USD per million tokens:
mode        tier                    input  output  cache read  write 5m  write 1h  reasoning
----------  ----------------------  -----  ------  ----------  --------  --------  ---------
standard    ≤ 200,000 input tokens      3      15         0.3      3.75         6          —
standard    > 200,000 input tokens      6    22.5         0.6       7.5        12          —
batch ×0.5  ≤ 200,000 input tokens    1.5     7.5        0.15     1.875         3          —
batch ×0.5  > 200,000 input tokens      3   11.25         0.3      3.75         6          —
(write 5m / write 1h: writing the prompt cache for 5 minutes / 1 hour)

source      https://example.com/anthropic
checked on  2026-11-23

Price history (a new price appends; none is overwritten):
effective from  input  output  tiers
--------------  -----  ------  ---------  -----------
2025-09-29          3      15  > 200,000  ← in effect
2027-01-01          4      20  —
"""


def test_show_table_golden(capsys: pytest.CaptureFixture[str], small_db: Path) -> None:
    code, out, _ = run(capsys, "show", "claude-sonnet-4.5", "--db", str(small_db))
    assert code == 0
    expected = SHOW_TABLE.format(db=small_db)
    assert [line.rstrip() for line in out.splitlines()] == expected.splitlines()


def test_show_explicit_mode_prices_and_exact_tokenizer(
    capsys: pytest.CaptureFixture[str], small_db: Path
) -> None:
    code, out, _ = run(capsys, "show", "openai/gpt-4o", "--db", str(small_db))
    assert code == 0
    assert "tokenizer       o200k: exact (o200k_base)" in out
    priority = next(line for line in out.splitlines() if line.startswith("priority"))
    assert priority.split()[:4] == ["priority", "standard", "4.25", "17.00"]
    batch = next(line for line in out.splitlines() if line.startswith("batch"))
    assert "1.25" in batch and "0.625" in batch  # 2.50 and 1.25 halved, exactly


def test_show_json(capsys: pytest.CaptureFixture[str], small_db: Path) -> None:
    code, out, _ = run(
        capsys, "show", "claude-sonnet-4-5", "--db", str(small_db), "--format", "json"
    )
    assert code == 0
    document: dict[str, Any] = json.loads(out)
    assert document["tokenizer"]["method"] == "approximate"
    assert document["tokenizer"]["error_band_pct"] == "20"
    rates = document["in_effect"]["rates"]
    assert [(r["mode"], r["above_input_tokens"]) for r in rates] == [
        ("standard", None),
        ("standard", 200000),
        ("batch", None),
        ("batch", 200000),
    ]
    assert rates[3]["output"] == "11.25" and rates[0]["reasoning"] is None
    assert [h["effective_from"] for h in document["history"]] == ["2025-09-29", "2027-01-01"]
    assert document["history"][0]["tiers"][0]["input"] == "6"


def test_show_on_a_date_before_any_price(
    capsys: pytest.CaptureFixture[str], small_db: Path
) -> None:
    code, out, _ = run(capsys, "show", "gpt-4o", "--db", str(small_db), "--on", "2020-01-01")
    assert code == 0 and "No price in effect on 2020-01-01." in out


def test_show_unknown_model_exits_2_with_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "claude-sonet-4-5")
    assert code == 2 and out == ""
    assert "unknown model 'claude-sonet-4-5'" in err
    assert "did you mean 'claude-sonnet-4-5'" in err


def test_show_bundled_model_with_long_context_tier(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "gpt-5.4", "--on", "2026-11-23")
    assert code == 0
    assert "> 272,000 input tokens" in out and "≤ 272,000 input tokens" in out
    assert "source      https://developers.openai.com/api/docs/pricing" in out
    assert "priority (prompts ≤ 272,000 only)" in out


def test_list_bundled_covers_providers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--format", "json")
    providers = {model["provider"] for model in json.loads(out)["models"]}
    assert code == 0 and {"openai", "anthropic", "google", "cohere"} <= providers


def test_broken_db_file_is_a_located_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{\n  "schema_version": 1,\n  oops\n}\n', encoding="utf-8")
    code, _, err = run(capsys, "list", "--db", str(path))
    assert code == 2
    assert f"{path}:3:3: price DB is not valid JSON" in err
