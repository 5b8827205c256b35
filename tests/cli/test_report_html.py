"""`llm-cost report`: one self-contained HTML page with the costs as SVG charts. Structure,
numbers (the estimate's), budgets, scenarios and diff, escaping, and nothing loaded from anywhere
(the page is opened in headless Chromium by tests/e2e/test_report_browser.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "diff"))
from diff_gitrepo import GitRepoBuilder

REPO = Path(__file__).resolve().parents[2]
PRICE_DATE = "2026-11-23"


class Outline(HTMLParser):
    """Section titles, the svg elements and every attribute that could load something."""

    def __init__(self) -> None:
        super().__init__()
        self.titles: list[str] = []
        self.svgs = 0
        self.bars: list[dict[str, str]] = []
        self.loading: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self._in_h2 = tag == "h2"
        self.svgs += tag == "svg"
        if tag == "rect":
            self.bars.append(found)
        if tag in {"script", "img", "iframe", "link", "object", "embed", "image", "use"}:
            self.loading.append(tag)
        self.loading += [f"{tag} {k}" for k in ("src", "href", "xlink:href") if k in found]

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.titles.append(data)
            self._in_h2 = False


def _page(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    target = tmp_path / "report.html"
    assert main(["report", *args, "--price-date", PRICE_DATE, "-o", str(target)]) == 0
    capsys.readouterr()
    return target.read_text()


def test_the_page_has_every_chart_and_loads_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = _page([str(REPO / "examples"), "-s", "launch"], tmp_path, capsys)
    outline = Outline()
    outline.feed(html)
    assert outline.titles == [
        "Cost by prompt", "Cost by model", "Cost by tag env", "Cost by tag team", "Budgets",
        "Scenarios side by side", "Every prompt",
    ]  # fmt: skip
    assert outline.svgs == 6 and outline.loading == []  # every section but the table
    # no address at all: nothing to fetch, nothing to leak (CSS url() and @import included)
    assert not re.search(r"https?:|//[a-z]|url\(|@import", html, re.I)
    assert "default-src 'none'" in html  # the browser refuses to load anything anyway
    # the numbers are the estimate's
    main(["estimate", str(REPO / "examples"), "-s", "launch", "-f", "json",
          "--price-date", PRICE_DATE])  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    total = sum(float(p["estimate"]["cost"]["monthly_usd"]) for p in data["prompts"])
    assert f"${total:,.2f}" in html
    # budgets as bars: the breached ones red, the one near it amber, under budget green
    levels = [
        b["class"].split()[1] for b in outline.bars if b.get("class", "").startswith("budget")
    ]
    assert levels == ["near", "over", "good", "over", "near"]
    # the longest prompt bar is the most expensive prompt
    prompt_bars = [float(b["width"]) for b in outline.bars if b.get("class") == "bar"][:5]
    assert prompt_bars == sorted(prompt_bars, reverse=True)


def _with_a_lost_prompt(tmp_path: Path, first: str, rest: str = "") -> Path:
    """A workspace of two prompts on gpt-4o: `first` (its manifest table) and `lost`, on a model
    the price DB does not know; `rest` ends the manifest."""
    root = tmp_path / "ws"
    (root / "prompts").mkdir(parents=True)
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 100\noutput_tokens = 10\n\n'
        f'{first}\n[prompts.lost]\npath = "prompts/b.txt"\nmodel = "no-such-model"\n{rest}'
    )
    (root / "prompts" / "a.txt").write_text("Hello.\n")
    (root / "prompts" / "b.txt").write_text("Hello.\n")
    return root


def test_hostile_names_are_text_and_unpriced_prompts_are_grey_not_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = '[prompts."<script>alert(1)</script>"]\npath = "prompts/a.txt"\n'
    first += 'tags = { team = "<b>x</b>" }\n'
    html = _page([str(_with_a_lost_prompt(tmp_path, first))], tmp_path, capsys)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html
    assert "not priced" in html and "1 prompt without a monthly cost" in html


def test_a_budget_with_an_unpriced_prompt_is_grey_and_at_least(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under the budget as far as known, with a prompt of unknown cost in it: the bar is grey
    (not green) and its text says "at least" and how many prompts are unpriced."""
    first = '[prompts.a]\npath = "prompts/a.txt"\n'
    root = _with_a_lost_prompt(tmp_path, first, '\n[budgets]\nmonthly_usd = "100"\n')
    html = _page([str(root)], tmp_path, capsys)
    outline = Outline()
    outline.feed(html)
    levels = [b["class"] for b in outline.bars if b.get("class", "").startswith("budget")]
    assert levels == ["budget unknown"]
    assert re.search(r"at least \$0\.\d+ of \$100\.00 \(0%\) · 1 unpriced", html)


def test_the_diff_against_a_base_shows_the_deltas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepoBuilder(tmp_path / "repo")
    manifest = '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1000\noutput_tokens = 10\n'
    repo.commit({"llm-cost.toml": manifest, "prompts/a.txt": "A.\n", "prompts/b.txt": "B.\n"})
    (repo.root / "prompts" / "a.txt").write_text("A, much longer now. " * 100)
    html = _page([str(repo.root), "--base", "HEAD"], tmp_path, capsys)
    assert "<h2>Against HEAD (" in html
    assert 'class="delta"' in html
    assert re.search(r"<td>a</td><td>\+[\d,]+ tok</td>", html)  # why it changed
    assert re.search(r"<b>\+\$[\d.]+/month \(\+[\d.]+%\)</b>", html)


def test_html_on_a_terminal_asks_for_a_file(tmp_path: Path) -> None:
    import os
    import pty

    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", "report", str(REPO / "examples")],
        stdout=follower,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    os.close(follower)
    os.close(leader)
    assert done.returncode == 2 and "-o report.html" in done.stderr
