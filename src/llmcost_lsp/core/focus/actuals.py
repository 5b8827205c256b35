"""FOCUS actuals import: stream a CSV (plain or gzip) or Parquet file into per-prompt totals.

Rows are read one at a time (csv) or one batch at a time (pyarrow `iter_batches`) and only
per-prompt sums are kept, so memory does not grow with the file. The accepted shapes (our own
export, provider-like token rows, wide per-request rows) are described in docs/focus.md.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO, Literal, NamedTuple, cast

from llmcost_lsp.core.errors import InputError, Location
from llmcost_lsp.core.focus.csvsafe import unneutralise
from llmcost_lsp.core.focus.export import BillingPeriod

TokenKind = Literal["input", "cached_input", "cache_write", "output"]
RequestSource = Literal["x_Requests", "Requests unit", "one row per request", "ledger"]
PROMPT_ID_TAG = "prompt_id"
MAX_DISTINCT_PROMPTS = 100_000
_UNMATCHED_SAMPLE = 10
_PARQUET_BATCH_ROWS = 16_384
_WIDE_COLUMNS = ("x_InputTokens", "x_OutputTokens", "x_CachedInputTokens", "x_CacheWriteTokens")
_UNIT = re.compile(r"^\s*(?:(\d+)\s*([KkMm])?\s+)?(tokens?|requests?)\s*$", re.IGNORECASE)
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000}
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_CACHE_LIMIT = 4096  # distinct date-time and Tags texts remembered while reading
_ZERO = Decimal(0)
ESTIMATE_TAG = "llm-cost-type"
_KINDS: tuple[TokenKind, ...] = ("input", "cached_input", "cache_write", "output")
# Bounds on what a gzip actuals file may decompress to, so that memory stays flat and the time
# bounded whatever the file (a 13 MB bomb of one 3 GB line once took 2.4 GB of memory): a line
# of at most 8 MiB (47 FOCUS columns of csv's 131,072-character field limit fit), and at most
# 100 times the compressed size in all (FOCUS CSV compresses 5-20 times), or 16 MiB if more.
MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_GZIP_RATIO = 100
MIN_GZIP_ALLOWANCE_BYTES = 16 * 1024 * 1024
# ... and at most one line per 128 bytes of that allowance: the time goes per line (3 µs each
# here), and a gzip of empty lines once kept the CPU busy past 180 s. A FOCUS row is longer.
GZIP_BYTES_PER_LINE = 128
_MAX_EXPONENT = 15  # usage and cost figures below 10^15 ...
_MIN_EXPONENT = 30  # ... and above 10^-30, so that every sum stays exact
_LONE_CR = re.compile(rb"(?<=\r)(?!\n|$)")


@dataclass
class PromptActuals:
    """What the bills say about one prompt. `input_tokens` includes cached and written ones."""

    prompt_id: str
    rows: int = 0
    requests: Decimal = Decimal(0)
    input_tokens: Decimal = Decimal(0)
    cached_tokens: Decimal = Decimal(0)
    cache_write_tokens: Decimal = Decimal(0)
    output_tokens: Decimal = Decimal(0)
    cost_usd: Decimal = Decimal(0)
    start: datetime | None = None
    end: datetime | None = None
    estimate_rows: int = 0
    # request counts by source; the file decides which one is used (see `Actuals`)
    _x_requests: Decimal = Decimal(0)
    _unit_requests: Decimal = Decimal(0)
    _request_rows: int = 0

    @property
    def span_hours(self) -> Decimal:
        if self.start is None or self.end is None:
            return Decimal(0)
        return Decimal((self.end - self.start).total_seconds()) / 3600

    @property
    def months(self) -> Decimal:
        """How many months the data covers: whole calendar months when the span is exactly
        month-aligned (an export's billing period), else hours / 720 (a 30-day month)."""
        if self.start is None or self.end is None:
            return Decimal(0)
        aligned = all(
            (t.day, t.hour, t.minute, t.second, t.microsecond) == (1, 0, 0, 0, 0)
            for t in (self.start, self.end)
        )
        if aligned:
            return Decimal(
                (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            )
        return self.span_hours / 720


@dataclass(frozen=True)
class RowProblem:
    """The first malformed row: where (file:line, or row N for Parquet), which column, why."""

    location: Location
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: column {self.column}: {self.message}"


@dataclass
class Actuals:
    """Per-prompt totals of an actuals file, and an account of every row that was not used."""

    path: str
    format: str
    prompts: dict[str, PromptActuals] = field(default_factory=dict)
    rows_read: int = 0
    skipped_rows: int = 0
    first_problem: RowProblem | None = None
    ignored_rows: int = 0  # not Usage, a correction, or outside --period
    unmatched_rows: int = 0
    unmatched_keys: list[str] = field(default_factory=list)
    request_source: RequestSource | None = None
    # cache reads and writes counted on every call (the runtime ledger): the shares are facts
    # calibrate can write; a bill's optional cache columns may just be missing
    cache_measured: bool = False

    @property
    def requests_known(self) -> bool:
        return self.request_source is not None

    def raise_if_malformed(self) -> None:
        """A file with bad rows is not used at all: the first problem and the count say why."""
        if self.first_problem is None:
            return
        problem = self.first_problem
        raise InputError(
            f"column {problem.column}: {problem.message} ({self.skipped_rows:,} malformed "
            f"row{'s' * (self.skipped_rows != 1)} in all; nothing was written)",
            location=problem.location,
            code="bad-actuals-row",
            hint="fix or remove the rows, or filter the export, then run again",
        )


class _RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _decimal(row: Mapping[str, str], column: str) -> Decimal | None:
    text = row.get(column, "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _RowError(column, f"{text[:40]!r} is not a number") from None
    if not value.is_finite():
        raise _RowError(column, f"{text[:40]!r} is not a finite number")
    if value and not -_MIN_EXPONENT <= value.adjusted() < _MAX_EXPONENT:
        # sums of such values overflow Decimal or lose every digit: no real bill holds them
        raise _RowError(column, f"{text[:40]!r} is out of range (at most 10^{_MAX_EXPONENT})")
    return value


def _moment(row: Mapping[str, str], column: str) -> datetime:
    text = row.get(column, "").strip()
    if not text:
        raise _RowError(column, "is empty; a usage row needs its charge period")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _RowError(
            column, f"{text[:40]!r} is not a date-time like 2026-11-01T00:00:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _tags(row: Mapping[str, str]) -> dict[str, Any]:
    text = row.get("Tags", "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise _RowError("Tags", f"not a JSON object: {error.msg}") from None
    if not isinstance(value, dict):
        raise _RowError("Tags", "must be a JSON object")
    return value


def _token_kind(row: Mapping[str, str]) -> TokenKind | None:
    """Which price component a token row is: our x_CostComponent, else the meter's words."""
    declared = row.get("x_CostComponent", "").strip()
    for kind in _KINDS:
        if declared == kind:
            return kind
    words = " ".join(
        row.get(c, "") for c in ("x_TokenType", "SkuMeter", "SkuId", "ChargeDescription")
    ).lower()
    # "outp"/"inp" also catch the abbreviated meters some clouds use ("Outp glbl 1K Tokens")
    if "outp" in words or "completion" in words:
        return "output"
    if "cache" in words and ("write" in words or "creation" in words):
        return "cache_write"
    if "cache" in words or "cached" in words:
        return "cached_input"
    if "inp" in words or "prompt" in words:
        return "input"
    return None


class _Usage(NamedTuple):
    """What one usage row consumed, per price component (0 where the row says nothing)."""

    uncached: Decimal
    cached: Decimal
    written: Decimal  # cache writes
    output: Decimal
    unit_requests: Decimal  # a row in the Requests unit


def _is_usage(row: Mapping[str, str]) -> bool:
    """A usage row (no category means usage); corrections are never counted."""
    category = row.get("ChargeCategory", "Usage").strip() or "Usage"
    return category == "Usage" and row.get("ChargeClass", "").strip() != "Correction"


class _Aggregator:
    def __init__(
        self,
        actuals: Actuals,
        header: list[str],
        tag_key: str | None,
        period: BillingPeriod | None,
        known_ids: set[str] | None,
    ) -> None:
        self.actuals = actuals
        self.tag_key = tag_key
        self.period = period
        self.known_ids = known_ids
        columns = set(header)
        self.has_x_requests = "x_Requests" in columns
        self.wide = any(name in columns for name in _WIDE_COLUMNS)
        self.any_unit_requests = False
        self._times: dict[str, datetime] = {}
        self._tag_cache: dict[str, dict[str, Any]] = {}
        missing = [c for c in ("ChargePeriodStart", "ChargePeriodEnd") if c not in columns]
        if "EffectiveCost" not in columns and "BilledCost" not in columns:
            missing.append("EffectiveCost")
        if not self.wide and "ConsumedQuantity" not in columns:
            missing.append("ConsumedQuantity (or x_InputTokens/x_OutputTokens)")
        if "ResourceId" not in columns and "Tags" not in columns:
            missing.append("ResourceId or Tags")
        if missing:
            raise InputError(
                f"not a FOCUS usage file: missing column{'s' * (len(missing) > 1)} "
                + ", ".join(missing),
                location=Location(actuals.path, 1),
                code="bad-actuals",
                hint="docs/focus.md lists the accepted shapes of an actuals file",
            )

    def _moment(self, row: Mapping[str, str], column: str) -> datetime:
        # usage rows repeat the same hours and days: parse each text once
        text = row.get(column, "")
        found = self._times.get(text)
        if found is None:
            if len(self._times) > _CACHE_LIMIT:
                self._times.clear()
            found = self._times[text] = _moment(row, column)
        return found

    def _tags(self, row: Mapping[str, str]) -> dict[str, Any]:
        text = row.get("Tags", "")
        found = self._tag_cache.get(text)
        if found is None:
            if len(self._tag_cache) > _CACHE_LIMIT:
                self._tag_cache.clear()
            found = self._tag_cache[text] = _tags(row)
        return found

    def _key(self, row: Mapping[str, str]) -> tuple[str | None, dict[str, Any]]:
        """The row's prompt id (see docs/focus.md for the order) and its parsed Tags."""
        tags = self._tags(row) if "Tags" in row else {}
        if self.tag_key is not None:
            value = tags.get(self.tag_key)
            return (str(value) if value not in (None, "", True) else None), tags
        value = tags.get(PROMPT_ID_TAG)
        if isinstance(value, str) and value:
            return value, tags
        resource = unneutralise(row.get("ResourceId", "").strip())
        return (resource or None), tags

    def add(self, row: Mapping[str, str]) -> None:
        """One row: skipped (not usage, outside the period), unmatched, or added to its prompt."""
        actuals = self.actuals
        if not _is_usage(row):
            actuals.ignored_rows += 1
            return
        start, end = self._moment(row, "ChargePeriodStart"), self._moment(row, "ChargePeriodEnd")
        if end < start:
            raise _RowError("ChargePeriodEnd", "is before ChargePeriodStart")
        if self.period is not None and not self.period.start <= start < self.period.end:
            actuals.ignored_rows += 1
            return
        cost = _decimal(row, "EffectiveCost")
        if cost is None:
            cost = _decimal(row, "BilledCost") or Decimal(0)
        x_requests = _decimal(row, "x_Requests") if self.has_x_requests else None
        usage = self._wide_usage(row) if self.wide else self._long_usage(row)
        if min(usage) < 0:
            column = "x_InputTokens" if self.wide else "ConsumedQuantity"
            raise _RowError(column, "negative usage on a usage row")
        if cost < 0:
            raise _RowError("EffectiveCost", "negative cost on a usage row")
        key, tags = self._key(row)
        prompt = self._prompt_for(key, start, end)
        if prompt is not None:
            self._accumulate(prompt, cost, usage, x_requests, (start, end), tags)

    def _wide_usage(self, row: Mapping[str, str]) -> _Usage:
        """A row per request: x_InputTokens (all input), x_CachedInputTokens, … in one row."""
        total_in = _decimal(row, "x_InputTokens") or _ZERO
        cached = _decimal(row, "x_CachedInputTokens") or _ZERO
        written = _decimal(row, "x_CacheWriteTokens") or _ZERO
        output = _decimal(row, "x_OutputTokens") or _ZERO
        uncached = total_in - cached - written
        if uncached < 0:
            raise _RowError(
                "x_InputTokens", "is less than its cached and cache-write tokens together"
            )
        return _Usage(uncached, cached, written, output, _ZERO)

    def _long_usage(self, row: Mapping[str, str]) -> _Usage:
        """A row per kind: ConsumedQuantity in ConsumedUnit (Tokens or Requests, maybe scaled),
        the kind of tokens from x_CostComponent or SkuMeter."""
        quantity = _decimal(row, "ConsumedQuantity")
        if quantity is None:
            return _Usage(_ZERO, _ZERO, _ZERO, _ZERO, _ZERO)
        unit = row.get("ConsumedUnit", "")
        match = _UNIT.match(unit)
        if match is None:
            raise _RowError("ConsumedUnit", f"{unit[:40]!r} is not Tokens or Requests")
        if match.group(1) or match.group(2):
            quantity *= int(match.group(1) or 1) * _SCALE[(match.group(2) or "").lower()]
        if match.group(3)[0] in "rR":
            self.any_unit_requests = True
            return _Usage(_ZERO, _ZERO, _ZERO, _ZERO, quantity)
        kind = _token_kind(row)
        if kind is None:
            raise _RowError(
                "SkuMeter", "cannot tell input from output tokens: set "
                "x_CostComponent or a SkuMeter naming input/cached/output"
            )  # fmt: skip
        return _Usage(
            quantity if kind == "input" else _ZERO,
            quantity if kind == "cached_input" else _ZERO,
            quantity if kind == "cache_write" else _ZERO,
            quantity if kind == "output" else _ZERO,
            _ZERO,
        )

    def _prompt_for(self, key: str | None, start: datetime, end: datetime) -> PromptActuals | None:
        """The row's prompt; None (counted as unmatched) when it names no known prompt."""
        actuals = self.actuals
        if key is None or (self.known_ids is not None and key not in self.known_ids):
            actuals.unmatched_rows += 1
            shown = key or "(no prompt id)"
            if (
                shown not in actuals.unmatched_keys
                and len(actuals.unmatched_keys) < _UNMATCHED_SAMPLE
            ):
                actuals.unmatched_keys.append(shown)
            return None
        prompt = actuals.prompts.get(key)
        if prompt is None:
            if len(actuals.prompts) >= MAX_DISTINCT_PROMPTS:
                raise _RowError(
                    "ResourceId", f"more than {MAX_DISTINCT_PROMPTS:,} distinct prompt ids: "
                    "is ResourceId a request id? use --tag-key"
                )  # fmt: skip
            prompt = actuals.prompts[key] = PromptActuals(key, start=start, end=end)
        return prompt

    def _accumulate(
        self,
        prompt: PromptActuals,
        cost: Decimal,
        usage: _Usage,
        x_requests: Decimal | None,
        period: tuple[datetime, datetime],
        tags: Mapping[str, Any],
    ) -> None:
        prompt.rows += 1
        prompt.cost_usd += cost
        prompt.input_tokens += usage.uncached + usage.cached + usage.written
        if usage.cached:
            prompt.cached_tokens += usage.cached
        if usage.written:
            prompt.cache_write_tokens += usage.written
        prompt.output_tokens += usage.output
        if x_requests:
            prompt._x_requests += x_requests
        if usage.unit_requests:
            prompt._unit_requests += usage.unit_requests
        if self.wide:
            prompt._request_rows += 1
        start, end = period
        if prompt.start is not None and start < prompt.start:
            prompt.start = start
        if prompt.end is not None and end > prompt.end:
            prompt.end = end
        if tags.get(ESTIMATE_TAG) == "estimate":
            prompt.estimate_rows += 1

    def finish(self) -> None:
        source: RequestSource | None
        if self.has_x_requests:
            source = "x_Requests"
        elif self.any_unit_requests:
            source = "Requests unit"
        elif self.wide:
            source = "one row per request"
        else:
            source = None
        self.actuals.request_source = source
        for prompt in self.actuals.prompts.values():
            if source == "x_Requests":
                prompt.requests = prompt._x_requests
            elif source == "Requests unit":
                prompt.requests = prompt._unit_requests
            elif source == "one row per request":
                prompt.requests = Decimal(prompt._request_rows)


def _kind_of_file(path: Path) -> Literal["csv", "gzip", "parquet"]:
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    if magic == b"PAR1":
        return "parquet"
    return "csv"


def read_actuals(
    path: Path,
    *,
    tag_key: str | None = None,
    period: BillingPeriod | None = None,
    known_ids: set[str] | None = None,
    display_path: str | None = None,
) -> Actuals:
    """Stream a FOCUS actuals file into per-prompt totals.

    Raises InputError (with file:line) when the file cannot be read as FOCUS at all; a row
    that is malformed is skipped and counted, and the first one is kept in `first_problem`
    (callers that write anything must call `raise_if_malformed` first).
    """
    shown = display_path or str(path)
    if not path.is_file():
        raise InputError(f"{shown}: no such file", code="bad-actuals")
    kind = _kind_of_file(path)
    actuals = Actuals(shown, kind)
    if kind == "parquet":
        rows: Iterator[tuple[int, list[str], dict[str, str] | list[str]]] = _parquet_rows(
            path, shown
        )
    else:
        rows = _csv_rows(path, shown, gzipped=kind == "gzip")
    header: list[str] | None = None
    aggregator: _Aggregator | None = None
    for line, names, cells in rows:
        if aggregator is None or header is None:
            header = names
            aggregator = _Aggregator(actuals, header, tag_key, period, known_ids)
        actuals.rows_read += 1
        try:
            if isinstance(cells, dict):
                row = cells
            else:
                if len(cells) != len(header):
                    raise _RowError("*", f"{len(cells)} fields, the header has {len(header)}")
                if _NOT_UTF8.search("".join(cells)):
                    bad = next(n for n, c in zip(header, cells, strict=True) if _NOT_UTF8.search(c))
                    raise _RowError(bad, "is not UTF-8 text")
                row = dict(zip(header, cells, strict=True))
            aggregator.add(row)
        except _RowError as error:
            actuals.skipped_rows += 1
            if actuals.first_problem is None:
                column = (header.index(error.column) + 1) if error.column in header else None
                where = (
                    Location(shown, line, column) if kind != "parquet" else Location(shown, line)
                )
                label = error.column if kind != "parquet" else f"{error.column} (row {line})"
                actuals.first_problem = RowProblem(where, label, error.message)
    if aggregator is None:
        raise InputError(f"{shown}: the file is empty", code="bad-actuals")
    aggregator.finish()
    return actuals


def _csv_rows(
    path: Path, shown: str, *, gzipped: bool
) -> Iterator[tuple[int, list[str], dict[str, str] | list[str]]]:
    raw = cast(BinaryIO, gzip.open(path, "rb") if gzipped else open(path, "rb"))  # noqa: SIM115
    allowance = (
        max(MAX_GZIP_RATIO * path.stat().st_size, MIN_GZIP_ALLOWANCE_BYTES) if gzipped else None
    )
    with raw:
        reader = csv.reader(_bounded_lines(raw, shown, allowance), strict=True)
        line = 0
        try:
            header = next(reader, None)
            if header is None:
                return
            header = [name.strip() for name in header]
            if len(set(header)) != len(header):
                raise InputError(
                    "the header names a column twice",
                    location=Location(shown, 1),
                    code="bad-actuals",
                )
            if _NOT_UTF8.search("".join(header)):
                raise InputError(
                    "the header is not UTF-8 text", location=Location(shown, 1), code="bad-actuals"
                )
            line = reader.line_num
            for cells in reader:
                start = line + 1
                line = reader.line_num
                if cells:  # a blank line is not a row
                    yield start, header, cells
        except csv.Error as error:
            raise InputError(
                f"not valid CSV: {error}", location=Location(shown, reader.line_num or 1),
                code="bad-actuals",
            ) from None  # fmt: skip
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            raise InputError(
                f"broken gzip data: {error or 'truncated'}", location=Location(shown, line + 1),
                code="bad-actuals",
            ) from None  # fmt: skip


def _bounded_lines(raw: BinaryIO, shown: str, allowance: int | None) -> Iterator[str]:
    """The file's lines as text (UTF-8, a first BOM dropped, CR, LF and CRLF ends kept), each
    read with a bound: never more than MAX_LINE_BYTES in memory, never more than `allowance`
    bytes in all. Undecodable bytes become lone surrogates, so the row that holds them is
    located exactly."""
    number, total = 0, 0
    while True:
        data = raw.readline(MAX_LINE_BYTES + 1)
        if not data:
            return
        number += 1
        total += len(data)
        if len(data) > MAX_LINE_BYTES and not data.endswith(b"\n"):
            raise InputError(
                f"line longer than {MAX_LINE_BYTES:,} bytes: not a FOCUS row",
                location=Location(shown, number),
                code="bad-actuals",
            )
        if allowance is not None and number > allowance // GZIP_BYTES_PER_LINE:
            raise InputError(
                f"decompresses to more than {allowance // GZIP_BYTES_PER_LINE:,} lines (one per "
                f"{GZIP_BYTES_PER_LINE} bytes of {MAX_GZIP_RATIO} times the file): refusing what "
                "looks like a gzip bomb",
                location=Location(shown, number),
                code="bad-actuals",
                hint="decompress it yourself and pass the CSV if it is real",
            )
        if allowance is not None and total > allowance:
            raise InputError(
                f"decompresses to more than {allowance:,} bytes ({MAX_GZIP_RATIO} times the "
                f"file): refusing what looks like a gzip bomb",
                location=Location(shown, number),
                code="bad-actuals",
                hint="decompress it yourself and pass the CSV if it is real",
            )
        if number == 1 and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        for part in _LONE_CR.split(data) if b"\r" in data else (data,):
            yield part.decode("utf-8", "surrogateescape")


def _parquet_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):  # a Parquet map arrives as [(key, value), ...]
        if all(isinstance(item, tuple) and len(item) == 2 for item in value):
            return json.dumps({str(k): v for k, v in value}, default=str)
        return json.dumps(value, default=str)  # a list where a number belongs: not a number
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    return str(value)


def _parquet_rows(
    path: Path, shown: str
) -> Iterator[tuple[int, list[str], dict[str, str] | list[str]]]:
    try:
        import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import pyarrow.compute as pc  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise InputError(
            f"{shown} is a Parquet file; reading it needs pyarrow",
            code="parquet-unavailable",
            hint="pip install 'llm-cost[parquet]'",
        ) from None
    try:
        parquet = pq.ParquetFile(path)
        header = [str(name) for name in parquet.schema_arrow.names]
        number = 0
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS):
            columns = []
            for column in batch.columns:
                # one C-level cast per column and batch: numbers, decimals and timestamps
                # become their exact text; maps and lists go through Python and JSON
                try:
                    columns.append(pc.cast(column, pa.string()).to_pylist())
                except pa.ArrowNotImplementedError:
                    columns.append([_parquet_cell(v) for v in column.to_pylist()])
            for values in zip(*columns, strict=True):
                number += 1
                yield number, header, {k: v or "" for k, v in zip(header, values, strict=True)}
    except InputError:
        raise
    except Exception as error:  # pyarrow raises several types for a broken file
        raise InputError(
            f"cannot read Parquet: {error}", location=Location(shown), code="bad-actuals"
        ) from None
