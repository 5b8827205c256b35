"""FOCUS actuals import: the accepted shapes, round trips of our own export, compressed and
Parquet files, and malformed input that is located and never half-used."""

from __future__ import annotations

import csv
import gzip
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.focus.actuals import read_actuals
from llmcost_lsp.core.focus.export import BillingPeriod, write_csv_file
from llmcost_lsp.core.workspace import Workspace

from .conftest import REPO, export_table

FIXTURES = REPO / "tests" / "fixtures" / "focus"


def _export(workspace: Workspace, path: Path, scenario: str | None = "cached") -> Path:
    _, _, export = export_table(workspace, scenario)
    write_csv_file(export, path)
    return path


def _assert_reproduces(workspace: Workspace, path: Path, scenario: str | None) -> None:
    actuals = read_actuals(path)
    assert actuals.skipped_rows == 0 and actuals.first_problem is None
    assert actuals.request_source == "x_Requests"
    estimates = workspace.report(scenario).estimates
    assert set(actuals.prompts) == {e.prompt_id for e in estimates}
    for estimate in estimates:
        prompt = actuals.prompts[estimate.prompt_id]
        assert prompt.months == 1  # one whole billing month, not 30/30 days by luck
        assert prompt.requests == estimate.monthly_calls
        assert prompt.input_tokens / prompt.requests == estimate.input_tokens.tokens
        assert prompt.output_tokens / prompt.requests == estimate.effective_output_tokens
        assert prompt.cached_tokens / prompt.requests == estimate.cached_tokens
        assert prompt.cost_usd == estimate.monthly_usd
        assert prompt.estimate_rows == prompt.rows


@pytest.mark.parametrize("scenario", [None, "cached", "nightly"])
def test_export_then_import_reproduces_the_estimate(
    examples_workspace: Workspace, tmp_path: Path, scenario: str | None
) -> None:
    path = _export(examples_workspace, tmp_path / "export.csv", scenario)
    _assert_reproduces(examples_workspace, path, scenario)


def test_round_trip_through_gzip(examples_workspace: Workspace, tmp_path: Path) -> None:
    plain = _export(examples_workspace, tmp_path / "export.csv")
    packed = tmp_path / "export.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert read_actuals(packed).format == "gzip"
    _assert_reproduces(examples_workspace, packed, "cached")


def test_round_trip_through_parquet(examples_workspace: Workspace, tmp_path: Path) -> None:
    pa_csv = pytest.importorskip(
        "pyarrow.csv", reason="Parquet needs the optional extra: pip install 'llm-cost[parquet]'"
    )
    pq = pytest.importorskip("pyarrow.parquet", reason="pip install 'llm-cost[parquet]'")
    plain = _export(examples_workspace, tmp_path / "export.csv")
    # typed columns, as a provider's Parquet would have them (decimals as strings kept exact)
    table = pa_csv.read_csv(plain)
    pq.write_table(table, tmp_path / "export.parquet")
    actuals = read_actuals(tmp_path / "export.parquet")
    assert actuals.format == "parquet"
    for estimate in examples_workspace.report("cached").estimates:
        prompt = actuals.prompts[estimate.prompt_id]
        assert prompt.requests == estimate.monthly_calls
        assert prompt.output_tokens / prompt.requests == estimate.effective_output_tokens
        # pyarrow infers doubles for the cost columns: equal to the cent, not to the digit
        assert abs(prompt.cost_usd - (estimate.monthly_usd or 0)) < Decimal("0.01")


