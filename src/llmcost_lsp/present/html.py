"""`llm-cost report`: one self-contained HTML page with the costs as pictures.

Cost by prompt, by model and by tag as bar charts, the budgets as bars (under budget too), the
scenarios side by side, and the diff against a base. Everything is inline: the CSS in a
<style>, the charts as <svg> drawn here, no script, no font, no image, no link that loads
anything, so the page opens offline, in a mail attachment or a CI artifact, and never calls home.

The charts are drawn by this module rather than a plotting library: they are horizontal bars
(rectangles and text), a few dozen lines of SVG; matplotlib or plotly would add tens of MB (or a
JavaScript runtime in the page) for no picture we need, and their output is harder to keep
byte-stable in tests. Every text from the repository (prompt ids, tags, model names) is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from llmcost_lsp.core.check import Spend
from llmcost_lsp.core.diff.model import CostDiff
from llmcost_lsp.core.manifest import Manifest
from llmcost_lsp.core.numbers import usd
from llmcost_lsp.core.workspace import PromptResult, Report
from llmcost_lsp.present import tokens_text
from llmcost_lsp.present.diff import headline, signed_usd, why

CHART_ROWS = 25  # bars per chart; the rest is one "N others" bar
WIDTH = 760
LABEL = 230  # px for the labels left of the bars
VALUE = 170  # px for the values right of the bars
ROW = 24
COLOURS = {
    "bar": "#3b6fb6", "good": "#2e8540", "near": "#d08b00", "over": "#c0392b",
    "track": "#e6e9ef", "unknown": "#9aa3af", "up": "#c0392b", "down": "#2e8540",
}  # fmt: skip


@dataclass(frozen=True)
class Page:
    """What the page shows: the report under the chosen scenario, the same workspace under every
    scenario (baseline first), its manifest (budgets, tags) and optionally a diff."""

    title: str
    report: Report
    scenarios: Sequence[Report]
    manifest: Manifest | None
    price_db: str  # "bundled, updated 2026-11-23"
    generated: str  # the date the page was made (the settings' clock)
    diff: CostDiff | None = None


def render_page(page: Page) -> str:
    report = page.report
    sections = [
        _summary(page),
        _section("Cost by prompt", _prompt_chart(report)),
        _section("Cost by model", _grouped_chart(report, lambda r: _model(r))),
        *_tag_sections(report),
        _section("Budgets", _budgets(page)),
        _section("Scenarios side by side", _scenarios(page.scenarios)),
    ]
    if page.diff is not None:
        sections.append(_section(f"Against {page.diff.base_label}", _diff(page.diff)))
    sections.append(_section("Every prompt", _table(report)))
    body = "\n".join(s for s in sections if s)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_POLICY}">
<title>{escape(page.title)} — LLM cost</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<h1>LLM cost: {escape(page.title)}</h1>
{body}
<footer>Scenario {escape(report.scenario.name)} · price DB {escape(page.price_db)} · USD ·
made {escape(page.generated)} by <code>llm-cost report</code>, offline.</footer>
</main>
</body>
</html>
"""


