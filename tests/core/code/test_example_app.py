"""examples/code-app: a small bookshop app whose prompts live in Python and TypeScript."""

from __future__ import annotations

from pathlib import Path

from llmcost_lsp.core.workspace import Workspace

APP = Path(__file__).resolve().parents[3] / "examples" / "code-app"


def test_every_call_style_of_the_example_app_is_found_and_priced() -> None:
    workspace = Workspace(APP, use_persistent_cache=False)
    workspace.load()
    report = workspace.report()
    apis = {r.prompt_id: r.parsed.description for r in report.results}
    assert apis == {
        "app/extract.py::extract_order": "google genai generate_content call",
        "app/fallback.py::gift_note": "litellm completion call",
        "app/reviews.py::digest": "langchain invoke call",
        "app/search.py::answer": "openai chat.completions call",
        "app/support.py::Triage.route": "anthropic messages call",
        "triage": None,  # app/prompts/triage.txt, sent by Triage.route
        "web/src/answer.ts::POST": "ai sdk streamText call",
        "web/src/moderate.ts::moderate": "openai chat.completions call",
    }
    assert not report.incomplete
    assert [i for r in report.results for i in r.issues if i.severity != "info"] == []
    triage = workspace.result("triage").estimate
    assert triage is not None and triage.model.value == "claude-haiku-4-5"


def test_the_main_examples_workspace_does_not_include_the_app() -> None:
    workspace = Workspace(APP.parent, use_persistent_cache=False)
    workspace.load()
    assert len(workspace.prompts) == 5


def test_export_focus_and_calibrate_see_the_calls(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    app = Path(shutil.copytree(APP, tmp_path / "app"))
    focus = tmp_path / "focus.csv"

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "llmcost_lsp.cli.main", *args, "--allow-stale", str(app)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    assert "16 rows (8 prompts" in cli("export", "focus", "--period", "2026-11", "-o", str(focus))
    rows = focus.read_text().splitlines()
    assert sum("app/search.py::answer" in row for row in rows) == 2  # input and output
    table = cli("calibrate", "--actuals", str(focus))
    line = next(row for row in table.splitlines() if row.startswith("app/search.py::answer"))
    assert line.split()[-2:] == ["120,000", "0.0%"]
