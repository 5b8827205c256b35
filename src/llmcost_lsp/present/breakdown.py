"""Markdown explanations of an estimate (hint tooltips, hovers, the breakdown view): every
figure and its source, the token parts, the cheaper models."""

from __future__ import annotations

from decimal import Decimal

from llmcost_lsp.core.estimate import Estimate
from llmcost_lsp.core.suggest import Alternative
from llmcost_lsp.core.workspace import PromptResult
from llmcost_lsp.present import decimal_text, money, tokens_text

_KIND = {
    "input": "input",
    "cached_input": "cached input",
    "cache_write": "cache write",
    "output": "output",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _per_mtok(value: Decimal | None) -> str:
    return "—" if value is None else f"${decimal_text(value)}"


def _count_method(estimate: Estimate) -> str:
    count = estimate.input_tokens
    if count.is_exact:
        return "exact"
    band = f" ±{decimal_text(count.error_band_pct)}%" if count.error_band_pct is not None else ""
    return f"approximate{band}"


def _parts_row(estimate: Estimate) -> list[tuple[str, str, str]]:
    """Where the input tokens come from, as the estimate counted them (`TokenCount.parts`, not
    recounted here): `text 1,900 + chat framing 7 + extra 18`; parts of 0 are left out."""
    parts = estimate.input_tokens.parts
    if parts is None:
        return []
    named = [
        ("text", parts.text),
        ("chat framing", parts.overhead),
        ("variables", parts.variables),
        ("extra_input_tokens", parts.extra),
    ]
    shown = [f"{name} {count:,}" for name, count in named if count or name == "text"]
    if len(shown) == 1:
        return []  # all of it is text: the row would repeat the total
    return [("Token parts", " + ".join(shown), "the input tokens above, by where they come from")]


def breakdown_markdown(result: PromptResult) -> str:
    """A table of the estimate of one prompt: tokens, rates, per call, per month, sources."""
    estimate = result.estimate
    if estimate is None:
        reason = result.why_not_estimated
        return f"**{_cell(result.prompt_id)}**: no estimate ({_cell(reason)})"
    rates = estimate.rates
    tier = rates.tier + (f", mode {rates.mode}" if rates.mode != "standard" else "")
    output = estimate.effective_output_tokens
    calls = estimate.calls_per_month
    rows = [
        (
            "Model",
            f"`{estimate.model_entry.id}`" + (" (assumed)" if estimate.model_assumed else ""),
            estimate.model.source
            + (
                '; name yours: `model = "<model>"` under [defaults] in llm-cost.toml'
                if estimate.model_assumed
                else ""
            ),
        ),
        ("Input tokens", tokens_text(estimate.input_tokens), _count_method(estimate)),
        *_parts_row(estimate),
        (
            "Cached tokens",
            tokens_text(estimate.cached_tokens),
            f"scenario {estimate.scenario.name}",
        ),
        (
            "Output tokens",
            (
                f"≤ {tokens_text(output)} (upper bound)"
                if estimate.output_is_upper_bound
                else tokens_text(output)
            )
            if output is not None
            else "unknown",
            estimate.output_tokens.source if estimate.output_tokens else "not set",
        ),
        (
            "Price per Mtok",
            f"in {_per_mtok(rates.input)} · cached {_per_mtok(rates.cache_read)} · "
            f"out {_per_mtok(rates.output)}",
            f"tier {tier}" + (" · contracted" if estimate.contracted else ""),
        ),
        (
            "Per call",
            money(estimate.per_call_usd, per_call=True)
            if estimate.per_call_usd is not None
            else f"{money(estimate.input_per_call_usd, per_call=True)} (input only)",
            "output tokens unknown" if estimate.per_call_usd is None else "",
        ),
        (
            "Calls per month",
            f"{estimate.monthly_calls:,.0f}" if estimate.monthly_calls is not None else "unknown",
            calls.source if calls else "not set",
        ),
        (
            "Per month",
            money(estimate.monthly_usd) if estimate.monthly_usd is not None else "?",
            "" if estimate.monthly_usd is not None else "needs calls_per_month and output_tokens",
        ),
        ("Scenario", estimate.scenario.name, ""),
        ("Prices", f"effective {estimate.price_effective_from}", estimate.price_source),
    ]
    lines = [
        f"**llm-cost · {_cell(result.prompt_id)}**",
        "",
        "| | value | source |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {_cell(value)} | {_cell(source)} |" for name, value, source in rows]
    if len(estimate.components) > 1:
        lines += ["", "| component | tokens | per Mtok | per call |", "|---|---:|---:|---:|"]
        for part in estimate.components:
            lines.append(
                f"| {_KIND[part.kind]} | {tokens_text(part.tokens)} | "
                f"{_per_mtok(part.per_mtok)} | {money(part.usd, per_call=True)} |"
            )
    for note in estimate.notes:
        lines += ["", f"_{_cell(note)}_"]
    return "\n".join(lines)


def comparison_markdown(base: Estimate, alternatives: list[Alternative]) -> str:
    """Cheaper models for the same prompt, with the tokenizer caveat where families differ."""
    if not alternatives:
        return ""
    lines = [
        "",
        "**Cheaper models for this prompt**",
        "",
        "| model | tokens | per call | per month | saving/mo |",
        "|---|---:|---:|---:|---:|",
    ]
    caveat = False
    for alt in alternatives:
        estimate = alt.estimate
        mark = " †" if alt.tokenizer_differs else ""
        caveat = caveat or alt.tokenizer_differs
        per_call = estimate.per_call_usd
        lines.append(
            f"| `{alt.model_id}`{mark} | {tokens_text(estimate.input_tokens)} | "
            f"{money(estimate.input_per_call_usd if per_call is None else per_call, per_call=True)}"
            f" | {money(estimate.monthly_usd)} | {money(alt.saving_monthly_usd)} |"
        )
    if caveat:
        lines += [
            "",
            f"† another tokenizer than {base.model_entry.id}'s ({base.model_entry.tokenizer}): "
            "the same text is a different number of tokens there.",
        ]
    return "\n".join(lines)
