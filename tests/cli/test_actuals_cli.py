"""`llm-cost actuals summary|export focus|reprice|import` and `calibrate --actuals ledger` on a
ledger filled the way an app fills it (record()), over the examples/ workspace."""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main
from llmcost_lsp.core.focus.conformance import check_table
from llmcost_lsp.core.ledger.api import make_recorder
from llmcost_lsp.core.ledger.sqlite import SqliteLedger

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 2, tzinfo=UTC)


def fill(path: Path, root: Path) -> None:
    """Two days of calls: search/answer on gpt-4o (plus a fallback to gpt-4o-mini),
    support/triage on claude-sonnet-4-6 with cache hits, and calls of an unknown model."""
    from llmcost_lsp.core.manifest import load_manifest

    recorder = make_recorder(str(path), manifest=load_manifest(root / "llm-cost.toml"))
    for index in range(240):
        at = START + timedelta(minutes=12 * index)
        recorder.record(
            {"prompt_tokens": 2100, "completion_tokens": 200,
             "prompt_tokens_details": {"cached_tokens": 1024}},
            model="gpt-4o", prompt_id="search/answer", response_id=f"chatcmpl-{index}",
            user=f"user-{index % 4}", session=f"s{index % 10}", tags={"team": "search"}, at=at,
        )  # fmt: skip
        recorder.record(
            {"input_tokens": 100, "cache_read_input_tokens": 900, "output_tokens": 120},
            model="claude-sonnet-4-6", prompt_id="support/triage", response_id=f"msg_{index}",
            user=f"user-{index % 3}", tags={"team": "support"}, at=at,
        )  # fmt: skip
    for index in range(20):
        recorder.record({"prompt_tokens": 2100, "completion_tokens": 200}, model="gpt-4o-mini",
                        prompt_id="search/answer", at=START + timedelta(hours=index))  # fmt: skip
        recorder.record({"prompt_tokens": 10, "completion_tokens": 5}, model="my-finetune",
                        prompt_id="classify", at=START + timedelta(hours=index))  # fmt: skip
    recorder.close()
    assert recorder.stats().written == 520