# the page may load nothing at all: no script, font, image or frame, even if one slipped in
_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2433;margin:0;
background:#f7f8fa}main{max-width:820px;margin:0 auto;padding:24px}h1{font-size:24px}
h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #dde1e8;padding-bottom:4px}
section{background:#fff;border:1px solid #e3e6ec;border-radius:6px;padding:8px 16px 16px;
margin-bottom:16px}.kpis{display:flex;gap:16px;flex-wrap:wrap}.kpi{flex:1;min-width:150px}
.kpi b{display:block;font-size:22px}.note{color:#5b6475;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:4px 6px;
border-bottom:1px solid #eef0f4;text-align:left}td.n,th.n{text-align:right;
font-variant-numeric:tabular-nums}svg{display:block;max-width:100%;height:auto}
svg text{font:12px system-ui,sans-serif;fill:#1d2433}footer{color:#5b6475;font-size:12px;
margin-top:24px}code{font-size:12px}
"""


def _section(title: str, content: str) -> str:
    if not content:
        return ""
    return f"<section><h2>{escape(title)}</h2>\n{content}\n</section>"


def _model(result: PromptResult) -> str | None:
    return result.estimate.model_entry.id if result.estimate else None


def _monthly(result: PromptResult) -> Decimal | None:
    return result.estimate.monthly_usd if result.estimate else None


def _summary(page: Page) -> str:
    report = page.report
    priced = len(report.results) - len(report.incomplete)
    total = "unknown" if report.monthly_unknown else usd(report.monthly_usd)
    kpis = [
        ("per month", total + (" + ?" if report.incomplete and priced else "")),
        ("prompts", f"{len(report.results):,}"),
        ("with a monthly cost", f"{priced:,}"),
        ("scenario", report.scenario.name),
    ]
    cells = "".join(f'<div class="kpi"><b>{escape(v)}</b>{escape(k)}</div>' for k, v in kpis)
    note = ""
    if report.incomplete:
        note = (
            f'<p class="note">{len(report.incomplete):,} prompt'
            f"{'s' * (len(report.incomplete) != 1)} without a monthly cost (no model, an unknown "
            "model or no volume) are not in the total: shown grey below, never as $0.</p>"
        )
    return f'<section class="kpis">{cells}</section>{note}'


def _bars(rows: Sequence[tuple[str, Decimal | None]], *, note: str = "") -> str:
    """Horizontal bars, longest = the biggest value; None is a grey "not priced" marker."""
    if not rows:
        return ""
    known = [v for _, v in rows if v is not None]
    biggest = max(known, default=Decimal(0)) or Decimal(1)
    span = WIDTH - LABEL - VALUE
    parts = []
    for index, (label, value) in enumerate(rows):
        y = index * ROW
        parts.append(_label(label, y))
        if value is None:
            parts.append(f'<rect class="unknown" x="{LABEL}" y="{y + 5}" width="6" height="14" '
                         f'fill="{COLOURS["unknown"]}"/>')  # fmt: skip
            parts.append(_text(LABEL + 12, y + 16, "not priced", "start"))
            continue
        width = max(float(value / biggest) * span, 1.0)
        parts.append(f'<rect class="bar" x="{LABEL}" y="{y + 4}" width="{width:.1f}" height="16" '
                     f'fill="{COLOURS["bar"]}"><title>{escape(label)}: {escape(usd(value))}'
                     "/month</title></rect>")  # fmt: skip
        parts.append(_text(LABEL + width + 6, y + 16, usd(value) + "/mo", "start"))
    return _svg(len(rows) * ROW, parts) + (f'<p class="note">{escape(note)}</p>' if note else "")


def _svg(height: int, parts: Sequence[str]) -> str:
    return (
        f'<svg role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}">' + "".join(parts) + "</svg>"
    )


def _label(text: str, y: int) -> str:
    short = text if len(text) <= 34 else text[:33] + "…"
    return (
        f'<text x="{LABEL - 8}" y="{y + 16}" text-anchor="end"><title>{escape(text)}</title>'
        f"{escape(short)}</text>"
    )


def _text(x: float, y: int, text: str, anchor: str) -> str:
    return f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}">{escape(text)}</text>'


def _top(rows: list[tuple[str, Decimal | None]]) -> tuple[list[tuple[str, Decimal | None]], str]:
    """The CHART_ROWS biggest (priced first), and one bar for the rest."""
    rows.sort(key=lambda r: (r[1] is None, -(r[1] or 0), r[0]))
    if len(rows) <= CHART_ROWS:
        return rows, ""
    rest = rows[CHART_ROWS - 1 :]
    known = [v for _, v in rest if v is not None]
    together = sum(known, Decimal(0)) if known else None
    return [*rows[: CHART_ROWS - 1], (f"{len(rest):,} others", together)], (
        f"The {CHART_ROWS - 1} biggest; the other {len(rest):,} together in the last bar."
    )


def _prompt_chart(report: Report) -> str:
    rows, note = _top([(r.prompt_id, _monthly(r)) for r in report.results])
    return _bars(rows, note=note)


def _grouped_chart(report: Report, key: Callable[[PromptResult], str | None]) -> str:
    """One bar per group (a model, a tag value): the sum of its priced prompts; a group whose
    prompts are all unpriced is "not priced"."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    unpriced: dict[str, int] = defaultdict(int)
    for result in report.results:
        name = key(result)
        if name is None:
            name = "(no model)"
        monthly = _monthly(result)
        if monthly is None:
            unpriced[name] += 1
        else:
            sums[name] += monthly
    rows: list[tuple[str, Decimal | None]] = [(n, sums[n]) for n in sums]
    rows += [(n, None) for n in unpriced if n not in sums]
    top, note = _top(rows)
    return _bars(top, note=note)


