"""Workspaces for the FOCUS tests: examples/ and a generated one with every model and hostile
names, plus helpers that export to a table of cell texts."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import pytest

from llmcost_lsp.core.focus.export import BillingPeriod, ExportOptions, FocusExport, write_csv
from llmcost_lsp.core.pricing.db import load_price_db
from llmcost_lsp.core.workspace import Workspace

REPO = Path(__file__).resolve().parents[3]
PRICE_DATE = date(2026, 12, 2)  # the bundled DB vouches for most prices from then
PERIOD = BillingPeriod(2026, 11)
HOSTILE_NAMES = ("=cmd", "+plus", "-dash", "@at")


def load(root: Path) -> Workspace:
    workspace = Workspace(root, use_persistent_cache=False, pricing_date=PRICE_DATE)
    workspace.load()
    return workspace


def export_table(
    workspace: Workspace,
    scenario: str | None = None,
    version: str = "1.2",
    hack: bool = False,
    period: BillingPeriod = PERIOD,
) -> tuple[list[str], list[list[str]], FocusExport]:
    export = FocusExport(
        workspace.report(scenario),
        ExportOptions(period, version, hack, billing_account_name=workspace.root.name),  # type: ignore[arg-type]
    )
    buffer = io.StringIO()
    write_csv(export, buffer)
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    return rows[0], rows[1:], export


def build_generated(root: Path) -> Path:
    """One prompt per model of the price DB (some over a long-context threshold through
    extra_input_tokens), hostile file names and tag values, and scenarios that cache, batch
    and multiply."""
    db = load_price_db()
    (root / "prompts").mkdir(parents=True)
    lines = [
        "[defaults]",
        "output_tokens = 321",
        "",
        "[scenarios.cached]",
        'cache_hit_ratio = "0.37"',
        'cache_write_ratio = "0.11"',
        'cache_ttl = "1h"',
        'calls_multiplier = "1.7"',
        "",
        "[scenarios.batch]",
        'mode = "batch"',
        'output_tokens_multiplier = "1.25"',
        "",
        '[pricing.overrides."gpt-4.1"]',
        'input = "1.7"',
        'output = "6.3"',
        "",
    ]
    # every 12th model of the DB (it holds over a thousand, on every host) keeps the export
    # test quick while still covering tiers, modes, hosts and embeddings
    named = {"gpt-4.1", "gpt-4o", "gemini-2.5-pro", "bedrock/meta.llama3-3-70b-instruct-v1:0"}
    sample = [m for i, m in enumerate(db.models()) if i % 12 == 0 or m.id in named]
    for index, model in enumerate(sample):
        name = model.id.replace("/", "_").replace(":", "_") + ".txt"
        (root / "prompts" / name).write_text(
            f"You are assistant number {index}.\nSummarise the text for {model.provider}.\n"
            + "Lorem ipsum dolor sit amet. " * (index % 7),
            encoding="utf-8",
        )
        extra = 300_000 if index % 9 == 0 or model.id == "gemini-2.5-pro" else index * 13
        lines += [
            f'[prompts."{model.id}"]',
            f'path = "prompts/{name}"',
            f'model = "{model.id}"',
            f"extra_input_tokens = {extra}",
            f"calls_per_month = {12_345 + index * 1_001}",
            f'tags = {{ team = "t{index % 4}", env = "", "llm-cost-type" = "bill" }}',
            "",
        ]
    for index, hostile in enumerate(HOSTILE_NAMES):
        (root / "prompts" / f"{hostile}.txt").write_text(f"hostile {index}\n", encoding="utf-8")
        lines += [
            f'[prompts."{hostile}"]',
            f'path = "prompts/{hostile}.txt"',
            'model = "gpt-4o-mini"',
            "calls_per_month = 99",
            'tags = { formula = "=HYPERLINK(\\"http://x\\")", minus = "-1", at = "@SUM(A1)" }',
            "",
        ]
    (root / "prompts" / "no-volume.txt").write_text("unknown volume\n", encoding="utf-8")
    lines += ['[prompts."no-volume"]', 'path = "prompts/no-volume.txt"', 'model = "gpt-4o"', ""]
    (root / "llm-cost.toml").write_text("\n".join(lines), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def examples_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("examples") / "examples"
    shutil.copytree(REPO / "examples", root)
    return load(root)


@pytest.fixture(scope="session")
def generated_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return load(build_generated(tmp_path_factory.mktemp("generated") / "generated"))
