"""A prompt that names no model is priced as the documented default, labelled as assumed in the
table, JSON, hover and hint, with the one manifest line that fixes it; `init` writes
`[defaults] model` from the models the repository's prompt files name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main
from llmcost_lsp.core.estimate import ASSUMED_MODEL
from llmcost_lsp.core.init import plan_init
from llmcost_lsp.core.workspace import Workspace
from llmcost_lsp.present.breakdown import breakdown_markdown
from llmcost_lsp.server.config import HintSettings
from llmcost_lsp.server.features.inlay_hints import hint_label


def folder(tmp_path: Path) -> Path:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts/a.txt").write_text("Say hi to the user.\n")
    (tmp_path / "llm-cost.toml").write_text(
        "[defaults]\ncalls_per_month = 1000\noutput_tokens = 10\n"
    )
    return tmp_path


def test_no_model_is_priced_as_the_assumed_default_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = folder(tmp_path)
    assert main(["estimate", str(root), "--allow-stale"]) == 0
    table = capsys.readouterr().out
    assert f"{ASSUMED_MODEL} (assumed)" in table and "$" in table.splitlines()[2]
    assert 'name yours with `model = "<model>"` under [defaults]' in table
    assert main(["estimate", str(root), "--allow-stale", "--format", "json"]) == 0
    model = json.loads(capsys.readouterr().out)["prompts"][0]["estimate"]["model"]
    assert model["assumed"] is True and model["id"] == ASSUMED_MODEL
    workspace = Workspace(root, use_persistent_cache=False)
    workspace.load()
    result = workspace.report().results[0]
    assert result.estimate is not None and result.estimate.monthly_usd is not None
    assert f"`{ASSUMED_MODEL}` (assumed)" in breakdown_markdown(result)
    assert hint_label(result.estimate, HintSettings()).endswith(f"· assumed {ASSUMED_MODEL}")
    (issue,) = [i for i in result.issues if i.code == "no-model"]
    assert issue.severity == "warning" and '`model = "<model>"` under [defaults]' in (
        issue.hint or ""
    )


def test_a_named_model_is_not_assumed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = folder(tmp_path)
    (root / "llm-cost.toml").write_text(
        '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1000\noutput_tokens = 10\n'
    )
    assert main(["estimate", str(root), "--allow-stale"]) == 0
    assert "(assumed)" not in capsys.readouterr().out


def test_init_writes_the_model_the_prompt_files_name_most(tmp_path: Path) -> None:
    for name, model in (("a", "gpt-4o"), ("b", "gpt-4o"), ("c", "claude-sonnet-4-6")):
        (tmp_path / f"{name}.prompt.yml").write_text(
            f"model: {model}\nmessages:\n  - role: user\n    content: Hello {name}.\n"
        )
    (tmp_path / "d.prompt.yml").write_text("messages:\n  - role: user\n    content: No model.\n")
    text = plan_init(tmp_path).new_text
    assert '\nmodel = "gpt-4o"' in text.split("[defaults]", 1)[1].split("[", 1)[0]
    assert "named by 2 of the prompt files here" in text


def test_init_without_named_models_leaves_the_default_commented(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts/a.txt").write_text("Say hi.\n")
    text = plan_init(tmp_path).new_text
    assert f'# model = "{ASSUMED_MODEL}"' in text
