"""The server's pure helpers: capabilities, positions, hint labels, breakdowns, minimal edits.

Unit tests of the language server: no server process, no session. A change to a label, a range
or an edit is checked here in well under a second; only what crosses the wire needs the
pytest-lsp sessions of tests/lsp. Client capabilities are the ones pytest-lsp recorded from
real editors. (No conftest.py here: tests/lsp imports its own as `conftest`.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import pytest_lsp
from lsprotocol import types

from llmcost_lsp.core.errors import Location
from llmcost_lsp.core.estimate import Estimate, ScenarioTerms, Sourced, price_call
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.pricing.db import PriceDB, parse_price_db
from llmcost_lsp.core.tokens.spec import TokenCount, TokenParts
from llmcost_lsp.present.breakdown import breakdown_markdown
from llmcost_lsp.server import capabilities
from llmcost_lsp.server.baseline import short_delta
from llmcost_lsp.server.config import HintSettings
from llmcost_lsp.server.convert import line_getter, set_position_encoding, to_diagnostic, to_range
from llmcost_lsp.server.edits import minimal_edit
from llmcost_lsp.server.features.inlay_hints import hint_label
from llmcost_lsp.server.features.switch_model import prompt_of

SMALL_DB = Path(__file__).resolve().parents[1] / "core" / "pricing" / "small_prices.json"


@pytest.fixture(scope="session")
def small_db() -> PriceDB:
    """Two models with fixed prices (gpt-4o: $2.50 in, $10 out per Mtok)."""
    return parse_price_db(SMALL_DB.read_bytes(), str(SMALL_DB))


def estimate(
    db: PriceDB,
    tokens: int = 1_000,
    *,
    method: str = "exact",
    output: int | None = 200,
    calls: int | None = 10_000,
) -> Estimate:
    return price_call(
        prompt_id="p",
        model=Sourced("gpt-4o", "manifest: prompts.p.model"),
        entry=db.resolve("gpt-4o"),
        input_tokens=TokenCount(tokens, method, "o200k_base"),  # type: ignore[arg-type]
        output_tokens=None if output is None else Sourced(output, "manifest"),
        calls_per_month=None if calls is None else Sourced(calls, "manifest"),
        scenario=ScenarioTerms(),
        on=date(2026, 11, 23),
    )


# -- client capabilities, as recorded from real editors -------------------------------------


def test_capabilities_of_recorded_clients() -> None:
    vscode = pytest_lsp.client_capabilities("visual-studio-code")
    neovim = pytest_lsp.client_capabilities("neovim")
    assert capabilities.creates_files(vscode) and capabilities.takes_document_changes(vscode)
    # Neovim lists `create` among resource operations but takes no documentChanges: the
    # manifest is then written to disk, not created through an edit it cannot apply.
    assert not capabilities.creates_files(neovim)
    assert capabilities.refreshes_code_lenses(vscode)
    assert capabilities.pulls_configuration(vscode) and capabilities.pulls_configuration(neovim)
    assert capabilities.shows_progress(vscode) and capabilities.shows_progress(neovim)
    none = types.ClientCapabilities()
    for check in (
        capabilities.creates_files,
        capabilities.refreshes_inlay_hints,
        capabilities.refreshes_code_lenses,
        capabilities.pulls_configuration,
        capabilities.shows_documents,
        capabilities.registers_file_watchers,
    ):
        assert check(none) is False, check.__name__


# -- positions -------------------------------------------------------------------------------


@pytest.fixture
def encoding() -> Iterator[None]:
    yield
    set_position_encoding("utf-16")  # the module-level default other tests expect


@pytest.mark.parametrize(
    ("name", "column"),
    [("utf-16", 4), ("utf-8", 7), ("utf-32", 3)],  # "é😀x": é 1/2/1 units, 😀 2/4/1
)
def test_ranges_count_in_the_negotiated_encoding(encoding: None, name: str, column: int) -> None:
    set_position_encoding(name)
    lines = line_getter("é😀x = 1\nnext\n")
    where = to_range(Location("p", 1, 4), lines)  # 1-based column 4: the `x`
    assert where.start == types.Position(0, column)
    assert where.end.line == 0  # to the end of its line


def test_a_range_without_columns_covers_its_line_and_an_empty_line_gets_one_unit() -> None:
    lines = line_getter("first\n\nthird")
    assert to_range(Location("p", 1, None), lines) == types.Range(
        types.Position(0, 0), types.Position(0, 5)
    )
    assert to_range(Location("p", 2, None), lines) == types.Range(
        types.Position(1, 0), types.Position(1, 1)
    )


def test_a_diagnostic_carries_what_its_quick_fix_needs() -> None:
    issue = Issue("budget-exceeded", "over budget", Location("llm-cost.toml", 3, 1), "error", "hm")
    diagnostic = to_diagnostic(issue, line_getter("a\nb\nbudget = 1\n"), {"promptId": "ask"})
    assert diagnostic.message == "over budget\nhint: hm"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert prompt_of(diagnostic) == "ask"
    assert prompt_of(to_diagnostic(issue, line_getter(""))) is None


# -- hint labels and breakdowns --------------------------------------------------------------


def test_hint_label_shows_each_figure_the_settings_ask_for(small_db: PriceDB) -> None:
    e = estimate(small_db)  # 1,000 × $2.50/M + 200 × $10/M = $0.0045; × 10,000 = $45
    assert hint_label(e, HintSettings()) == "1,000 tok · $0.0045/call · $45.00/mo"
    assert hint_label(e, HintSettings(tokens=False, per_call=False)) == "$45.00/mo"
    approx = estimate(small_db, method="approximate")
    assert hint_label(approx, HintSettings()).startswith("≈ 1,000 tok · ")


def test_hint_label_never_shows_an_unknown_as_zero(small_db: PriceDB) -> None:
    no_volume = estimate(small_db, calls=None)
    assert hint_label(no_volume, HintSettings()).endswith(" · ?/mo")
    no_output = estimate(small_db, output=None)
    assert "/call (input only)" in hint_label(no_output, HintSettings())


def test_breakdown_markdown_names_the_source_of_each_figure(small_db: PriceDB) -> None:
    e = estimate(small_db)
    markdown = breakdown_markdown(SimpleNamespace(prompt_id="p", estimate=e))  # type: ignore[arg-type]
    rows = {line.split("|")[1].strip(): line for line in markdown.splitlines() if "|" in line}
    assert "`gpt-4o`" in rows["Model"] and "manifest: prompts.p.model" in rows["Model"]
    assert "| 1,000 | exact |" in rows["Input tokens"]
    assert "$45.00" in rows["Per month"]
    assert markdown.startswith("**llm-cost · p**")


def test_breakdown_markdown_shows_the_token_parts_of_the_same_count(small_db: PriceDB) -> None:
    """The parts are read from the count the estimate used (issue 22), and add up to it."""
    e = estimate(small_db)
    counted = replace(e.input_tokens, parts=TokenParts(text=975, overhead=7, variables=0, extra=18))
    e = replace(e, input_tokens=counted)
    markdown = breakdown_markdown(SimpleNamespace(prompt_id="p", estimate=e))  # type: ignore[arg-type]
    rows = {line.split("|")[1].strip(): line for line in markdown.splitlines() if "|" in line}
    assert "| text 975 + chat framing 7 + extra_input_tokens 18 |" in rows["Token parts"]
    assert e.input_tokens.tokens == 975 + 7 + 18
    # a count that is only text has no parts row (it would repeat the total)
    only_text = replace(e, input_tokens=replace(counted, parts=TokenParts(1_000, 0, 0, 0)))
    assert "Token parts" not in breakdown_markdown(
        SimpleNamespace(prompt_id="p", estimate=only_text)
    )  # type: ignore[arg-type]


def test_breakdown_markdown_of_a_prompt_without_estimate_says_why() -> None:
    result = SimpleNamespace(prompt_id="a|b", estimate=None, why_not_estimated="no model")
    assert breakdown_markdown(result) == "**a\\|b**: no estimate (no model)"  # type: ignore[arg-type]


def test_short_delta_rounds_by_size() -> None:
    assert short_delta(Decimal("164.5")) == "+$164"
    assert short_delta(Decimal("-12.5")) == "-$12"
    assert short_delta(Decimal("3.10")).startswith("+$3.1")


# -- minimal edits -----------------------------------------------------------------------------


def apply(text: str, edit: types.TextEdit) -> str:
    lines = text.split("\n")

    def offset(at: types.Position) -> int:
        return sum(len(line) + 1 for line in lines[: at.line]) + at.character

    return text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('[prompts.a]\nmodel = "gpt-4o"\n# keep\n', '[prompts.a]\nmodel = "gpt-4o-mini"\n# keep\n'),
        ("a\nb\n", "a\nx\nb\n"),
        ("abc", ""),
        ("", "new text\n"),
    ],
)
def test_minimal_edit_touches_only_what_differs(old: str, new: str) -> None:
    edit = minimal_edit(old, new)
    assert edit is not None
    assert apply(old, edit) == new
    assert len(edit.new_text) <= len(new)


def test_minimal_edit_of_equal_texts_is_none() -> None:
    assert minimal_edit("same", "same") is None


def test_minimal_edit_model_switch_replaces_the_name_only() -> None:
    edit = minimal_edit('model = "gpt-4o"\n', 'model = "gpt-4o-mini"\n')
    assert edit is not None and edit.new_text == "-mini"
    assert edit.range.start == edit.range.end == types.Position(0, 15)
