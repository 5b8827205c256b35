"""action.yml run step by step as a runner would: a shallow clone of a PR head, the base fetched
by the action, diff and check, the sticky comment on a fake API, and the verdict failing the
job on a breach. Only `uses:` steps (setup-python) and the pip install are left to GitHub."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_github import FakeGitHub, fake_github

from llmcost_lsp.core.diff.caches import RESULTS_SCHEMA_VERSION

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core" / "diff"))
from diff_gitrepo import BASE_FILES, HEAD_FILES, GitRepoBuilder

REPO = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
EVENT = Path(__file__).parent / "fixtures" / "pull_request_event.json"
_EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")
INSTALLED = shutil.which("llm-cost") is not None


def test_action_is_composite_with_the_documented_inputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) >= {
        "version", "path", "scenario", "fail-on-increase", "comment", "github-token"
    }  # fmt: skip
    for step in ACTION["runs"]["steps"]:
        # inputs reach scripts through env, never pasted into the script (no injection)
        assert "${{" not in step.get("run", ""), step.get("name")
        if "run" in step:
            assert step["shell"] == "bash"


def _lookup(context: dict[str, Any], expression: str) -> str:
    value: Any = context
    for key in expression.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def _outputs(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        key, _, value = line.partition("=")
        found[key] = value
    return found


def run_action(
    workdir: Path, api: FakeGitHub, event: dict[str, Any], inputs: dict[str, str], runner: Path
) -> tuple[int, str, dict[str, Any]]:
    """Run each `run:` step in order with its env evaluated; returns (code, log, context)."""
    event_file = runner / "event.json"
    event_file.write_text(json.dumps(event))
    defaults = {
        name: spec.get("default", "")
        for name, spec in ACTION["inputs"].items()
        if "${{" not in str(spec.get("default", ""))
    }
    context: dict[str, Any] = {
        "inputs": defaults | {"github-token": "ghs_token"} | inputs,
        "github": {"action_path": str(REPO), "event": event, "event_name": "pull_request"},
        "steps": {},
    }
    log = []
    job_env: dict[str, str] = {}  # what steps wrote to $GITHUB_ENV, for the steps after them
    for step in ACTION["runs"]["steps"]:
        if "run" not in step or step.get("name") == "Install llm-cost":
            continue
        condition = step.get("if")
        if condition is not None:
            assert "(inputs.comment == 'on' || inputs.comment == 'changed') && " in condition
            comment = context["inputs"]["comment"]
            if not (comment in ("on", "changed") and event.get("pull_request")):
                continue
            when = "inputs.comment == 'changed' && steps.diff.outputs.changed == 'false'"
            assert step["env"]["UPDATE_ONLY"] == "${{ " + when + " }}"
            skip = (
                comment == "changed" and context["steps"]["diff"]["outputs"]["changed"] == "false"
            )
            step = {**step, "env": {**step["env"], "UPDATE_ONLY": str(skip).lower()}}
        output = runner / f"output-{step['id']}"
        env_file = runner / f"env-{step['id']}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")} | job_env
        env |= {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_ENV": str(env_file),
            "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
            "GITHUB_EVENT_PATH": str(event_file),
            "GITHUB_API_URL": api.url,
            "RUNNER_TEMP": str(runner),
        }
        for key, value in (step.get("env") or {}).items():
            env[key] = _EXPR.sub(lambda m: _lookup(context, m.group(1)), str(value))
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        log.append(f"== {step['name']}\n{done.stdout}{done.stderr}")
        context["steps"][step["id"]] = {"outputs": _outputs(output)}
        job_env |= _outputs(env_file)
        if done.returncode != 0:
            return done.returncode, "\n".join(log), context
    return 0, "\n".join(log), context


@pytest.fixture
def pr_clone(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """The origin has base and head commits; the job's checkout is the head at depth 1."""
    origin = GitRepoBuilder(tmp_path / "origin")
    base = origin.commit(BASE_FILES, "base")
    head = origin.commit(HEAD_FILES, "head")
    clone = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{origin.root}", str(clone)],
                   check=True, env=origin.env())  # fmt: skip
    event = json.loads(EVENT.read_text())
    event["pull_request"]["base"]["sha"] = base
    event["pull_request"]["head"]["sha"] = head
    return clone, event


@pytest.mark.skipif(not INSTALLED, reason="llm-cost is not on PATH")
def test_budget_breach_comments_and_fails_the_job(
    tmp_path: Path, pr_clone: tuple[Path, dict[str, Any]]
) -> None:
    clone, event = pr_clone
    runner = tmp_path / "runner"
    runner.mkdir()
    with fake_github() as api:
        code, log, context = run_action(clone, api, event, {}, runner)
        assert code == 1, log
        assert "fetching base" in log  # the shallow clone did not have it
        assert "::error file=llm-cost.toml" in log  # check's annotation of the breach
        assert "::error title=llm-cost::budget, policy or --fail-on-increase breached" in log
        assert [r.method for r in api.requests] == ["GET", "POST"]
        comment = api.comments[42][0]["body"]
        assert comment.startswith("<!-- llm-cost-diff -->\n### ❌ LLM cost: +$")
        assert "#### Budgets crossed" in comment
        assert comment.strip() in (runner / "summary.md").read_text()  # the job summary
        assert context["steps"]["verdict"]["outputs"]["exit-code"] == "1"

        # the next push: the same comment is updated, not a second one added
        code, log, _ = run_action(clone, api, event, {"comment": "on"}, runner)
        assert [r.method for r in api.requests][-2:] == ["GET", "PATCH"]
        assert len(api.comments[42]) == 1


