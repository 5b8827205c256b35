"""The one money formatter (core/numbers.py `usd`): one rounding rule, never $0.00 for a cost
that is not zero, unknown as `?`; every shell and every message uses it."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.core.numbers import usd

SRC = Path(__file__).resolve().parents[2] / "src" / "llmcost_lsp"


@pytest.mark.parametrize(
    ("value", "monthly", "per_call"),
    [
        ("12.345", "$12.35", "$12.35"),  # half up everywhere (the check rounded half-even)
        ("1481.8", "$1,481.80", "$1,481.80"),
        ("0.5", "$0.50", "$0.50"),
        ("0.0052900", "$0.01", "$0.00529"),
        ("0.00001965", "$0.00002", "$0.00001965"),
        ("0.00001", "$0.00001", "$0.00001"),
        ("0.001", "$0.001", "$0.001"),
        ("0", "$0.00", "$0.00"),
        ("-3.2", "-$3.20", "-$3.20"),
    ],
)
def test_one_rule_for_every_amount(value: str, monthly: str, per_call: str) -> None:
    assert usd(Decimal(value)) == monthly
    assert usd(Decimal(value), per_call=True) == per_call


def test_unknown_is_a_question_mark_not_zero() -> None:
    assert usd(None) == "?"


def test_no_other_money_formatter_in_the_code() -> None:
    """Five formatters with two rounding rules were how the check said "$0.0000 per call"."""
    cents = re.compile(r"def (usd|money)\(|:,\.2f\}|:\.4f\}")
    found = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if cents.search(path.read_text()) and path.name != "numbers.py"
    ]
    assert found == []


def test_the_editors_format_no_money() -> None:
    """The VS Code extension and the Neovim plugin show the server's texts (`monthlyText`,
    `perCallText`, `budgetText`; labels, lenses and hovers come formatted): a money formatter
    of their own is how the status bar once said `$1,482/mo` beside a lens's `$1,481.80/mo`."""
    editors = SRC.parents[1] / "editors"
    sources = [*(editors / "vscode" / "src").glob("*.ts"), *(editors / "neovim").rglob("*.lua")]
    assert len(sources) >= 6
    money = re.compile(r"FractionDigits|toFixed\(|%[.0-9]*f|Intl\.NumberFormat")
    found = [
        f"{path.relative_to(editors)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if money.search(line)
    ]
    assert found == []
