"""Actuals a pull request or a vendor export controls: bounded memory and located errors
(reliability probe 3.13; issue 21 items 2 and 7)."""

from __future__ import annotations

import random
import tracemalloc
import zlib
from collections.abc import Iterable
from pathlib import Path

import pytest

from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.focus import actuals as actuals_module
from llmcost_lsp.core.focus.actuals import read_actuals

HEADER = b"ResourceId,ChargePeriodStart,ChargePeriodEnd,EffectiveCost,x_InputTokens,x_Requests\n"
ROW = b"p,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,1,"


def _gzip(path: Path, chunks: Iterable[bytes]) -> Path:
    """Streamed, so the test never holds the decompressed bomb either."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(packer.compress(chunk))
        out.write(packer.flush())
    return path


@pytest.mark.timeout(120)
def test_a_gzip_bomb_of_one_long_line_stays_small(tmp_path: Path) -> None:
    """Probe 3.13c: header + 3e9 `a` without a newline took 2.4 GB, then MemoryError."""
    line = actuals_module.MAX_LINE_BYTES * 4
    bomb = _gzip(tmp_path / "bomb.csv.gz", [HEADER, *([b"a" * 2**20] * (line // 2**20))])
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="line longer than 8,388,608 bytes") as info:
            read_actuals(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.location is not None and info.value.location.line == 2
    assert peak < 3 * actuals_module.MAX_LINE_BYTES  # the line bound, not the 32 MiB line


@pytest.mark.timeout(120)
def test_a_gzip_that_decompresses_far_beyond_its_size_is_refused(tmp_path: Path) -> None:
    """Probe 3.13d: a small gzip of endless lines kept the CPU busy without end."""
    row = ROW + b"1" * (1023 - len(ROW) - 3) + b",1\n"
    bomb = _gzip(tmp_path / "rows.csv.gz", [HEADER, *([row * 1024] * 20)])  # 20 MiB
    assert bomb.stat().st_size * actuals_module.MAX_GZIP_RATIO < 16 * 2**20
    with pytest.raises(InputError, match="refusing what looks like a gzip bomb"):
        read_actuals(bomb)


@pytest.mark.timeout(120)
def test_a_gzip_of_empty_lines_is_refused_after_a_bounded_number_of_lines(tmp_path: Path) -> None:
    """Probe 3.13d: header + 10^9 newlines (4.3 MB) stayed within the byte bound and ran past
    180 s, a line at a time. 10^8 of them here: the read stops at the line bound."""
    bomb = _gzip(tmp_path / "lines.csv.gz", [HEADER, *([b"\n" * 10**6] * 100)])
    allowance = max(
        actuals_module.MAX_GZIP_RATIO * bomb.stat().st_size, actuals_module.MIN_GZIP_ALLOWANCE_BYTES
    )
    lines = allowance // actuals_module.GZIP_BYTES_PER_LINE
    # the byte bound alone stopped only after `allowance` one-byte lines (16.7 M: 50 s here)
    assert lines * 100 < allowance < 10**8
    with pytest.raises(InputError, match=f"more than {lines:,} lines") as info:
        read_actuals(bomb)
    assert info.value.location is not None and info.value.location.line == lines + 1


def test_a_real_sized_gzip_reads_whole(tmp_path: Path) -> None:
    """The bounds leave room for real exports: 200,000 short rows of varying figures (which
    compress about 5 times, as FOCUS exports do) read whole."""
    rng = random.Random(1)
    rows = [
        b"p%d,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,%d.%06d,%d,%d\n"
        % tuple(rng.randrange(n) for n in (50, 100, 10**6, 10**6, 1000))
        for _ in range(200_000)
    ]
    path = _gzip(tmp_path / "real.csv.gz", [HEADER, *rows])
    actuals = read_actuals(path)
    assert actuals.rows_read == 200_000 and actuals.skipped_rows == 0


def test_lone_cr_line_ends_still_read(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + HEADER.replace(b"\n", b"\r") + ROW + b"2.5,10\r" + ROW + b"1,4"
    )
    actuals = read_actuals(path)
    assert actuals.rows_read == 2 and actuals.skipped_rows == 0
    assert actuals.prompts["p"].requests == 14


@pytest.mark.parametrize(
    ("column", "message"),
    [("EffectiveCost", "is out of range (at most 10^15)"), ("x_InputTokens", "is not a number")],
    ids=["decimal128-1E+30", "list-typed-tokens"],
)
def test_absurd_parquet_values_are_located_row_errors(
    tmp_path: Path, column: str, message: str
) -> None:
    """Probe 3.13e: a decimal128 cost of 1E+30 ended in an InvalidOperation traceback, and
    list-typed tokens in `cannot unpack non-iterable int object`."""
    pa = pytest.importorskip("pyarrow", reason="pip install 'llm-cost[parquet]'")
    pq = pytest.importorskip("pyarrow.parquet", reason="pip install 'llm-cost[parquet]'")
    from datetime import UTC, datetime
    from decimal import Decimal

    values = {
        "EffectiveCost": pa.array([Decimal("0.01")], pa.decimal128(10, 4)),
        "x_InputTokens": pa.array([10], pa.int64()),
    }
    values[column] = (
        pa.array([Decimal("1E+30")], pa.decimal128(38, 0))
        if column == "EffectiveCost"
        else pa.array([[1, 2]], pa.list_(pa.int64()))
    )
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)
    path = tmp_path / "absurd.parquet"
    pq.write_table(
        pa.table({"ResourceId": ["p"], "ChargePeriodStart": [start], "ChargePeriodEnd": [end],
                  **values}),
        path,
    )  # fmt: skip
    with pytest.raises(InputError) as raised:
        read_actuals(path).raise_if_malformed()
    assert f"absurd.parquet:1: column {column} (row 1): " in str(raised.value)
    assert message in str(raised.value)