def test_parquet_map_tags_and_timestamps(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow", reason="pip install 'llm-cost[parquet]'")
    pq = pytest.importorskip("pyarrow.parquet", reason="pip install 'llm-cost[parquet]'")
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows = 150
    table = pa.table(
        {
            "ChargeCategory": ["Usage"] * rows,
            "ChargePeriodStart": [start + timedelta(hours=i) for i in range(rows)],
            "ChargePeriodEnd": [start + timedelta(hours=i + 1) for i in range(rows)],
            "EffectiveCost": pa.array([Decimal("0.01")] * rows, pa.decimal128(10, 4)),
            "x_InputTokens": [1000] * rows,
            "x_OutputTokens": [50] * rows,
            "Tags": pa.array(
                [[("prompt_id", "classify")]] * rows, pa.map_(pa.string(), pa.string())
            ),
        }
    )
    pq.write_table(table, tmp_path / "wide.parquet")
    actuals = read_actuals(tmp_path / "wide.parquet")
    prompt = actuals.prompts["classify"]
    assert actuals.request_source == "one row per request"
    assert prompt.requests == rows and prompt.output_tokens == 50 * rows
    assert prompt.cost_usd == Decimal("1.5") and prompt.span_hours == rows


def test_provider_shape_with_meters_and_request_rows() -> None:
    actuals = read_actuals(
        FIXTURES / "provider_tokens.csv", known_ids={"search/answer", "classify"}
    )
    assert actuals.request_source == "Requests unit"
    answer = actuals.prompts["search/answer"]  # named by the prompt_id tag, not ResourceId
    assert answer.requests == 100
    assert answer.input_tokens == 200_000 + 80_000  # cached tokens are input tokens too
    assert answer.cached_tokens == 80_000
    assert answer.output_tokens == 120_000
    assert answer.cost_usd == Decimal("1.80")
    assert answer.span_hours == 24
    classify = actuals.prompts["classify"]  # no prompt_id tag: ResourceId
    assert (classify.requests, classify.input_tokens, classify.output_tokens) == (200, 160_000, 400)
    assert actuals.ignored_rows == 2  # Tax and Credit
    assert actuals.unmatched_rows == 1 and actuals.unmatched_keys == ["someone-else"]


def test_user_tag_key_and_period_filter(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["ChargePeriodStart", "ChargePeriodEnd", "EffectiveCost", "x_InputTokens",
             "x_OutputTokens", "x_Requests", "Tags", "ResourceId"]
        )  # fmt: skip
        writer.writerow(["2026-10-31T23:00:00Z", "2026-11-01T00:00:00Z", "1", "10", "1", "5",
                         '{"app.prompt":"a"}', "r1"])  # fmt: skip
        writer.writerow(["2026-11-01T00:00:00+00:00", "2026-11-01T01:00:00Z", "2", "20", "2",
                         "7", '{"app.prompt":"a"}', "r1"])  # fmt: skip
        writer.writerow(["2026-11-01T01:00:00", "2026-11-01T02:00:00", "3", "30", "3", "",
                         '{"app.prompt":"b"}', "r2"])  # fmt: skip
    actuals = read_actuals(path, tag_key="app.prompt", period=BillingPeriod(2026, 11))
    assert actuals.ignored_rows == 1  # October
    assert actuals.request_source == "x_Requests"
    assert actuals.prompts["a"].requests == 7 and actuals.prompts["a"].cost_usd == 2
    assert actuals.prompts["b"].requests == 0  # x_Requests given and empty: none counted
    assert set(actuals.prompts) == {"a", "b"}


@pytest.mark.parametrize(
    ("meter", "kind"),
    [
        ("gpt-4o-0806 Inp glbl 1K Tokens", "input"),
        ("gpt-4o-0806 Outp glbl 1K Tokens", "output"),
        ("USE1-Claude4Sonnet-input-tokens-cache-read", "cached_input"),
        ("USE1-Claude4Sonnet-input-tokens-cache-write", "cache_write"),
        ("Completion tokens", "output"),
        ("Prompt tokens", "input"),
    ],
)
def test_meter_words_tell_the_kind(tmp_path: Path, meter: str, kind: str) -> None:
    path = tmp_path / "meters.csv"
    path.write_text(
        "ChargePeriodStart,ChargePeriodEnd,EffectiveCost,ConsumedQuantity,ConsumedUnit,"
        f"SkuMeter,ResourceId\n2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,1,2,1K tokens,{meter},p\n",
        encoding="utf-8",
    )
    prompt = read_actuals(path).prompts["p"]
    found = {
        "input": prompt.input_tokens - prompt.cached_tokens - prompt.cache_write_tokens,
        "cached_input": prompt.cached_tokens,
        "cache_write": prompt.cache_write_tokens,
        "output": prompt.output_tokens,
    }
    assert found == {k: (2000 if k == kind else 0) for k in found}


def test_token_rows_without_request_counts_leave_requests_unknown(tmp_path: Path) -> None:
    path = tmp_path / "tokens.csv"
    path.write_text(
        "ChargePeriodStart,ChargePeriodEnd,EffectiveCost,ConsumedQuantity,ConsumedUnit,"
        "x_CostComponent,ResourceId\n"
        "2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,1.0,100,Tokens,output,p\n",
        encoding="utf-8",
    )
    actuals = read_actuals(path)
    assert actuals.request_source is None and not actuals.requests_known
    assert actuals.prompts["p"].output_tokens == 100


def test_a_partial_month_scales_to_30_days(tmp_path: Path) -> None:
    path = tmp_path / "week.csv"
    path.write_text(
        "ChargePeriodStart,ChargePeriodEnd,EffectiveCost,x_InputTokens,x_OutputTokens,ResourceId\n"
        "2026-11-03T00:00:00Z,2026-11-03T01:00:00Z,1.0,10,1,p\n"
        "2026-11-09T23:00:00Z,2026-11-10T00:00:00Z,1.0,10,1,p\n",
        encoding="utf-8",
    )
    prompt = read_actuals(path).prompts["p"]
    assert prompt.span_hours == 7 * 24
    assert prompt.months == Decimal(7 * 24) / 720


MALFORMED_HEADER = (
    "ChargePeriodStart,ChargePeriodEnd,EffectiveCost,ConsumedQuantity,ConsumedUnit,SkuMeter,"
    "ResourceId,ChargeDescription\n"
)
GOOD = "2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,1.0,100,Tokens,Input Tokens,p,ok\n"


def test_a_malformed_row_is_located_counted_and_blocks_use(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        MALFORMED_HEADER
        + GOOD
        + '2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,1.0,100,Tokens,Input Tokens,p,"two\nlines"\n'
        + "2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,1.0,lots,Tokens,Input Tokens,p,x\n"
        + "2026-11-01T00:00:00Z,2026-11-02 noon,1.0,100,Tokens,Input Tokens,p,x\n"
        + "2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,1.0,100,Tokens\n"
        + GOOD,
        encoding="utf-8",
    )
    actuals = read_actuals(path, display_path="bad.csv")
    assert actuals.rows_read == 6 and actuals.skipped_rows == 2 + 1
    problem = actuals.first_problem
    assert problem is not None
    assert (problem.location.line, problem.location.column) == (5, 4)  # after a 2-line record
    assert problem.column == "ConsumedQuantity" and "'lots'" in problem.message
    with pytest.raises(InputError) as raised:
        actuals.raise_if_malformed()
    text = str(raised.value)
    assert text.startswith("bad.csv:5:4: column ConsumedQuantity")
    # a byte that is not UTF-8 is one malformed row, located, not a crash mid-file
    path.write_bytes(
        MALFORMED_HEADER.encode() + GOOD.encode() * 3 + GOOD.encode().replace(b",ok\n", b",\xff\n")
    )
    problem = read_actuals(path, display_path="bad.csv").first_problem
    assert problem is not None and str(problem) == (
        "bad.csv:5:8: column ChargeDescription: is not UTF-8 text"
    )
    assert "3 malformed rows in all; nothing was written" in text


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        (b"", "the file is empty", None),
        (b"a,b\n1,2\n", "missing columns", 1),
        (b"\xff\xfe" + MALFORMED_HEADER.encode(), "not UTF-8", 1),
        (MALFORMED_HEADER.encode() + b'"unterminated,\n', "not valid CSV", None),
        (gzip.compress(MALFORMED_HEADER.encode() * 50)[:-20], "broken gzip", None),
    ],
)
def test_unreadable_files_are_input_errors(
    tmp_path: Path, content: bytes, message: str, line: int | None
) -> None:
    path = tmp_path / "actuals.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as raised:
        read_actuals(path)
    assert message in raised.value.message
    if line is not None:
        assert raised.value.location is not None and raised.value.location.line == line


