"""The HTML report (`llm-cost report`) opened in a real headless Chromium: it renders every chart
with its bars, and the page makes no request but its own file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from e2e_support import ARTIFACTS, EXAMPLES, installed

DRIVER = Path(__file__).resolve().parent / "report" / "open_report.js"


def test_the_report_renders_in_chromium_and_loads_nothing(tmp_path: Path) -> None:
    cache = installed("vscode")  # headless Chromium and playwright-core live there
    page = tmp_path / "report.html"
    made = subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", "report", str(EXAMPLES), "-s", "launch",
         "-o", str(page)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-html.png"
    shot.unlink(missing_ok=True)
    done = subprocess.run(
        ["node", str(DRIVER), str(page), str(shot)],
        env={"PATH": "/usr/bin:/bin", "NODE_PATH": str(cache / "tools" / "node_modules")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["requests"] == [page.as_uri()]  # the page itself, nothing else
    assert seen["errors"] == []
    assert seen["sections"][:2] == ["Cost by prompt", "Cost by model"]
    assert len(seen["charts"]) == 6 and all(c["w"] > 300 and c["h"] > 20 for c in seen["charts"])
    bars = seen["bars"][:5]  # cost by prompt: the most expensive prompt has the longest bar
    assert bars == sorted(bars, reverse=True) and bars[0] > 5 * bars[-1] > 0
    assert "budget over" in seen["budgets"]
    assert shot.stat().st_size > 20_000
