"""`llm-cost actuals summary --view totals|efficiency|trend|forecast` on a ledger filled the way
an app fills it (record()): golden files for every format, and the figures behind them checked
against the ledger's own rows (efficiency re-priced call by call; the forecast's arithmetic)."""

from __future__ import annotations

import json
import shutil
import statistics
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from golden import assert_golden
from llmcost_lsp.cli.main import main
from llmcost_lsp.core.ledger.api import make_pricer, make_recorder
from llmcost_lsp.core.ledger.forecast import month_forecast, t_quantile
from llmcost_lsp.core.ledger.price import mode_of
from llmcost_lsp.core.ledger.sqlite import SqliteLedger
from llmcost_lsp.core.ledger.usage import Usage
from llmcost_lsp.core.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RULE = """
[[rules]]
when_over_budget = "support/triage"
suggest = ["gemini-3-pro-preview"]   # long-context tier above 200k input tokens
"""


def fill(path: Path, root: Path) -> None:
    """November 1-20: search/answer on gpt-4o (a varying number of calls a day, four users,
    a few sessions a day, one 250k-token call), support/triage on claude-sonnet-4-6 with cache
    reads, and calls of a model no price DB knows."""
    recorder = make_recorder(str(path), manifest=load_manifest(root / "llm-cost.toml"))
    for day in range(1, 21):
        start = datetime(2026, 11, day, 1, tzinfo=UTC)
        for index in range(8 + (day * 7) % 5):
            recorder.record(
                {"prompt_tokens": 2100, "completion_tokens": 200 + index,
                 "prompt_tokens_details": {"cached_tokens": 1024}},
                model="gpt-4o", prompt_id="search/answer", response_id=f"a-{day}-{index}",
                user=f"user-{index % 4}", session=f"s{day}-{index % 3}",
                at=start + timedelta(minutes=7 * index),
            )  # fmt: skip
        for index in range(3):
            recorder.record(
                {"input_tokens": 100, "cache_read_input_tokens": 900, "output_tokens": 120},
                model="claude-sonnet-4-6", prompt_id="support/triage",
                response_id=f"t-{day}-{index}", user="user-9",
                at=start + timedelta(hours=index),
            )  # fmt: skip
        recorder.record({"prompt_tokens": 10, "completion_tokens": 5}, model="my-finetune",
                        prompt_id="classify", response_id=f"c-{day}", at=start)  # fmt: skip
    recorder.record({"input_tokens": 250_000, "output_tokens": 900}, model="claude-sonnet-4-6",
                    prompt_id="support/triage", response_id="t-long", user="user-9",
                    at=datetime(2026, 11, 3, 9, tzinfo=UTC))  # fmt: skip
    recorder.close()


@pytest.fixture()
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("LLMCOST_NOW", NOW.isoformat())
    root = tmp_path / "examples"
    shutil.copytree(REPO / "examples", root)
    manifest = root / "llm-cost.toml"
    manifest.write_text(manifest.read_text() + RULE)
    ledger = tmp_path / "ledger.sqlite3"
    fill(ledger, root)
    return root, ledger


def summary(capsys: pytest.CaptureFixture[str], root: Path, ledger: Path, *more: str) -> str:
    code = main(["actuals", "summary", "--ledger", str(ledger), "--root", str(root), *more])
    out = capsys.readouterr().out
    assert code == 0
    return out


VIEWS = {
    "totals_prompt": ["--by", "prompt"],
    "totals_user": ["--by", "user"],
    "efficiency": ["--view", "efficiency"],
    "trend_week": ["--view", "trend", "--per", "week"],
    "forecast": ["--view", "forecast"],
}
EXTENSIONS = {"table": "txt", "markdown": "md", "json": "json"}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_view_in_every_format(
    workspace: tuple[Path, Path], capsys: pytest.CaptureFixture[str], view: str
) -> None:
    root, ledger = workspace
    for fmt, ext in EXTENSIONS.items():
        out = summary(capsys, root, ledger, *VIEWS[view], "--format", fmt)
        assert_golden(GOLDEN / f"actuals_{view}.{ext}", out)
        if fmt == "json":
            json.loads(out)