def test_missing_file_and_parquet_without_pyarrow(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_actuals(tmp_path / "nope.csv")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(InputError):
        read_actuals(broken)


_PEAK_SCRIPT = """
import sys
from pathlib import Path
from llmcost_lsp.core.focus.actuals import read_actuals
actuals = read_actuals(Path(sys.argv[1]))
requests = sum(p.requests for p in actuals.prompts.values())
# VmHWM, not ru_maxrss: a child started by a big parent inherits the parent's ru_maxrss
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(int(peak.split()[1]) * 1024, requests)
"""


def write_usage_csv(path: Path, rows: int) -> Path:
    """A wide per-request usage file (the runtime-capture shape), ~190 bytes a row."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["ChargeCategory", "ChargePeriodStart", "ChargePeriodEnd", "EffectiveCost",
             "x_InputTokens", "x_OutputTokens", "Tags", "ChargeDescription"]
        )  # fmt: skip
        for index in range(rows):
            day = f"2026-11-{1 + index % 28:02d}"
            writer.writerow(
                ["Usage", f"{day}T00:00:00Z", f"{day}T01:00:00Z", "0.000123",
                 str(1000 + index % 97), str(index % 300),
                 f'{{"prompt_id":"p{index % 50}","team":"search"}}', "x" * 80]
            )  # fmt: skip
    return path


def _peak_bytes(path: Path) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(path)], capture_output=True, text=True, check=True
    )
    peak, requests = done.stdout.split()
    return int(peak), int(requests)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_streaming_keeps_memory_flat(tmp_path: Path) -> None:
    """Peak memory of a fresh process reading a 1,000-row file and a 150,000-row file (~28 MB):
    only per-prompt sums are kept, so the big file costs (almost) no more memory."""
    small = write_usage_csv(tmp_path / "small.csv", 1_000)
    large = write_usage_csv(tmp_path / "large.csv", 150_000)
    growth = large.stat().st_size - small.stat().st_size
    (small_peak, small_requests), (large_peak, large_requests) = map(_peak_bytes, (small, large))
    assert (small_requests, large_requests) == (1_000, 150_000)
    assert small_peak < 200_000_000  # a fresh process's own peak, not an inherited one
    assert large_peak - small_peak < growth / 10, (
        f"peak grew {large_peak - small_peak:,} B for {growth:,} B more file"
    )


def test_too_many_distinct_ids_is_a_clear_row_error(tmp_path: Path) -> None:
    from llmcost_lsp.core.focus import actuals as module

    path = tmp_path / "ids.csv"
    body = io.StringIO()
    body.write("ChargePeriodStart,ChargePeriodEnd,EffectiveCost,x_InputTokens,ResourceId\n")
    for index in range(5):
        body.write(f"2026-11-01T00:00:00Z,2026-11-01T01:00:00Z,1,1,req-{index}\n")
    path.write_text(body.getvalue(), encoding="utf-8")
    original = module.MAX_DISTINCT_PROMPTS
    module.MAX_DISTINCT_PROMPTS = 3
    try:
        actuals = read_actuals(path)
    finally:
        module.MAX_DISTINCT_PROMPTS = original
    assert actuals.skipped_rows == 2
    assert actuals.first_problem is not None and "--tag-key" in actuals.first_problem.message


def test_export_focus_file_for_the_editor_command(
    examples_workspace: Workspace, tmp_path: Path
) -> None:
    from llmcost_lsp.core.focus.export import export_focus_file

    summary = export_focus_file(
        examples_workspace, tmp_path / "out.csv", period=BillingPeriod(2026, 11), version="1.3"
    )
    assert (summary.rows, summary.prompts, summary.left_out) == (10, 5, ())
    assert read_actuals(tmp_path / "out.csv").prompts.keys() == {
        e.prompt_id for e in examples_workspace.report().estimates
    }
    with pytest.raises(InputError, match="unknown scenario"):
        export_focus_file(examples_workspace, tmp_path / "x.csv", scenario="nope")
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"EffectiveCost": "-1.0"}, "EffectiveCost", "negative cost"),
        ({"x_CachedInputTokens": "900"}, "x_InputTokens", "less than its cached"),
        ({"x_OutputTokens": "NaN"}, "x_OutputTokens", "not a finite number"),
        ({"ChargePeriodEnd": "2026-10-31T00:00:00Z"}, "ChargePeriodEnd", "before"),
        ({"ChargePeriodStart": ""}, "ChargePeriodStart", "is empty"),
        ({"Tags": "{not json"}, "Tags", "not a JSON object"),
        ({"Tags": '["a"]'}, "Tags", "must be a JSON object"),
    ],
)
def test_bad_rows_name_their_column(
    tmp_path: Path, cells: dict[str, str], column: str, message: str
) -> None:
    row = {
        "ChargePeriodStart": "2026-11-01T00:00:00Z",
        "ChargePeriodEnd": "2026-11-01T01:00:00Z",
        "EffectiveCost": "1.0",
        "x_InputTokens": "800",
        "x_CachedInputTokens": "100",
        "x_OutputTokens": "50",
        "Tags": '{"prompt_id":"p"}',
        **cells,
    }
    path = tmp_path / "row.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(row)
        writer.writerow(row.values())
    actuals = read_actuals(path)
    assert actuals.skipped_rows == 1 and not actuals.prompts
    problem = actuals.first_problem
    assert problem is not None and problem.column == column and message in problem.message
    assert problem.location.line == 2


@pytest.mark.parametrize(
    ("unit", "meter", "message"),
    [("Bytes", "Input Tokens", "is not Tokens or Requests"), ("Tokens", "Widgets", "cannot tell")],
)
def test_bad_meter_rows(tmp_path: Path, unit: str, meter: str, message: str) -> None:
    path = tmp_path / "meter.csv"
    path.write_text(
        "ChargePeriodStart,ChargePeriodEnd,EffectiveCost,ConsumedQuantity,ConsumedUnit,"
        f"SkuMeter,ResourceId\n2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,1,2,{unit},{meter},p\n",
        encoding="utf-8",
    )
    problem = read_actuals(path).first_problem
    assert problem is not None and message in problem.message
