"""The Neovim plugin in a real headless Neovim 0.11 against the real llmcost-lsp: inlay hints,
a budget breach under a scenario, :LlmCostInit writing llm-cost.toml, and :checkhealth."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from e2e_support import E2E_DIR, REPO_ROOT, Expectations, installed, isolated_env, server_argv

pytestmark = pytest.mark.e2e

PLUGIN = REPO_ROOT / "editors" / "neovim"
DRIVER = E2E_DIR / "nvim" / "driver.lua"


@pytest.fixture(scope="module")
def nvim() -> Path:
    return installed("neovim") / "nvim-venv" / "bin" / "nvim"


def run_nvim(
    nvim: Path, home: Path, cwd: Path, steps: str, setup: dict[str, Any] | None = None, **env: str
) -> dict[str, dict[str, Any]]:
    """Runs the driver's `steps` in headless nvim; returns its results by step name."""
    opts = {"cmd": server_argv(), **(setup or {})}
    proc = subprocess.run(
        [str(nvim), "--headless", "--clean", "-u", str(DRIVER)],
        cwd=cwd,
        env=isolated_env(
            home,
            LLMCOST_PLUGIN=str(PLUGIN),
            LLMCOST_SETUP=json.dumps(opts),
            E2E_STEPS=steps,
            **env,
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("E2E "):
            result = json.loads(line[4:])
            results[result["step"]] = result
    failed = [r for r in results.values() if not r["ok"]]
    assert proc.returncode == 0 and not failed, (
        f"nvim exit {proc.returncode}: {failed}\nstdout:\n{proc.stdout[-3000:]}\n"
        f"stderr:\n{proc.stderr[-3000:]}"
    )
    return results


def test_hints_and_budget_breach_in_the_example_workspace(
    nvim: Path, tmp_path: Path, example_workspace: Path, expectations: Expectations
) -> None:
    results = run_nvim(
        nvim,
        tmp_path / "home",
        example_workspace,
        "hints,breach,switch,check,unrelated,health",
        E2E_HINT_FILE=str(example_workspace / expectations.hint_file),
        E2E_BREACH_FILE=str(example_workspace / expectations.breach_file),
        E2E_BREACH_CODE=expectations.breach_code,
        E2E_SCENARIO=expectations.breach_scenario,
        E2E_UNRELATED_FILE=str(example_workspace / "fixtures" / "ticket_history.txt"),
    )
    hints = results["hints"]
    assert hints["enabled"], "setup() turns inlay hints on for llm-cost buffers"
    assert Path(hints["root"]) == example_workspace
    [hint] = hints["hints"]
    # At the end of the first line, with the CLI's token count for the same prompt.
    assert (hint["line"], hint["character"]) == (0, hints["first_line_length"])
    assert f"{expectations.hint_tokens:,} tok" in hint["label"]
    assert "/call" in hint["label"] and "/mo" in hint["label"]

    breach = results["breach"]
    assert breach["before"] == [], "no breach in the base case"
    assert breach["after"][0]["severity"] == breach["error_severity"]
    assert "over budget" in breach["after"][0]["message"]

    # :LlmCostSwitchModel offers the server's quick fixes; applying one ends the breach.
    switch = results["switch"]
    assert all(t.startswith("Switch 'search/answer' to ") for t in switch["titles"]), switch
    chosen = switch["titles"][0].split(" to ", 1)[1].split(" ")[0]
    assert f'model = "{chosen}"' in "\n".join(switch["lines"])

    # llmcost.check's total, as :LlmCostCheck reports it (still the launch scenario).
    check = results["check"]
    assert check["summary"].endswith("/mo (scenario launch)"), check["summary"]

    # A text file outside prompts/ is not a prompt: no client attaches to it.
    assert results["unrelated"] == {**results["unrelated"], "attached": 0, "filetype": "text"}

    health = "\n".join(results["health"]["lines"])
    assert "server found" in health and "llmcost-lsp" in health, health


def test_the_vim_lsp_start_fallback_attaches_and_shows_hints(
    nvim: Path, tmp_path: Path, example_workspace: Path, expectations: Expectations
) -> None:
    """The path Neovim 0.10 takes (no vim.lsp.config), forced on 0.11: same hints."""
    results = run_nvim(
        nvim,
        tmp_path / "home",
        example_workspace,
        "hints",
        setup={"use_lsp_enable": False},
        E2E_HINT_FILE=str(example_workspace / expectations.hint_file),
    )
    [hint] = results["hints"]["hints"]
    assert f"{expectations.hint_tokens:,} tok" in hint["label"]
    assert Path(results["hints"]["root"]) == example_workspace


def test_llmcostinit_writes_a_manifest_for_a_workspace_without_one(
    nvim: Path, tmp_path: Path, example_workspace: Path
) -> None:
    from llmcost_lsp.core.manifest import parse_manifest

    manifest = example_workspace / "llm-cost.toml"
    manifest.unlink()
    (example_workspace / ".git").mkdir()  # the workspace root, as in a real repository
    prompt = example_workspace / "prompts" / "classify.prompt"
    run_nvim(
        nvim,
        tmp_path / "home",
        example_workspace,
        "init",
        E2E_INIT_FILE=str(prompt),
        E2E_INIT_MANIFEST=str(manifest),
    )
    text = manifest.read_text(encoding="utf-8")
    parse_manifest(text, str(manifest))  # valid: raises with located errors otherwise
    assert "prompts/classify.prompt" in text, text


def test_checkhealth_says_how_to_fix_a_missing_server(nvim: Path, tmp_path: Path) -> None:
    results = run_nvim(
        nvim,
        tmp_path / "home",
        tmp_path,
        "health",
        setup={"cmd": [str(tmp_path / "no-such-llmcost-lsp")]},
    )
    health = "\n".join(results["health"]["lines"])
    assert "llmcost-lsp not found" in health
    assert "pip install llm-cost" in health


def test_a_python_llm_call_shows_its_cost_at_the_call(
    nvim: Path, tmp_path: Path, example_workspace: Path
) -> None:
    app = example_workspace / "code-app"
    results = run_nvim(
        nvim, tmp_path / "home", app, "code", E2E_CODE_FILE=str(app / "app" / "search.py")
    )
    code = results["code"]
    assert Path(code["root"]) == app and code["filetype"] == "python"
    [hint] = code["hints"]
    assert code["lines"] == ["    response = client.chat.completions.create("]
    assert " tok · $" in hint["label"] and hint["label"].endswith("/mo")
    # editing the model literal reprices the call; gpt-4o costs more than gpt-4o-mini
    assert code["changed"], code
    assert code["after_edit"][0]["label"] != hint["label"]
    # the plugin left the buffer's inlay hints (every server's) as the user had them: off
    assert code["inlay_hints_enabled"] is False


def test_vim_lsp_enable_alone_starts_the_server_and_help_needs_no_helptags(
    nvim: Path, tmp_path: Path, example_workspace: Path, expectations: Expectations
) -> None:
    """No setup(): the plugin on 'runtimepath' and `vim.lsp.enable("llmcost")` (the plugin's
    lsp/llmcost.lua) give the hints; `:help llmcost` opens from the shipped doc/tags."""
    results = run_nvim(
        nvim,
        tmp_path / "home",
        example_workspace,
        "hints,help",
        E2E_NO_SETUP="1",
        E2E_HINT_FILE=str(example_workspace / expectations.hint_file),
        VIRTUAL_ENV=sys.prefix,  # where the plugin looks for python -m llmcost_lsp
    )
    [hint] = results["hints"]["hints"]
    assert f"{expectations.hint_tokens:,} tok" in hint["label"]
    help_ = results["help"]
    assert help_["plugin_loaded"] and help_["opened"] == "llmcost.txt", help_
    assert ":LlmCostBreakdown" in help_["completion"], help_


def test_the_shipped_help_tags_are_current(nvim: Path, tmp_path: Path) -> None:
    doc = tmp_path / "doc"
    shutil.copytree(PLUGIN / "doc", doc)
    (doc / "tags").unlink()
    subprocess.run(
        [str(nvim), "--headless", "--clean", "-c", f"helptags {doc}", "-c", "qa!"],
        env=isolated_env(tmp_path / "home"),
        capture_output=True,
        timeout=60,
        check=True,
    )
    shipped = (PLUGIN / "doc" / "tags").read_text()
    assert shipped == (doc / "tags").read_text(), "run :helptags editors/neovim/doc and commit"


def test_code_lens_breakdown_prompt_list_and_statusline(
    nvim: Path, tmp_path: Path, example_workspace: Path
) -> None:
    """A prompt whose first line is long (support/triage.txt, 82 characters): the lens puts the
    monthly cost first, its breakdown opens; every prompt listed by monthly cost, the CLI's
    figures; the statusline has the total."""
    from e2e_support import cli_json, monthly_by_prompt

    triage = example_workspace / "prompts" / "support" / "triage.txt"
    results = run_nvim(
        nvim,
        tmp_path / "home",
        example_workspace,
        "lens,prompts",
        setup={"codelens": True},
        E2E_LENS_FILE=str(triage),
    )
    lens = results["lens"]
    assert lens["first_line_length"] > 80
    [first] = [item for item in lens["lenses"] if item["line"] == 0]
    cli = monthly_by_prompt(cli_json("estimate", str(example_workspace)))
    monthly = Decimal(cli["support/triage"])
    assert first["title"].startswith(f"${monthly:,.2f}/mo · $"), first
    assert first["command"] == "llm-cost.showPromptBreakdown"
    assert lens["breakdown"].startswith("**llm-cost · support/triage**")

    prompts = results["prompts"]
    rows = prompts["result"]["folders"][0]["prompts"]
    costs = [Decimal(r["monthlyUsd"]) for r in rows if r["monthlyUsd"] is not None]
    assert costs == sorted(costs, reverse=True) and len(costs) >= 4
    assert {r["id"]: Decimal(r["monthlyUsd"]) for r in rows if r["monthlyUsd"]} == {
        k: Decimal(v) for k, v in cli.items()
    }
    assert prompts["items"][0].startswith(rows[0]["id"] + ": $")
    total = Decimal(prompts["result"]["folders"][0]["monthlyUsd"])
    assert prompts["status"].startswith(f"llm-cost ${total:,.2f}/mo"), prompts["status"]


def test_a_fresh_repository_offers_create_manifest_as_the_quick_fix(
    nvim: Path, tmp_path: Path, example_workspace: Path
) -> None:
    """No llm-cost.toml: the prompt's findings are folded into one note plus hints, and the
    quick fix at the cursor (what vim.lsp.buf.code_action asks for) creates the manifest."""
    (example_workspace / "llm-cost.toml").unlink()
    shutil.rmtree(example_workspace / "code-app")
    (example_workspace / ".git").mkdir()
    prompt = example_workspace / "prompts" / "classify.prompt"
    results = run_nvim(
        nvim, tmp_path / "home", example_workspace, "quickfix", E2E_INIT_FILE=str(prompt)
    )
    found = results["quickfix"]
    assert [a["title"] for a in found["actions"]] == [
        "Create llm-cost.toml for this workspace (llm-cost init)"
    ]
    assert found["actions"][0]["kind"] == "quickfix" and found["actions"][0]["isPreferred"]
    severities = {d["code"]: d["severity"] for d in found["diagnostics"]}
    assert severities.get("no-manifest") == 3, found["diagnostics"]  # INFO: the one summary
    assert all(s >= 3 for s in severities.values()), found["diagnostics"]  # no error, no warning