def test_efficiency_is_each_call_repriced(
    workspace: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The saving shown equals the sum over the calls of (their cost − the same call priced on
    the candidate), each call priced alone with the same pricer: the sums per bracket are
    exact, the 250k-token call included (gemini-3-pro-preview's tier above 200k)."""
    root, ledger = workspace
    data = json.loads(summary(capsys, root, ledger, "--view", "efficiency", "-f", "json"))
    pricer = make_pricer(load_manifest(root / "llm-cost.toml"))
    with SqliteLedger(ledger) as store:
        rows = list(store.iter_rows())
    checked = 0
    for line in data["lines"]:
        calls = [r for r in rows if r.prompt_id == line["prompt_id"]
                 and r.rollup_model == line["model"]]  # fmt: skip
        assert line["calls"] == len(calls)
        for alternative in line["alternatives"]:
            each = [
                pricer.price(
                    Usage(r.input_tokens, r.output_tokens, r.cache_read_tokens,
                          r.cache_write_5m_tokens, r.cache_write_1h_tokens, r.reasoning_tokens,
                          model_responded=alternative["model"]),
                    date.fromisoformat(r.day), mode_of(r.service_tier),
                ).cost_pusd
                for r in calls
            ]  # fmt: skip
            if None in each:
                assert alternative["cost_usd"] is None and alternative["unpriced_calls"]
                continue
            expected = Decimal(sum(c for c in each if c is not None)).scaleb(-12)
            assert Decimal(alternative["cost_usd"]) == expected
            checked += 1
    assert checked >= 4
    triage = next(line for line in data["lines"] if line["prompt_id"] == "support/triage")
    sources = [(a["model"], a["source"]) for a in triage["alternatives"]]
    assert ("gemini-3-pro-preview", "rule: support/triage") in sources
    # claude-haiku-4-5 would be cheaper than the calls' real cost
    haiku = next(a for a in triage["alternatives"] if a["model"] == "claude-haiku-4-5")
    assert Decimal(haiku["saving_usd"]) > 0
    unknown = next(line for line in data["lines"] if line["model"] == "my-finetune")
    assert unknown["cost_usd"] is None and unknown["per_call_usd"] is None  # never $0


def test_the_forecast_is_the_stated_method() -> None:
    spend = [Decimal(v) for v in ("10", "12", "8", "11", "9")]
    pico = [int(v * 10**12) for v in spend] + [3 * 10**12]  # today (the 6th): $3 so far
    found = month_forecast(pico, date(2026, 11, 6))
    assert found is not None and found.days_observed == 5 and found.days_left == 25
    mean, sd = statistics.mean(spend), statistics.stdev(spend)
    assert found.mean_day_usd == mean and found.forecast_usd == 50 + mean * 25
    half = t_quantile(4) * sd * (Decimal(25) + Decimal(625) / 5).sqrt()
    assert found.high_usd is not None and found.low_usd is not None
    assert abs(found.high_usd - (found.forecast_usd + half)) < Decimal("1e-9")
    assert abs(found.low_usd - (found.forecast_usd - half)) < Decimal("1e-9")
    # today already above the mean counts as spent; the low end never goes under what is spent
    busy = month_forecast([10 * 10**12] * 5 + [40 * 10**12], date(2026, 11, 6))
    assert busy is not None and busy.forecast_usd == 50 + 40 + 10 * 24
    assert busy.low_usd == busy.high_usd == busy.forecast_usd  # no spread: no width
    assert month_forecast([5 * 10**12], date(2026, 11, 1)) is None  # no complete day
    one = month_forecast([5 * 10**12, 0], date(2026, 11, 2))
    assert one is not None and one.low_usd is None and one.forecast_usd == 5 * 30
