"""The VS Code extension in a real VS Code (code-server 4.96.4 = VS Code 1.96.4) driven by headless
Chromium: the built .vsix is installed, its own tests run inside the editor against the real
llmcost-lsp, and a screenshot of a prompt file with its inlay hint is saved to test-artifacts/."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from e2e_support import (
    ARTIFACTS,
    E2E_DIR,
    EXAMPLES,
    REPO_ROOT,
    Expectations,
    cli_json,
    installed,
    isolated_env,
    monthly_by_prompt,
    server_argv,
)

from llmcost_lsp.core.numbers import usd as money

pytestmark = pytest.mark.e2e

EXTENSION = REPO_ROOT / "editors" / "vscode"
DRIVERS = E2E_DIR / "vscode"
LENS_FILE = "prompts/support/triage.txt"  # its first line is 82 characters long


def _git_repository(folder: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "e2e", "GIT_AUTHOR_EMAIL": "e2e@example.invalid"}
    env |= {"GIT_COMMITTER_NAME": "e2e", "GIT_COMMITTER_EMAIL": "e2e@example.invalid"}
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *argv], cwd=folder, env=env, check=True, capture_output=True)


def _run(cmd: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    output = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{output}"
    return proc.stdout


@dataclass(frozen=True)
class Build:
    vsix: Path
    tests: Path  # the in-editor test module, bundled


@pytest.fixture(scope="module")
def vscode_cache() -> Path:
    """Where install_editors.sh put code-server and the browser tools (skips when it has not)."""
    return installed("vscode")


@pytest.fixture(scope="module")
def build(vscode_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The .vsix, built the way a release is: `npm run package` in editors/vscode, whose
    `npm ci` install_editors.sh did. Under a lock, then copied: test runs sharing the checkout
    must not build over each other."""
    dest = tmp_path_factory.mktemp("vsix")
    with (EXTENSION.parent / ".vscode-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _run(["npm", "run", "package"], EXTENSION, 300)
        vsix = Path(shutil.copy2(EXTENSION / "llm-cost.vsix", dest))
        tests = Path(shutil.copy2(EXTENSION / "out" / "test" / "index.js", dest))
    return Build(vsix, tests)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class CodeServer:
    url: str
    workspace: Path
    extension_dir: Path
    tests: Path
    env: dict[str, str]
    node_path: str
    log: Path


def _node(
    cs: CodeServer, script: str, *args: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(DRIVERS / script), *args],
        env={**cs.env, "NODE_PATH": cs.node_path},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def code_server(
    vscode_cache: Path,
    build: Build,
    tmp_path_factory: pytest.TempPathFactory,
    expectations: Expectations,
) -> Iterator[CodeServer]:
    cache = vscode_cache
    binary = cache / "code-server" / "node_modules" / ".bin" / "code-server"
    home = tmp_path_factory.mktemp("code-server")
    workspace = home / "workspace"
    shutil.copytree(EXAMPLES, workspace)
    _git_repository(workspace)  # `llm-cost: Show cost diff` compares with its commit
    fresh = home / "fresh"  # a first run: the same prompts, no llm-cost.toml
    shutil.copytree(EXAMPLES, fresh, ignore=shutil.ignore_patterns("llm-cost.toml", "code-app"))
    (fresh / ".git").mkdir()
    monthly = monthly_by_prompt(cli_json("estimate", str(workspace)))
    expect = home / "expect.json"
    expect.write_text(
        json.dumps(
            {
                "workspace": str(workspace),
                "hintFile": expectations.hint_file,
                "hintTokens": f"{expectations.hint_tokens:,}",
                "breachScenario": expectations.breach_scenario,
                "breachFile": expectations.breach_file,
                "breachCode": expectations.breach_code,
                "lensFile": LENS_FILE,
                "lensMonthly": f"${Decimal(monthly['support/triage']):,.2f}",
                "monthly": monthly,
            }
        )
    )
    user = home / "user"
    (user / "User").mkdir(parents=True)
    argv = server_argv()
    settings = {
        "llmcost.server.python": argv[0] if argv[1:3] == ["-m", "llmcost_lsp"] else "",
        "llmcost.server.path": "" if argv[1:3] == ["-m", "llmcost_lsp"] else argv[0],
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "security.workspace.trust.enabled": False,
        "telemetry.telemetryLevel": "off",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "editor.inlayHints.enabled": "on",
    }
    (user / "User" / "settings.json").write_text(json.dumps(settings, indent=2))
    env = isolated_env(home, LLMCOST_E2E_EXPECT=str(expect), TMPDIR=str(home))
    common = ["--user-data-dir", str(user), "--extensions-dir", str(home / "ext")]
    common += ["--config", str(home / "config.yaml")]
    _run([str(binary), *common, "--install-extension", str(build.vsix)], home, 120, env)
    [extension_dir] = (home / "ext").glob("llm-cost.llm-cost-*")

    port = _free_port()
    log = home / "code-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(binary),
                *common,
                *("--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry"),
                *("--disable-update-check", "--disable-workspace-trust", str(workspace)),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: extension hosts and watchers die with it
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"code-server exited:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, f"not up:\n{log.read_text()[-3000:]}"
                time.sleep(0.3)
        tools = str(cache / "tools" / "node_modules")
        yield CodeServer(url, workspace, extension_dir, build.tests, env, tools, log)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_extensions_own_tests_pass_inside_vscode(code_server: CodeServer) -> None:
    proc = _node(
        code_server,
        "run_ext_tests.js",
        code_server.url,
        str(code_server.workspace),
        str(code_server.extension_dir),
        str(code_server.tests),
        timeout=180,
    )
    sys.stdout.write(proc.stdout)
    assert proc.returncode == 0, (
        f"{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}\ncode-server log:\n"
        f"{code_server.log.read_text()[-2000:]}"
    )
    assert "8 passed, 0 failed" in proc.stdout


def test_a_prompt_file_shows_its_cost_hint_screenshot(
    code_server: CodeServer, expectations: Expectations
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "vscode-prompt-hint.png"
    shot.unlink(missing_ok=True)
    proc = _node(
        code_server,
        "screenshot.js",
        f"{code_server.url}/?folder={code_server.workspace}",
        Path(expectations.shot_file).name,
        f"{expectations.shot_tokens:,} tok",
        str(shot),
        expectations.breach_scenario,
        timeout=120,
    )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert shot.stat().st_size > 10_000
    # What a person sees: the first line, then the hint (exact count for gpt-4o: no "≈").
    assert seen["firstLine"].startswith("---")
    assert f"{expectations.shot_tokens:,} tok · $" in seen["firstLine"]
    assert "/mo" in seen["firstLine"]
    # The status bar carries the workspace's monthly total, the CLI's figure in whole dollars.
    assert status_total(expectations.base_monthly_usd) in seen["statusBar"], seen["statusBar"]

    # The command palette: "llm-cost: Select scenario", pick the launch scenario; the total
    # becomes the CLI's total for that scenario and the Problems counter shows the breach.
    after = seen["afterScenario"]
    assert after["changed"], after
    assert status_total(expectations.breach_monthly_usd) in after["statusBar"], after
    problems = [i for i in after["statusBar"] if re.fullmatch(r"\d+\s+\d+", i)]
    assert problems and int(problems[0].split()[0]) >= 1, after["statusBar"]


def status_total(usd: str) -> str:
    """How the status bar writes a monthly total: the server's text, "$1,481.80/mo" (the
    extension formats no money of its own)."""
    return f"{money(Decimal(usd))}/mo"


def test_a_python_llm_call_shows_its_cost_at_the_call(code_server: CodeServer) -> None:
    """examples/code-app opened as its own folder: the cost of the OpenAI call in
    app/search.py appears at the end of the `create(` line, with the CLI's token count."""
    app = code_server.workspace / "code-app"
    estimate = json.loads(
        _run([*server_argv()[:1], "-m", "llmcost_lsp.cli.main", "estimate", str(app), "--format",
              "json"], app, 120, code_server.env)
    )  # fmt: skip
    tokens = next(
        int(p["estimate"]["tokens"]["input"])
        for p in estimate["prompts"]
        if p["id"] == "app/search.py::answer"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "vscode-python-call-hint.png"
    proc = _node(
        code_server,
        "code_hint.js",
        f"{code_server.url}/?folder={app}",
        "search.py",
        "client.chat.completions.create(",
        f"{tokens:,} tok · $",
        str(shot),
        timeout=150,
    )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["line"].startswith("    response = client.chat.completions.create(")
    assert seen["line"].endswith("/mo"), seen["line"]
    assert shot.stat().st_size > 10_000


def test_lens_prompt_view_and_first_run_quick_fix_as_a_person_sees_them(
    code_server: CodeServer,
) -> None:
    """Screenshots of what a person sees: the code lens above a prompt whose first line is
    long (the monthly cost is in view), the "Prompts by cost" view in the activity bar (highest
    first), and on a repository without llm-cost.toml the Ctrl+. menu offering to create it."""
    ARTIFACTS.mkdir(exist_ok=True)
    for name in ("vscode-lens.png", "vscode-prompts-view.png", "vscode-first-run-quickfix.png"):
        (ARTIFACTS / name).unlink(missing_ok=True)
    proc = _node(
        code_server,
        "features_shot.js",
        code_server.url,
        str(code_server.workspace),
        str(code_server.workspace.parent / "fresh"),
        str(ARTIFACTS),
        timeout=240,
    )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    # the lens line above line 1 starts with the monthly figure, fully visible
    assert re.match(r"^\$[\d,]+\.\d\d/mo · \$", seen["lens"]), seen["lens"]
    # the view: prompts with their monthly cost, highest first (as rendered)
    costs = [Decimal(m.replace(",", "")) for m in re.findall(r"\$([\d,]+\.\d\d)/mo", seen["view"])]
    assert len(costs) >= 4 and costs == sorted(costs, reverse=True), seen["view"]
    # a fresh repository: no error in the status bar, the quick fix is in the Ctrl+. menu
    assert "Create llm-cost.toml for this workspace" in seen["quickFixMenu"], seen["quickFixMenu"]
    for name in ("vscode-lens.png", "vscode-prompts-view.png", "vscode-first-run-quickfix.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000, name


def test_the_breakdown_panel_and_the_export_dialog_as_a_person_sees_them(
    code_server: CodeServer,
) -> None:
    """Screenshots of two panels: the code lens clicked opens the prompt's breakdown rendered
    beside the editor (a table with every figure and its source, the token parts, the CLI's
    monthly cost); "llm-cost: Export FOCUS" asks where to write with a save dialog proposing a
    file name, and writes where the person said, not into the repository."""
    ARTIFACTS.mkdir(exist_ok=True)
    names = ("vscode-breakdown.png", "vscode-export-dialog.png", "vscode-export-done.png")
    for name in names:
        (ARTIFACTS / name).unlink(missing_ok=True)
    target = code_server.workspace.parent / "exports" / "focus-december.csv"
    target.parent.mkdir(exist_ok=True)
    target.unlink(missing_ok=True)
    before = set(code_server.workspace.rglob("*.csv"))
    proc = _node(
        code_server,
        "panels_shot.js",
        code_server.url,
        str(code_server.workspace),
        str(target),
        str(ARTIFACTS),
        timeout=240,
    )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    # the breakdown, rendered (no markdown pipes on screen): each figure with its source
    monthly = money(Decimal(monthly_by_prompt(cli_json("estimate", str(code_server.workspace)))[
        "support/triage"]))  # fmt: skip
    text = seen["breakdown"]
    assert text.startswith("llm-cost · support/triage"), text[:200]
    for row in ("Model", "Input tokens", "Token parts", "Per call", "Calls per month", "Per month"):
        assert row in text, (row, text[:1500])
    assert monthly in text and "|" not in text.split("Cheaper models")[0], text[:1500]
    assert seen["lens"].startswith(f"{monthly}/mo · "), seen["lens"]
    assert any("support/triage" in tab for tab in seen["tabs"]), seen["tabs"]
    # the export asks where: a save dialog titled for it, proposing a dated CSV name
    assert "export the estimate as FOCUS CSV" in seen["dialogTitle"], seen
    assert re.search(r"llm-cost-focus-\d{4}-\d\d\.csv$", seen["dialogProposal"]), seen
    assert str(target) in seen["notification"], seen["notification"]
    header = target.read_text().splitlines()[0]
    assert "BilledCost" in header and "ChargePeriodStart" in header
    assert set(code_server.workspace.rglob("*.csv")) == before  # nothing written into the repo
    for name in names:
        assert (ARTIFACTS / name).stat().st_size > 10_000, name
