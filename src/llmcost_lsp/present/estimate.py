"""Renderers of a workspace report for people (table, markdown) and machines (json).

The JSON shape is stable and documented in docs/estimate-json.md; money and token fractions are
decimal strings so no reader loses precision to binary floats.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from llmcost_lsp.core.estimate import ASSUMED_MODEL, Estimate
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.workspace import PromptResult, Report
from llmcost_lsp.present import (
    decimal_text,
    issue_data,
    markdown_code,
    markdown_text,
    money,
    monthly_total,
    tokens_text,
)
from llmcost_lsp.present.table import render_table

JSON_SCHEMA = "llm-cost.estimate/1"


def _calls(estimate: Estimate | None) -> str:
    if estimate is None or estimate.monthly_calls is None:
        return "?"
    return f"{estimate.monthly_calls.quantize(Decimal(1), ROUND_HALF_UP):,}"


# -- table ---------------------------------------------------------------------------------


def _by_cost(result: PromptResult) -> tuple[int, Decimal, str]:
    """Most expensive first; prompts without a monthly cost after the priced ones."""
    monthly = result.estimate.monthly_usd if result.estimate else None
    return (monthly is None, -(monthly or Decimal(0)), result.prompt_id)


def render_table_report(report: Report, db: PriceDB, limit: int | None) -> str:
    """The table of every prompt; over `limit` rows, the `limit` most expensive and one line
    for the rest (None: every prompt, `--all`)."""
    headers = ["PROMPT", "MODEL", "IN TOK", "OUT TOK", "PER CALL", "CALLS/MO", "PER MONTH"]
    rows: list[list[str]] = []
    shown: Sequence[PromptResult] = report.results
    rest: list[PromptResult] = []
    if limit is not None and len(shown) > limit:
        ranked = sorted(shown, key=_by_cost)
        shown, rest = ranked[:limit], ranked[limit:]
    for result in shown:
        e = result.estimate
        if e is None:
            reason = result.why_not_estimated
            rows.append([result.prompt_id, "-", "-", "-", "-", "-", f"({_short(reason)})"])
            continue
        rows.append(
            [
                result.prompt_id,
                e.model_entry.id + (" *" if e.contracted else "") + _assumed(e),
                tokens_text(e.input_tokens) + (UNSIZED_MARK if result.unsized else ""),
                _at_most(e, tokens_text(e.effective_output_tokens)),
                _at_most(
                    e, money(e.per_call_usd if e.per_call_usd is not None else None, per_call=True)
                ),
                _calls(e),
                _at_most(e, money(e.monthly_usd)),
            ]
        )
    table = render_table(headers, rows, right_align=(2, 3, 4, 5, 6))
    lines = [table]
    if rest:
        known = [r.estimate.monthly_usd for r in rest if r.estimate and r.estimate.monthly_usd]
        together = money(sum(known, Decimal(0))) if known else "?"
        lines.append(
            f"… and {_plural(len(rest), 'more prompt')}: {together}/month together, the "
            f"{limit} most expensive are above (--all lists every prompt)"
        )
    lines += ["", _total_line(report)]
    lines += _footnotes(report, db, limit)
    return "\n".join(lines)


UNSIZED_MARK = "+?"  # input tokens: more than shown, by variables without a size
AT_MOST = "≤"  # output sized by max_tokens: the figure is an upper bound


def _assumed(estimate: Estimate) -> str:
    return " (assumed)" if estimate.model_assumed else ""


def _at_most(estimate: Estimate, text: str) -> str:
    return f"{AT_MOST}{text}" if estimate.output_is_upper_bound and text != "?" else text


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' * (n != 1)}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _total_line(report: Report) -> str:
    count = len(report.results)
    incomplete = len(report.incomplete)
    total = f"Total: {monthly_total(report)}/month for {count} prompt{'s' * (count != 1)}"
    total += f" (scenario {report.scenario.name})"
    if incomplete:
        total += f"; {incomplete} without a monthly cost (see below)"
    return total


VOLUME_NOTES = 10  # prompts without a volume named one by one (--all: every one)


def _footnotes(report: Report, db: PriceDB, limit: int | None) -> list[str]:
    notes: list[str] = []
    bands = sorted(
        {
            e.input_tokens.error_band_pct
            for e in report.estimates
            if not e.input_tokens.is_exact and e.input_tokens.error_band_pct is not None
        }
    )
    if bands:
        notes.append(
            f"≈ approximate token count (no public tokenizer): ±{decimal_text(bands[-1])}% at most"
        )
    if any(e.contracted for e in report.estimates):
        notes.append("* contracted prices from [pricing.overrides]")
    if any(e.model_assumed for e in report.estimates):
        notes.append(
            f"(assumed) no model named: priced as {ASSUMED_MODEL}, llm-cost's default; name "
            f'yours with `model = "<model>"` under [defaults] in llm-cost.toml'
        )
    if any(e.output_is_upper_bound for e in report.estimates):
        notes.append(
            f"{AT_MOST} output sized by the prompt's max_tokens: an upper bound, so the costs are "
            "at most these; set output_tokens for the expected size"
        )
    unsized = [r for r in report.results if r.estimate is not None and r.unsized]
    if unsized:
        names = sorted({name for r in unsized for name in r.unsized})
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        notes.append(
            f"{UNSIZED_MARK} {_plural(len(unsized), 'prompt')} with template variables without a "
            f"size ({shown}): only their placeholder text is counted, so the input is larger; "
            "size them in [prompts.<id>.variables] (`llm-cost init` writes the tables)"
        )
    logic = [r for r in report.results if any(i.code == "template-logic" for i in r.issues)]
    if logic:
        notes.append(
            f"{_plural(len(logic), 'prompt')} with template loops or conditionals: counted as "
            "written, loops once and both branches of a condition (`llm-cost check --show-info`)"
        )
    for e in report.estimates:
        if e.monthly_range is not None:
            low, high = e.monthly_range
            notes.append(
                f"~ {e.prompt_id}: {money(low)}-{money(high)}/month: its approximate count "
                "straddles a long-context price tier (`llm-cost check` says more)"
            )
    unsized_volume = [r for r in report.incomplete if r.estimate is not None]
    for result in unsized_volume if limit is None else unsized_volume[:VOLUME_NOTES]:
        if result.estimate is not None:
            missing = [
                n
                for n, v in (
                    ("calls_per_month", result.estimate.calls_per_month),
                    ("output_tokens", result.estimate.output_tokens),
                )
                if v is None
            ]
            notes.append(
                f"? {result.prompt_id}: {' and '.join(missing)} unknown; input alone costs "
                f"{money(result.estimate.input_per_call_usd, per_call=True)}/call"
            )
    if limit is not None and len(unsized_volume) > VOLUME_NOTES:
        notes.append(
            f"? … and {_plural(len(unsized_volume) - VOLUME_NOTES, 'more prompt')} without a "
            "volume (--all lists every one)"
        )
    notes.append(f"Prices: price DB {db.origin}, updated {db.updated_at:%Y-%m-%d}; USD.")
    return notes


# -- markdown ------------------------------------------------------------------------------


def render_markdown_report(report: Report, db: PriceDB) -> str:
    lines = [
        f"### LLM cost estimate: {monthly_total(report)}/month",
        "",
        f"Scenario **{report.scenario.name}** · {len(report.results)} prompts · "
        f"price DB updated {db.updated_at:%Y-%m-%d}",
        "",
        "| Prompt | Model | Input tokens | Output tokens | Per call | Calls/month | Per month |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for result in report.results:
        e = result.estimate
        if e is None:
            reason = result.why_not_estimated
            shown = markdown_code(result.prompt_id, in_table=True)
            lines.append(f"| {shown} | – | – | – | – | – | {_md(_short(reason))} |")
            continue
        shown = markdown_code(result.prompt_id, in_table=True)
        lines.append(
            f"| {shown} | {e.model_entry.id}{_MD_STAR if e.contracted else ''}"
            f"{_assumed(e)} | "
            f"{tokens_text(e.input_tokens)}{UNSIZED_MARK if result.unsized else ''} | "
            f"{_at_most(e, tokens_text(e.effective_output_tokens))} | "
            f"{_at_most(e, money(e.per_call_usd, per_call=True))} | "
            f"{_calls(e)} | {_at_most(e, money(e.monthly_usd))} |"
        )
    # capped as the table is; a leading `*` is escaped too
    notes = (_md(note) for note in _footnotes(report, db, VOLUME_NOTES))
    lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines)


_MD_STAR = " \\*"


def _md(text: str) -> str:
    return markdown_text(text)


# -- json ----------------------------------------------------------------------------------


def report_json(
    report: Report, db: PriceDB, issues: Sequence[Issue] | None = None
) -> dict[str, Any]:
    return {
        "schema": JSON_SCHEMA,
        "scenario": {
            "name": report.scenario.name,
            "calls_multiplier": decimal_text(report.scenario.calls_multiplier),
            "cache_hit_ratio": decimal_text(report.scenario.cache_hit_ratio),
            "cache_write_ratio": decimal_text(report.scenario.cache_write_ratio),
            "cache_ttl": report.scenario.cache_ttl,
            "mode": report.scenario.mode,
            "output_tokens_multiplier": decimal_text(report.scenario.output_tokens_multiplier),
        },
        "price_db": {
            "origin": db.origin,
            "updated_at": db.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "prompts": [_result_json(r) for r in report.results],
        "totals": {
            "monthly_usd": decimal_text(report.monthly_usd),
            "prompts": len(report.results),
            "without_monthly_cost": [r.prompt_id for r in report.incomplete],
        },
        "issues": [issue_data(i) for i in (issues if issues is not None else report.issues)],
    }


def dump_report_json(data: dict[str, Any], rows_key: str = "prompts") -> str:
    """JSON with one row of `rows_key` per line: readable and diffable, and encoded by the C
    encoder (indenting the whole document is ~10x slower on 10,000 prompts)."""

    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    parts = []
    for key, value in data.items():
        if key == rows_key:
            rows = "".join(f"\n    {compact(row)}," for row in value).rstrip(",")
            parts.append(
                f"  {json.dumps(key)}: [{rows}\n  ]" if rows else f"  {json.dumps(key)}: []"
            )
        else:
            parts.append(f"  {json.dumps(key)}: {compact(value)}")
    return "{\n" + ",\n".join(parts) + "\n}"


def _result_json(result: PromptResult) -> dict[str, Any]:
    e = result.estimate
    data: dict[str, Any] = {
        "id": result.prompt_id,
        "path": result.prompt.path,
        "format": result.prompt.format,
        "content_hash": result.prompt.content_hash,
        "tags": result.tags,
        "estimate": None,
        "issues": [issue_data(i) for i in result.issues],
    }
    if e is None:
        return data
    data["estimate"] = {
        "model": {
            "id": e.model_entry.id,
            "provider": e.model_entry.provider,
            "as_written": e.model.value,
            "source": e.model.source,
            "assumed": e.model_assumed,
        },
        "tokens": {
            "input": e.input_tokens.tokens,
            "method": e.input_tokens.method,
            "tokenizer": e.input_tokens.tokenizer,
            "error_band_pct": decimal_text(e.input_tokens.error_band_pct),
            "unsized_variables": list(result.unsized),
            "cached_input": decimal_text(e.cached_tokens),
            "output": decimal_text(e.effective_output_tokens),
        },
        "output_tokens": _sourced(e.output_tokens),
        "calls_per_month": _sourced(e.calls_per_month),
        "price": {
            "tier": e.rates.tier,
            "mode": e.rates.mode,
            "input_per_mtok": decimal_text(e.rates.input),
            "output_per_mtok": decimal_text(e.rates.output),
            "cache_read_per_mtok": decimal_text(e.rates.cache_read),
            "cache_write_5m_per_mtok": decimal_text(e.rates.cache_write_5m),
            "cache_write_1h_per_mtok": decimal_text(e.rates.cache_write_1h),
            "contracted": e.contracted,
            "source": e.price_source,
            "effective_from": e.price_effective_from,
        },
        "components": [
            {
                "kind": c.kind,
                "tokens": decimal_text(c.tokens),
                "per_mtok": decimal_text(c.per_mtok),
                "list_per_mtok": decimal_text(c.list_per_mtok),
                "usd": decimal_text(c.usd),
                "list_usd": decimal_text(c.list_usd),
            }
            for c in e.components
        ],
        "cost": {
            "input_per_call_usd": decimal_text(e.input_per_call_usd),
            "per_call_usd": decimal_text(e.per_call_usd),
            "monthly_calls": decimal_text(e.monthly_calls),
            "monthly_usd": decimal_text(e.monthly_usd),
            "upper_bound": e.output_is_upper_bound,  # output sized by max_tokens
            # an approximate count straddling a price tier: the cost at both ends of its band
            "range": None
            if e.per_call_range is None
            else {
                "per_call_usd": [decimal_text(v) for v in e.per_call_range],
                "monthly_usd": None
                if e.monthly_range is None
                else [decimal_text(v) for v in e.monthly_range],
            },
        },
        "notes": list(e.notes),
    }
    return data


def _sourced(value: Any) -> dict[str, Any] | None:
    return None if value is None else {"value": value.value, "source": value.source}