@pytest.mark.skipif(not INSTALLED, reason="llm-cost is not on PATH")
def test_fail_on_increase_alone_fails_and_comment_off_calls_nothing(
    tmp_path: Path, pr_clone: tuple[Path, dict[str, Any]]
) -> None:
    clone, event = pr_clone
    (clone / "llm-cost.toml").write_text(
        (clone / "llm-cost.toml").read_text().replace('budget_monthly_usd = "300"', "")
    )
    runner = tmp_path / "runner"
    runner.mkdir()
    with fake_github() as api:
        inputs = {"comment": "off", "fail-on-increase": "10%"}
        code, log, context = run_action(clone, api, event, inputs, runner)
        assert code == 1, log
        assert context["steps"]["diff"]["outputs"]["exit-code"] == "1"
        assert context["steps"]["check"]["outputs"]["exit-code"] == "0"
        assert api.requests == []
        code, log, _ = run_action(clone, api, event, {"comment": "off"}, runner)
        assert code == 0, log


def test_push_event_without_base_input_is_explained(tmp_path: Path) -> None:
    runner = tmp_path / "runner"
    runner.mkdir()
    GitRepoBuilder(tmp_path / "repo").commit({"prompts/a.txt": "a\n"})
    with fake_github() as api:
        code, log, _ = run_action(tmp_path / "repo", api, {"ref": "refs/heads/main"}, {}, runner)
    assert code == 2
    assert "no base commit: this is not a pull_request event" in log


@pytest.mark.skipif(not INSTALLED, reason="llm-cost is not on PATH")
def test_the_cache_folder_is_the_one_actions_cache_keeps(
    tmp_path: Path, pr_clone: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LLMCOST_CACHE_DIR")  # the job sets none: the action picks the folder
    steps = ACTION["runs"]["steps"]
    uses = {s["uses"].partition("@")[0]: s for s in steps if "uses" in s}
    restore, save = uses["actions/cache/restore"], uses["actions/cache/save"]
    assert restore["with"]["path"] == save["with"]["path"] == "${{ steps.cache-dir.outputs.path }}"
    assert restore["with"]["key"] == save["with"]["key"]
    assert restore["if"] == "${{ inputs.cache == 'on' }}"
    assert save["if"] == "${{ always() && inputs.cache == 'on' }}"  # a failed job keeps it too
    # restored before the diff, saved after diff and check
    order = [s.get("id") or s.get("uses") for s in steps]
    assert order.index(restore["uses"]) < order.index("diff") < order.index("check")
    assert order.index("check") < order.index(save["uses"]) < order.index("verdict")
    clone, event = pr_clone
    runner = tmp_path / "runner"
    runner.mkdir()
    with fake_github() as api:
        code, log, context = run_action(clone, api, event, {"comment": "off"}, runner)
    assert code == 1, log  # the fixture's budget breach
    folder = Path(context["steps"]["cache-dir"]["outputs"]["path"])
    assert folder == runner / "llm-cost-cache"
    # diff and check ran with it: token counts and the diff's per-prompt results are in it
    assert (folder / "results" / f"summaries-v{RESULTS_SCHEMA_VERSION}.sqlite3").is_file()
    assert any((folder / "tokens").iterdir())


@pytest.mark.skipif(not INSTALLED, reason="llm-cost is not on PATH")
def test_comment_changed_skips_a_pull_request_that_changes_no_cost(tmp_path: Path) -> None:
    """`comment: changed`: no comment on a PR whose prompts cost the same; a comment made
    before (an earlier push changed a prompt) is still updated, so it never goes stale."""
    origin = GitRepoBuilder(tmp_path / "origin")
    base = origin.commit(BASE_FILES, "base")
    head = origin.commit({"README.md": "docs only\n"}, "docs")
    clone = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{origin.root}", str(clone)],
                   check=True, env=origin.env())  # fmt: skip
    event = json.loads(EVENT.read_text())
    event["pull_request"]["base"]["sha"], event["pull_request"]["head"]["sha"] = base, head
    runner = tmp_path / "runner"
    runner.mkdir()
    with fake_github() as api:
        _, log, context = run_action(clone, api, event, {"comment": "changed"}, runner)
        assert context["steps"]["diff"]["outputs"]["changed"] == "false", log
        assert [r.method for r in api.requests] == ["GET"] and 42 not in api.comments
        assert "no prompt changed cost: no comment" in log
        api.add_comment(42, "<!-- llm-cost-diff -->\nold numbers", login="github-actions[bot]")
        run_action(clone, api, event, {"comment": "changed"}, runner)
        assert [r.method for r in api.requests][-2:] == ["GET", "PATCH"]
        assert "no change" in api.comments[42][0]["body"]
