"""The action's comment script against a fake GitHub API on 127.0.0.1, fed a recorded
`pull_request` event: one sticky comment created then updated, fork PRs and a missing token
skipped without a call, API errors reported with the fix, the token never sent elsewhere."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub, fake_github

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "action" / "pr_comment.py"
EVENT = Path(__file__).parent / "fixtures" / "pull_request_event.json"
MARKER = "<!-- llm-cost-diff -->"
TOKEN = "ghs_testtoken0123456789"


@pytest.fixture
def api() -> Iterator[FakeGitHub]:
    with fake_github() as state:
        yield state


def run_script(
    tmp_path: Path,
    api: FakeGitHub,
    body: str,
    *,
    event: dict[str, Any] | None = None,
    token: str | None = TOKEN,
) -> subprocess.CompletedProcess[str]:
    body_file = tmp_path / "body.md"
    body_file.write_text(body, encoding="utf-8")
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event or json.loads(EVENT.read_text())), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env |= {"GITHUB_API_URL": api.url, "GITHUB_EVENT_PATH": str(event_file)}
    if token is not None:
        env["GITHUB_TOKEN"] = token
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--body-file", str(body_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_creates_then_updates_one_comment(tmp_path: Path, api: FakeGitHub) -> None:
    api.add_comment(42, "LGTM")
    first = run_script(tmp_path, api, f"{MARKER}\n### LLM cost: +$41.20/month (+7.5%)\n")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "created the cost comment on PR #42" in first.stdout
    second = run_script(tmp_path, api, f"{MARKER}\n### LLM cost: +$3.00/month (+0.5%)\n")
    assert second.returncode == 0, second.stdout
    assert "updated the cost comment on PR #42" in second.stdout
    ours = [c for c in api.comments[42] if MARKER in c["body"]]
    assert len(ours) == 1 and "+$3.00/month" in ours[0]["body"]
    assert [(r.method, r.path) for r in api.requests] == [
        ("GET", "/repos/acme/support-bot/issues/42/comments"),
        ("POST", "/repos/acme/support-bot/issues/42/comments"),
        ("GET", "/repos/acme/support-bot/issues/42/comments"),
        ("PATCH", f"/repos/acme/support-bot/issues/comments/{ours[0]['id']}"),
    ]
    assert all(r.authorization == f"Bearer {TOKEN}" for r in api.requests)


def test_finds_the_marker_on_a_later_page(tmp_path: Path, api: FakeGitHub) -> None:
    for i in range(130):
        api.add_comment(42, f"comment {i}")
    ours = api.add_comment(42, f"{MARKER}\nold", login="github-actions[bot]")
    for i in range(40):
        api.add_comment(42, f"later {i}")
    done = run_script(tmp_path, api, f"{MARKER}\nnew")
    assert done.returncode == 0, done.stdout
    assert ours["body"] == f"{MARKER}\nnew"
    assert len(api.comments[42]) == 171
    assert [r.method for r in api.requests] == ["GET", "GET", "PATCH"]


def test_a_body_without_the_marker_gets_it(tmp_path: Path, api: FakeGitHub) -> None:
    assert run_script(tmp_path, api, "### LLM cost: no change\n").returncode == 0
    assert api.comments[42][0]["body"].startswith(MARKER)


def test_fork_pr_is_skipped_with_a_notice_and_no_call(tmp_path: Path, api: FakeGitHub) -> None:
    event = json.loads(EVENT.read_text())
    fork = copy.deepcopy(event)
    fork["pull_request"]["head"]["repo"]["full_name"] = "mallory/support-bot"
    fork["pull_request"]["head"]["repo"]["fork"] = True
    done = run_script(tmp_path, api, MARKER, event=fork)
    assert done.returncode == 0
    assert done.stdout.startswith("::notice title=llm-cost comment::PR #42 comes from a fork")
    deleted = copy.deepcopy(event)
    deleted["pull_request"]["head"]["repo"] = None
    assert "comes from a fork" in run_script(tmp_path, api, MARKER, event=deleted).stdout
    assert api.requests == []


def test_missing_token_skips_with_a_warning(tmp_path: Path, api: FakeGitHub) -> None:
    for token in (None, ""):
        done = run_script(tmp_path, api, MARKER, token=token)
        assert done.returncode == 0
        assert done.stdout.startswith("::warning title=llm-cost comment::no GitHub token")
        assert "pull-requests: write" in done.stdout
    assert api.requests == []


@pytest.mark.parametrize(
    ("method", "status", "message", "fix"),
    [
        ("POST", 403, "Resource not accessible by integration", "pull-requests: write"),
        ("GET", 500, "Server Error", "GitHub is unavailable"),
        ("POST", 422, "Body is too long", "rejected the comment body"),
    ],
)
def test_api_errors_are_reported_with_the_fix(
    tmp_path: Path, api: FakeGitHub, method: str, status: int, message: str, fix: str
) -> None:
    api.fail[method] = (status, message)
    done = run_script(tmp_path, api, MARKER)
    assert done.returncode == 1
    assert done.stdout.startswith("::error title=llm-cost comment::")
    assert f"HTTP {status}: {message}" in done.stdout and fix in done.stdout
    assert TOKEN not in done.stdout + done.stderr


def test_unreachable_api_is_an_error_not_a_hang(tmp_path: Path, api: FakeGitHub) -> None:
    api.url = "http://127.0.0.1:9"  # discard port: connection refused
    done = run_script(tmp_path, api, MARKER)
    assert done.returncode == 1
    assert "cannot reach the API" in done.stdout


def test_a_next_link_to_another_host_is_not_followed(tmp_path: Path, api: FakeGitHub) -> None:
    for i in range(120):
        api.add_comment(42, f"comment {i}")
    api.next_link_host = "http://127.0.0.2:1"
    done = run_script(tmp_path, api, MARKER)
    assert done.returncode == 1
    assert "refusing to follow a link away from" in done.stdout
    assert len(api.requests) == 1  # nothing was sent to the other host


def test_not_a_pull_request_event(tmp_path: Path, api: FakeGitHub) -> None:
    push = {"ref": "refs/heads/main", "before": "0" * 40, "after": "1" * 40}
    done = run_script(tmp_path, api, MARKER, event=push)
    assert done.returncode == 0 and "not a pull request event" in done.stdout
    assert api.requests == []


def test_an_oversized_body_is_cut_to_fit(tmp_path: Path, api: FakeGitHub) -> None:
    body = MARKER + "\n<details>\n" + "| `p` | x |\n" * 20_000
    assert run_script(tmp_path, api, body).returncode == 0
    posted = api.comments[42][0]["body"]
    assert len(posted) <= 65_000
    assert "truncated" in posted and posted.endswith("</details>")
