"""Diagnostics: the shared check's findings appear where they are, and clear when fixed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from lsp_helpers import codes, hints, open_doc, replace_all, wait_for
from lsprotocol import types


def manifest_diagnostics(client: Any, ws: Path) -> list[types.Diagnostic]:
    return list(client.diagnostics.get((ws / "llm-cost.toml").as_uri(), []))


async def test_budget_breach_appears_and_disappears(client: Any, ws: Path) -> None:
    await client.start(ws, scenario="launch")
    manifest = ws / "llm-cost.toml"
    await wait_for(lambda: "budget-exceeded" in codes(client, manifest))
    (breach,) = [d for d in manifest_diagnostics(client, ws) if d.code == "budget-exceeded"]
    assert breach.severity == types.DiagnosticSeverity.Error
    text = manifest.read_text()
    line = text.splitlines()[breach.range.start.line]
    assert line.startswith('budget_monthly_usd = "2500"')  # the key itself, not line 1
    prompt = ws / "prompts" / "search" / "answer.prompt.md"
    await wait_for(lambda: "budget-exceeded" in codes(client, prompt))  # on the prompt too
    uri = open_doc(client, manifest)
    replace_all(
        client, uri, 2, text.replace('budget_monthly_usd = "2500"', 'budget_monthly_usd = "99000"')
    )
    await wait_for(lambda: "budget-exceeded" not in codes(client, manifest))
    await wait_for(lambda: "budget-exceeded" not in codes(client, prompt))
    replace_all(client, uri, 3, text)
    await wait_for(lambda: "budget-exceeded" in codes(client, manifest))


async def test_near_budget_is_a_warning(client: Any, ws: Path) -> None:
    manifest = ws / "llm-cost.toml"
    text = manifest.read_text().replace('budget_monthly_usd = "400"', 'budget_monthly_usd = "130"')
    manifest.write_text(text)
    await client.start(ws)
    await wait_for(lambda: "budget-near" in codes(client, manifest))
    (near,) = [d for d in manifest_diagnostics(client, ws) if d.code == "budget-near"]
    assert near.severity == types.DiagnosticSeverity.Warning


async def test_toml_error_at_its_range_then_cleared(client: Any, ws: Path) -> None:
    await client.start(ws)
    manifest = ws / "llm-cost.toml"
    text = manifest.read_text()
    uri = open_doc(client, manifest)
    broken = text.replace("output_tokens = 250", "output_tokens = = 250")
    replace_all(client, uri, 2, broken)
    await wait_for(lambda: "toml-syntax" in codes(client, manifest))
    (error,) = [d for d in manifest_diagnostics(client, ws) if d.code == "toml-syntax"]
    assert broken.splitlines()[error.range.start.line].startswith("output_tokens = = 250")
    # the server still answers for prompt files while the manifest is broken
    assert await hints(client, open_doc(client, ws / "prompts/classify.prompt"))
    replace_all(client, uri, 3, text)
    await wait_for(lambda: "toml-syntax" not in codes(client, manifest))


async def test_schema_error_unknown_model_and_missing_path(client: Any, ws: Path) -> None:
    manifest = ws / "llm-cost.toml"
    text = manifest.read_text()
    text = text.replace('model = "claude-sonnet-4-6"', 'model = "claude-sonet-4-6"')
    text = text.replace('path = "src/app/summarize.prompty"', 'path = "src/app/gone.prompty"')
    text = text.replace("calls_per_month = 400_000", 'calls_per_month = "many"')
    manifest.write_text(text)
    await client.start(ws)
    await wait_for(lambda: bool(manifest_diagnostics(client, ws)))
    found = {d.code: d for d in manifest_diagnostics(client, ws)}
    assert "schema" in found, found.keys()
    lines = text.splitlines()
    assert 'calls_per_month = "many"' in lines[found["schema"].range.start.line]


async def test_unknown_model_did_you_mean(client: Any, ws: Path) -> None:
    manifest = ws / "llm-cost.toml"
    text = manifest.read_text().replace('model = "claude-sonnet-4-6"', 'model = "claude-sonet-4-6"')
    text = text.replace('path = "src/app/summarize.prompty"', 'path = "src/app/gone.prompty"')
    manifest.write_text(text)
    await client.start(ws)
    await wait_for(lambda: "unknown-model" in codes(client, manifest))
    found = {d.code: d for d in manifest_diagnostics(client, ws)}
    assert "did you mean 'claude-sonnet-4-6'" in found["unknown-model"].message
    assert "claude-sonet-4-6" in text.splitlines()[found["unknown-model"].range.start.line]
    assert "missing-path" in found
    assert "gone.prompty" in text.splitlines()[found["missing-path"].range.start.line]


async def test_prompt_file_diagnostic_published_and_cleared(client: Any, ws: Path) -> None:
    await client.start(ws)
    path = ws / "prompts/support/triage.txt"
    uri = open_doc(client, path)
    text = path.read_text()
    replace_all(client, uri, 2, text + "\nAlso consider {{unsized_thing}}.\n")
    await wait_for(lambda: "unsized-variable" in codes(client, path))
    replace_all(client, uri, 3, text)
    await wait_for(lambda: path.as_uri() in client.diagnostics and not codes(client, path))


async def test_a_refresh_resends_only_the_files_whose_findings_changed(
    client: Any, ws: Path
) -> None:
    sent: dict[str, int] = {}
    client.diagnostics = _Counting(sent)
    other = ws / "prompts/classify.prompt"  # a finding whose text does not depend on costs
    other.write_text(other.read_text() + "\nAlso weigh {{unsized_other}}.\n")
    await client.start(ws)
    await wait_for(lambda: "unsized-variable" in codes(client, other))
    path = ws / "prompts/support/triage.txt"
    uri = open_doc(client, path)
    await asyncio.sleep(0.3)  # the refresh after opening settles
    before = dict(sent)
    replace_all(client, uri, 2, path.read_text() + "\nAlso consider {{unsized_thing}}.\n")
    await wait_for(lambda: "unsized-variable" in codes(client, path))
    await asyncio.sleep(0.3)  # anything else that refresh sent has arrived
    assert sent[path.as_uri()] == before.get(path.as_uri(), 0) + 1
    assert sent[other.as_uri()] == before[other.as_uri()]  # unchanged: not sent again
    assert "unsized-variable" in codes(client, other)  # and still shown


class _Counting(dict[str, Any]):
    """The client's diagnostics store, counting what each URI was sent."""

    def __init__(self, sent: dict[str, int]) -> None:
        super().__init__()
        self.sent = sent

    def __setitem__(self, uri: str, value: Any) -> None:
        self.sent[uri] = self.sent.get(uri, 0) + 1
        super().__setitem__(uri, value)


async def test_stale_price_db_is_a_warning_never_an_error(client: Any, ws: Path) -> None:
    from llmcost_lsp.core.pricing.db import load_price_db

    old = (load_price_db().updated_at + timedelta(days=90)).isoformat()
    await client.start(ws, pricingNow=old, ci=False)
    manifest = ws / "llm-cost.toml"
    await wait_for(lambda: "pricing-stale" in codes(client, manifest))
    (stale,) = [d for d in manifest_diagnostics(client, ws) if d.code == "pricing-stale"]
    assert stale.severity == types.DiagnosticSeverity.Warning
    assert "90 days old" in stale.message