def _tag_sections(report: Report) -> list[str]:
    keys = sorted({key for r in report.results for key in r.tags})
    return [_section(f"Cost by tag {key}", _grouped_chart(report, _tag(key))) for key in keys]


def _tag(key: str) -> Callable[[PromptResult], str | None]:
    return lambda result: result.tags.get(key, "(none)")


@dataclass(frozen=True)
class _Budget:
    what: str
    spent: Decimal | None  # None: the prompt's own monthly cost is unknown
    budget: Decimal
    unpriced: int = 0  # prompts in a budget over many without a monthly cost: spent is a floor


def _budget_rows(page: Page) -> list[_Budget]:
    """Every budget of the manifest, with what is spent against it (check.Spend, the figures
    the check reads)."""
    manifest, report = page.manifest, page.report
    if manifest is None:
        return []
    spend = Spend.of_report(report)
    rows: list[_Budget] = []
    if manifest.budgets.monthly_usd is not None:
        rows.append(_Budget("all prompts", spend.monthly_usd, manifest.budgets.monthly_usd,
                            spend.unpriced))  # fmt: skip
    for key, budgets in sorted(manifest.budgets.tags.items()):
        for value, budget in sorted(budgets.items()):
            spent = spend.by_tag.get(key, {}).get(value, Decimal(0))
            unpriced = spend.unpriced_by_tag.get(key, {}).get(value, 0)
            rows.append(_Budget(f"tag {key}={value}", spent, budget, unpriced))
    for result in report.results:
        if result.entry is not None and result.entry.budget_monthly_usd is not None:
            rows.append(_Budget(result.prompt_id, _monthly(result),
                                result.entry.budget_monthly_usd))  # fmt: skip
    return rows


def _budgets(page: Page) -> str:
    """Each budget as a track (the budget) and a bar (the spend): green under 80%, amber from
    80%, red over, grey when prompts in it have no monthly cost (the bar is a floor, and the
    text says "at least" and how many); a bar over its budget runs past the track's end (drawn
    up to 110%)."""
    rows = _budget_rows(page)
    if not rows:
        return '<p class="note">No budget in llm-cost.toml ([budgets] monthly_usd, tags, or a ' \
            "prompt's budget_monthly_usd).</p>"  # fmt: skip
    track = (WIDTH - LABEL - 250) / 1.1  # room for 110% of a budget and its text
    parts = []
    for index, row in enumerate(rows):
        y, spent, budget = index * ROW, row.spent, row.budget
        parts.append(_label(row.what, y))
        parts.append(f'<rect x="{LABEL}" y="{y + 4}" width="{track:.1f}" height="16" '
                     f'fill="{COLOURS["track"]}"/>')  # fmt: skip
        if spent is None:
            parts.append(_text(LABEL + 6, y + 16, f"not priced · budget {usd(budget)}", "start"))
            continue
        share = spent / budget if budget else Decimal(2)
        level = "over" if spent > budget else "near" if share >= Decimal("0.8") else "good"
        if row.unpriced and level == "good":
            level = "unknown"  # under budget as far as known: nothing says it holds
        width = min(float(share), 1.1) * track
        parts.append(f'<rect class="budget {level}" x="{LABEL}" y="{y + 4}" width="{width:.1f}" '
                     f'height="16" fill="{COLOURS[level]}"/>')  # fmt: skip
        pct = f"{share:.0%}" if budget else "over"
        end = LABEL + max(track, width) + 6  # past an over-budget bar, not on it
        text = f"{usd(spent)} of {usd(budget)} ({pct})"
        if row.unpriced:
            text = f"at least {text} · {row.unpriced} unpriced"
        parts.append(_text(end, y + 16, text, "start"))
    return _svg(len(rows) * ROW, parts)