@pytest.fixture()
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "examples"
    shutil.copytree(REPO / "examples", root)
    ledger = tmp_path / "ledger.sqlite3"
    fill(ledger, root)
    return root, ledger


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_summary_formats_and_groups(
    workspace: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, ledger = workspace
    base = ("actuals", "summary", "--ledger", str(ledger), "--root", str(root), "--since", "all")
    code, out, _ = run(capsys, *base)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["PROMPT", "CALLS", "INPUT"]
    assert lines[2].startswith("search/answer") and "260" in lines[2]
    # gpt-4o at the manifest's contracted prices (input 2, cache read 1, output 8):
    # 1076 x 2 + 1024 x 1 + 200 x 8 = 4776 -> $0.004776 x 240 = $1.14624; the mini calls
    # (2100 x 0.15 + 200 x 0.6 = 435 -> $0.000435 x 20) $0.0087: $1.15494
    assert "$1.15" in lines[2]
    classify = next(line for line in lines if line.startswith("classify"))
    assert "unpriced" in classify and classify.split()[-1] == "20"
    assert "20 unpriced calls not in COST" in out

    code, out, _ = run(capsys, *base, "--by", "model", "--format", "json")
    data = json.loads(out)
    by_model = {group["key"]: group for group in data["groups"]}
    assert by_model["gpt-4o"]["cost_usd"] == "1.14624"
    assert by_model["gpt-4o"]["list_cost_usd"] == "1.4328"  # 5970 at list prices
    assert by_model["my-finetune"]["cost_usd"] is None  # unknown, never 0
    assert by_model["claude-sonnet-4-6"]["cache_read_tokens"] == 240 * 900

    _, out, _ = run(capsys, *base, "--by", "user", "--format", "markdown")
    assert out.startswith("| USER | CALLS |") and "| user-0 |" in out
    _, out, _ = run(capsys, *base, "--by", "tag", "--tag-key", "team", "-f", "json")
    assert {g["key"] for g in json.loads(out)["groups"]} == {
        "team=search",
        "team=support",
        "(none)",
    }
    _, out, _ = run(capsys, *base, "--by", "day", "-f", "json")
    assert [g["key"] for g in json.loads(out)["groups"]] == ["2026-11-02", "2026-11-03"]
    _, out, _ = run(capsys, *base[:-1], "2026-11-03", "--by", "day", "-f", "json")
    assert [(g["key"], g["calls"]) for g in json.loads(out)["groups"]] == [("2026-11-03", 240)]
    _, out, _ = run(capsys, *base, "--by", "session", "-f", "json")
    assert len(json.loads(out)["groups"]) == 11  # 10 sessions and the calls without one

    code, _, err = run(capsys, *base[:-1], "yesterday-ish")
    assert code == 2 and "--since 'yesterday-ish'" in err


def test_export_focus_conforms_and_feeds_calibrate(
    workspace: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root, ledger = workspace
    out_file = tmp_path / "actuals.csv"
    code, _, err = run(
        capsys, "actuals", "export", "focus", "--ledger", str(ledger), "--root", str(root),
        "--period", "2026-11", "--validate", "-o", str(out_file),
    )  # fmt: skip
    assert code == 0, err
    assert "conforms to FOCUS 1.2" in err
    assert "left out 2026-11-02 classify on my-finetune: 20 of 20 calls unpriced" in err
    with open(out_file, newline="") as handle:
        table = list(csv.reader(handle))
    assert check_table(table[0], table[1:], "1.2") == []
    rows = [dict(zip(table[0], row, strict=True)) for row in table[1:]]
    gpt = [r for r in rows if r["x_Model"] == "gpt-4o"]
    assert sum(int(float(r["x_Requests"])) for r in gpt) == 240
    assert all(r["BilledCost"] == r["EffectiveCost"] for r in rows)
    assert json.loads(gpt[0]["Tags"])["llm-cost-type"] == "metered"

    # the export reads back through calibrate's FOCUS importer like any bill
    code, out, _ = run(capsys, "calibrate", str(root), "--actuals", str(out_file), "-f", "json")
    assert {p["id"] for p in json.loads(out)["prompts"]} == {"search/answer", "support/triage"}


def test_calibrate_reads_the_ledger_one_model_per_prompt(
    workspace: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, ledger = workspace
    code, out, _ = run(capsys, "calibrate", str(root), "--actuals", f"ledger:{ledger}")
    assert code in (0, 1)
    assert "rows read from" in out and "requests from ledger" in out
    # the fallback calls on gpt-4o-mini do not blur search/answer's gpt-4o figures
    assert "search/answer: 20 calls on gpt-4o-mini left out (the estimate prices gpt-4o)" in out
    assert "support/triage: 90.0% of input tokens were cache hits" in out
    code, out, _ = run(
        capsys, "calibrate", str(root), "--actuals", f"ledger:{ledger}", "--format", "json"
    )
    data = json.loads(out)
    search = next(p for p in data["prompts"] if p["id"] == "search/answer")
    assert search["requests"] == "240"
    assert Decimal_(search["metrics"]["output_tokens_per_request"]["actual"]) == 200


def test_calibrate_write_learns_each_prompts_cache_shares_from_its_model(
    workspace: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, ledger = workspace
    manifest = root / "llm-cost.toml"
    before = manifest.read_text()
    locked = before.replace(
        'budget_monthly_usd = "400"\n', 'budget_monthly_usd = "400"\nlocked = ["cache_hit_ratio"]\n'
    )
    manifest.write_text(locked)
    code, out, err = run(capsys, "calibrate", str(root), "--actuals", f"ledger:{ledger}", "--write")
    assert code == 0, err
    text = manifest.read_text()
    # search/answer from its gpt-4o calls only: 1,024 of 2,100 input tokens cached (0.4876);
    # its 20 uncached gpt-4o-mini fallbacks would have made it 0.45
    search = text.split('[prompts."search/answer"]')[1].split("[prompts.")[0]
    assert re.search(r'\ncache_hit_ratio = "0.49" # calibrated [-0-9]{10} from ledger\n', search)
    assert 'kept prompts."support/triage".cache_hit_ratio: unset -> 0.90 (locked)' in out
    # no cache writes were measured: no write share is added
    assert text.count("cache_write_ratio") == before.count("cache_write_ratio")
    # every comment and every other line of the manifest is kept
    kept = [line for line in before.splitlines() if line.strip()]
    assert all(line in text for line in kept if "calls_per_month" not in line
               and "output_tokens" not in line)  # fmt: skip
    assert "# fine today; the launch scenario triples the traffic" in text
    # the estimate now prices search/answer's cached input as measured, under any scenario
    for scenario in ("baseline", "cached"):
        code, out, _ = run(capsys, "estimate", str(root), "--scenario", scenario, "-f", "json")
        estimate = next(p for p in json.loads(out)["prompts"] if p["id"] == "search/answer")
        notes = " ".join(estimate["estimate"]["notes"])
        assert "cache shares measured on this prompt's calls: 49% of its input read" in notes
        tokens = estimate["estimate"]["tokens"]
        assert Decimal(tokens["cached_input"]) == tokens["input"] * Decimal("0.49")
    # learned once: a second run has nothing more to say about the cache
    code, out, _ = run(capsys, "calibrate", str(root), "--actuals", f"ledger:{ledger}")
    assert 'prompts."search/answer".cache_hit_ratio' not in out


def Decimal_(text: str) -> float:
    return float(text)


def test_reprice_picks_up_an_override(
    workspace: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, ledger = workspace
    manifest = root / "llm-cost.toml"
    text = manifest.read_text()
    manifest.write_text(text[: text.index('[pricing.overrides."gpt-4o"]')])  # contract ended
    # --since a day reprices from the start of its month (the month rollup is rebuilt whole),
    # and says so; a later month has nothing to reprice
    code, out, _ = run(capsys, "actuals", "reprice", "--ledger", str(ledger), "--root", str(root),
                       "--since", "2026-11-03")  # fmt: skip
    assert code == 0 and "repriced 520 calls since 2026-11-01 (the start of 2026-11)" in out
    assert "240 changed" in out
    code, out, _ = run(capsys, "actuals", "reprice", "--ledger", str(ledger), "--root", str(root),
                       "--since", "2026-12-01")  # fmt: skip
    assert code == 0 and "repriced 0 calls" in out
    code, out, _ = run(capsys, "actuals", "reprice", "--ledger", str(ledger), "--root", str(root))
    assert code == 0 and "repriced 520 calls" in out and "0 changed" in out
    _, out, _ = run(capsys, "actuals", "summary", "--ledger", str(ledger), "--root", str(root),
                    "--since", "all", "--by", "model", "-f", "json")  # fmt: skip
    by_model = {g["key"]: g for g in json.loads(out)["groups"]}
    assert by_model["gpt-4o"]["cost_usd"] == "1.4328"  # list prices again
    assert by_model["gpt-4o"]["list_cost_usd"] == "1.4328"


def _span(span_id: str, attributes: dict[str, object], end_ns: int) -> dict[str, object]:
    def value(v: object) -> dict[str, object]:
        return {"intValue": str(v)} if isinstance(v, int) else {"stringValue": v}

    return {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": span_id,
        "name": "chat",
        "endTimeUnixNano": str(end_ns),
        "attributes": [{"key": k, "value": value(v)} for k, v in attributes.items()],
    }


def test_import_otlp_json_is_idempotent_and_locates_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = tmp_path / "l.sqlite3"
    end = int(START.timestamp() * 1e9)
    usage = {
        "gen_ai.provider.name": "anthropic",
        "gen_ai.response.model": "claude-sonnet-4-6",
        "gen_ai.usage.input_tokens": 4512,
        "gen_ai.usage.output_tokens": 300,
        "gen_ai.usage.cache_read.input_tokens": 4000,
        "gen_ai.usage.cache_write.input_tokens": 500,
        "gen_ai.prompt.name": "triage",
    }
    request = {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
        "scopeSpans": [{"spans": [
            # the SDK's own span and the instrumentation's span: the same response, once
            _span("a1", {**usage, "gen_ai.response.id": "msg_1"}, end),
            _span("a2", {**usage, "gen_ai.response.id": "msg_1"}, end),
            _span("a3", {**usage, "gen_ai.response.id": "msg_2"}, end),
            _span("a4", {"http.method": "GET"}, end),  # not an LLM call
            _span("a5", {**usage, "gen_ai.usage.input_tokens": -3}, end),
        ]}],
    }]}  # fmt: skip
    path = tmp_path / "traces.jsonl"
    path.write_text(json.dumps(request) + "\n" + json.dumps(request) + "\n")
    code, out, _ = run(capsys, "actuals", "import", str(path), "--ledger", str(ledger))
    assert code == 0
    # two copies of the request in the file: 6 usage spans, 2 distinct responses
    assert "6 calls read, 2 new, 4 already in the ledger, 2 rejected" in out
    assert "line 1: input_tokens is negative (-3)" in out
    code, out, _ = run(capsys, "actuals", "import", str(path), "--ledger", str(ledger))
    assert "6 calls read, 0 new, 6 already in the ledger" in out
    with SqliteLedger(ledger) as store:
        rows = list(store.iter_rows())
        assert len(rows) == 2 and {r.prompt_id for r in rows} == {"triage"}
        # 12 x 3 + 4000 x 0.3 + 500 x 3.75 + 300 x 15 = 7611 -> $0.007611
        assert {r.cost_pusd for r in rows} == {7_611_000_000}
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(request) + "\n{not json\n")
    code, _, err = run(capsys, "actuals", "import", str(bad), "--ledger", str(ledger))
    assert code == 2 and f"{bad}:2:" in err
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": 5}]}]}]})
    )
    code, _, err = run(capsys, "actuals", "import", str(wrong), "--ledger", str(ledger))
    assert code == 2 and "attributes must be a list" in err


def test_unreadable_ledger_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt = tmp_path / "l.sqlite3"
    corrupt.write_bytes(b"garbage" * 1000)
    code, _, err = run(capsys, "actuals", "summary", "--ledger", str(corrupt))
    assert code == 2 and "corrupt or not an SQLite file" in err