def _scenarios(reports: Sequence[Report]) -> str:
    """The total under each scenario as bars, and every prompt per scenario in a table."""
    if len(reports) < 2:
        return ""
    totals = _bars([(r.scenario.name, None if r.monthly_unknown else r.monthly_usd)
                    for r in reports])  # fmt: skip
    head = "".join(f'<th class="n">{escape(r.scenario.name)}</th>' for r in reports)
    lines = []
    for index, result in enumerate(reports[0].results):
        cells = "".join(
            f'<td class="n">{escape(usd(_monthly(r.results[index])))}</td>' for r in reports
        )
        lines.append(f"<tr><td>{escape(result.prompt_id)}</td>{cells}</tr>")
    table = f"<table><tr><th>prompt</th>{head}</tr>{''.join(lines)}</table>"
    return totals + table


def _diff(diff: CostDiff) -> str:
    """The headline, then each changed prompt's delta as a bar right (up) or left (down) of
    the middle line, and why it changed."""
    parts = []
    rows = [(d.prompt_id, d.monthly_usd_delta, why(d)) for d in diff.prompts[:CHART_ROWS]]
    biggest = max((abs(v) for _, v, _ in rows if v is not None), default=Decimal(0)) or Decimal(1)
    middle = LABEL + (WIDTH - LABEL - VALUE) / 2
    half = (WIDTH - LABEL - VALUE) / 2 - 4
    for index, (name, delta, _) in enumerate(rows):
        y = index * ROW
        parts.append(_label(name, y))
        if delta is None:
            parts.append(_text(middle + 6, y + 16, "? not priced on a side", "start"))
            continue
        width = max(float(abs(delta) / biggest) * half, 1.0)
        x = middle if delta >= 0 else middle - width
        colour = COLOURS["up" if delta > 0 else "down"]
        parts.append(f'<rect class="delta" x="{x:.1f}" y="{y + 4}" width="{width:.1f}" '
                     f'height="16" fill="{colour}"/>')  # fmt: skip
        anchor, tx = ("start", middle + width + 4) if delta >= 0 else ("end", middle - width - 4)
        parts.append(_text(tx, y + 16, signed_usd(delta), anchor))
    parts.append(f'<line x1="{middle:.1f}" y1="0" x2="{middle:.1f}" y2="{len(rows) * ROW}" '
                 'stroke="#5b6475"/>')  # fmt: skip
    chart = _svg(max(len(rows), 1) * ROW, parts) if rows else "<p>No prompt changed cost.</p>"
    why_rows = "".join(
        f"<tr><td>{escape(n)}</td><td>{escape(w)}</td>"
        f'<td class="n">{escape(signed_usd(v))}</td></tr>'
        for n, v, w in rows
    )
    table = (
        f'<table><tr><th>prompt</th><th>why</th><th class="n">Δ/month</th></tr>{why_rows}</table>'
    )
    return f"<p><b>{escape(headline(diff))}</b></p>{chart}{table if rows else ''}"


def _table(report: Report) -> str:
    lines = []
    for r in report.results:
        e = r.estimate
        cells = (
            [r.prompt_id, e.model_entry.id, tokens_text(e.input_tokens),
             usd(e.per_call_usd, per_call=True), usd(e.monthly_usd)]
            if e is not None
            else [r.prompt_id, "–", "–", "–", r.why_not_estimated]
        )  # fmt: skip
        lines.append(
            f"<tr><td>{escape(cells[0])}</td><td>{escape(cells[1])}</td>"
            + "".join(f'<td class="n">{escape(c)}</td>' for c in cells[2:])
            + "</tr>"
        )
    head = (
        '<tr><th>prompt</th><th>model</th><th class="n">input tokens</th>'
        '<th class="n">per call</th><th class="n">per month</th></tr>'
    )
    return f"<table>{head}{''.join(lines)}</table>"
