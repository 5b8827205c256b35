"""Alerts delivered to a real HTTP server on 127.0.0.1: signed and verified by the receiver,
retried with back-off (the sleeper is injected: no test waits), never following a redirect,
and sent once per destination however often `llm-cost actuals alerts` runs (SQLite and a real
PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clock import suite_now
from llmcost_lsp.cli.alerts import Destination, deliver
from llmcost_lsp.cli.main import main
from llmcost_lsp.core.ledger.alerts import AlertRules, budget_alerts
from llmcost_lsp.core.ledger.api import make_recorder
from llmcost_lsp.core.ledger.metrics import budget_scopes
from llmcost_lsp.core.manifest import load_manifest
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.integrations.webhook import post_json

from .webhook_server import Hook, serve

NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)


@pytest.fixture()
def hook() -> Iterator[Hook]:
    yield from serve(Hook())


@pytest.fixture()
def other() -> Iterator[Hook]:
    yield from serve(Hook())


class Sleeper:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def post(hook: Hook, sleeper: Sleeper, **options: object) -> object:
    return post_json(hook.url(), {"text": "budget 80%"}, now=lambda: NOW, sleep=sleeper, **options)  # type: ignore[arg-type]


def test_the_receiver_verifies_the_signature(hook: Hook) -> None:
    hook.secret = b"s3cret"
    sleeper = Sleeper()
    delivery = post_json(hook.url(), {"text": "hi"}, now=lambda: NOW, sleep=sleeper,
                         secret=b"s3cret")  # fmt: skip
    assert delivery.ok and delivery.attempts == 1
    (got,) = hook.received
    assert got.signature_ok is True
    assert got.headers["x-llmcost-timestamp"] == str(int(NOW.timestamp()))
    assert got.json() == {"text": "hi"}
    # signed with another secret: the receiver refuses it, and a 401 is not retried
    wrong = post_json(hook.url(), {"text": "hi"}, now=lambda: NOW, sleep=sleeper,
                      secret=b"guess")  # fmt: skip
    assert not wrong.ok and wrong.status == 401 and wrong.attempts == 1
    assert hook.received[-1].signature_ok is False and sleeper.waits == []


def test_a_500_is_retried_with_backoff(hook: Hook) -> None:
    hook.answer(500, 502)
    sleeper = Sleeper()
    delivery = post_json(hook.url(), {"n": 1}, now=lambda: NOW, sleep=sleeper, retries=3)
    assert delivery.ok and delivery.attempts == 3 and delivery.status == 200
    assert sleeper.waits == [1.0, 2.0]
    assert len(hook.received) == 3
    # a server that asks for a pause gets it
    hook.answer((503, {"Retry-After": "7"}))
    sleeper = Sleeper()
    assert post_json(hook.url(), {"n": 2}, now=lambda: NOW, sleep=sleeper).ok
    assert sleeper.waits == [7.0]


def test_a_500_that_lasts_fails_after_the_retries(hook: Hook) -> None:
    hook.answer(500, 500, 500)
    sleeper = Sleeper()
    delivery = post_json(hook.url(), {"n": 1}, now=lambda: NOW, sleep=sleeper, retries=2)
    assert not delivery.ok and delivery.attempts == 3 and delivery.status == 500
    assert delivery.error == "HTTP 500 Internal Server Error"
    assert sleeper.waits == [1.0, 2.0] and delivery.waited_s == 3.0
    # a request the server rejects as wrong is not sent again
    hook.answer(400)
    rejected = post_json(hook.url(), {"n": 2}, now=lambda: NOW, sleep=sleeper, retries=2)
    assert not rejected.ok and rejected.attempts == 1


def test_a_webhook_that_times_out_is_retried_then_given_up(hook: Hook) -> None:
    hook.answer("hang", "hang", "hang")
    sleeper = Sleeper()
    delivery = post_json(hook.url(), {"n": 1}, now=lambda: NOW, sleep=sleeper, retries=2,
                         timeout_s=0.3)  # fmt: skip
    assert not delivery.ok and delivery.attempts == 3 and delivery.status is None
    assert delivery.error == "no answer within 0.3 s"
    assert sleeper.waits == [1.0, 2.0]
    assert len(hook.received) == 3


def test_a_redirect_is_not_followed(hook: Hook, other: Hook) -> None:
    hook.answer((302, {"Location": other.url("/elsewhere")}))
    sleeper = Sleeper()
    delivery = post_json(hook.url(), {"n": 1}, now=lambda: NOW, sleep=sleeper, secret=b"k")
    assert not delivery.ok and delivery.status == 302 and delivery.attempts == 1
    assert delivery.error is not None
    assert f"redirected (302) to http://127.0.0.1:{other.port}" in delivery.error
    assert "/elsewhere" not in delivery.error  # a path may be a secret: host only
    assert other.received == []  # the signed alert went nowhere else
    hook.answer((308, {"Location": other.url()}))
    assert not post_json(hook.url(), {"n": 2}, now=lambda: NOW, sleep=sleeper).ok
    assert other.received == [] and sleeper.waits == []


def test_nothing_listening_is_a_clear_failure() -> None:
    sleeper = Sleeper()
    delivery = post_json("http://127.0.0.1:9/none", {}, now=lambda: NOW, sleep=sleeper,
                         retries=1)  # fmt: skip
    assert not delivery.ok and delivery.error is not None
    assert delivery.error.startswith("cannot connect") and sleeper.waits == [1.0]


# -- llm-cost actuals alerts ------------------------------------------------------------------

PROMPT_CALL = {"prompt_tokens": 100_000, "completion_tokens": 1_000}  # gpt-4o: $0.26


def workspace(tmp_path: Path, hook: Hook, other: Hook, retries: int = 0) -> Path:
    root = tmp_path / "ws"
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "triage.txt").write_text("Triage this ticket: {{message}}\n")
    (root / "llm-cost.toml").write_text(
        f"""[defaults]
model = "gpt-4o"
calls_per_month = 1000

[prompts.triage]
path = "prompts/triage.txt"
budget_monthly_usd = "10"

[alerts]
drift = false
spike_min_usd = "1000"

[[alerts.webhooks]]
url = "{hook.url("/json")}"
secret_env = "TEST_HOOK_SECRET"
retries = {retries}

[[alerts.webhooks]]
url_env = "TEST_SLACK_URL"
format = "slack"
kinds = ["budget"]
retries = {retries}
"""
    )
    return root


def record(ledger: Path, root: Path, calls: int, start: int = 0) -> None:
    recorder = make_recorder(str(ledger), manifest=load_manifest(root / "llm-cost.toml"))
    first = suite_now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for index in range(start, start + calls):
        recorder.record(PROMPT_CALL, model="gpt-4o", prompt_id="triage",
                        response_id=f"r{index}", at=first + timedelta(minutes=index))  # fmt: skip
    recorder.close()


def alerts(capsys: pytest.CaptureFixture[str], ledger: Path, root: Path,
           *more: str) -> tuple[int, str]:  # fmt: skip
    code = main(["actuals", "alerts", "--ledger", str(ledger), "--root", str(root), *more])
    return code, capsys.readouterr().out


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, other: Hook) -> None:
    monkeypatch.setenv("TEST_HOOK_SECRET", "hook-secret")
    monkeypatch.setenv("TEST_SLACK_URL", other.url("/services/T000/B000/XXXX"))


@pytest.mark.usefixtures("env")
def test_alerts_are_sent_once_per_destination(
    tmp_path: Path, hook: Hook, other: Hook, capsys: pytest.CaptureFixture[str]
) -> None:
    hook.secret = b"hook-secret"
    root, ledger = workspace(tmp_path, hook, other), tmp_path / "ledger.sqlite3"
    record(ledger, root, 35)  # $9.10 of the $10 budget: 91%
    code, out = alerts(capsys, ledger, root, "--dry-run")
    assert code == 0 and "would send" in out and hook.received == [] == other.received
    code, out = alerts(capsys, ledger, root, "--dry-run", "--format", "json")
    (dry,) = json.loads(out)["alerts"]
    assert dry["alert"]["key"] == f"budget|*|prompt:triage|{suite_now():%Y-%m}|80%"
    assert [d["state"] for d in dry["deliveries"]] == ["would send", "would send"]
    assert all("/services/" not in d["destination"] for d in dry["deliveries"])

    code, out = alerts(capsys, ledger, root)
    assert code == 0, out
    # the highest share reached, once; 50% was passed on the way and is not sent alone
    (got,) = hook.received
    assert got.signature_ok is True
    payload = got.json()
    assert payload["schema"] == "llm-cost.alert/1" and payload["kind"] == "budget"
    assert payload["data"]["scope"] == "prompt:triage" and payload["data"]["threshold"] == "0.8"
    assert payload["data"]["spent_usd"] == "9.1" and payload["data"]["budget_usd"] == "10"
    month = suite_now().strftime("%Y-%m")
    assert payload["title"] == (
        f"Budget 80% reached for prompt triage: $9.10 of $10.00 in {month} (91%)"
    )
    (slack,) = other.received
    assert slack.path == "/services/T000/B000/XXXX"
    assert slack.json()["text"] == payload["title"]
    assert slack.json()["blocks"][0]["text"]["type"] == "mrkdwn"
    assert "x-llmcost-signature" not in slack.headers  # no secret for this one
    assert "sent → http://127.0.0.1" in out
    assert "/services/" not in out  # the Slack URL's path is its secret

    # again, and again: nothing new is sent
    for _ in range(2):
        code, out = alerts(capsys, ledger, root)
        assert code == 0 and "already sent" in out
    assert len(hook.received) == 1 and len(other.received) == 1

    record(ledger, root, 5, start=35)  # $10.40: over the budget
    code, out = alerts(capsys, ledger, root)
    assert code == 0
    assert [r.json()["data"]["threshold"] for r in hook.received] == ["0.8", "1"]
    assert len(other.received) == 2


@pytest.mark.usefixtures("env")
def test_a_failed_delivery_is_tried_again_next_run(
    tmp_path: Path, hook: Hook, other: Hook, capsys: pytest.CaptureFixture[str]
) -> None:
    root, ledger = workspace(tmp_path, hook, other), tmp_path / "ledger.sqlite3"
    record(ledger, root, 25)  # 65%
    hook.answer(500)
    code, out = alerts(capsys, ledger, root)
    assert code == 1  # cron notices
    assert "failed → http://127.0.0.1" in out and "HTTP 500" in out
    assert len(other.received) == 1  # the other destination got it
    code, out = alerts(capsys, ledger, root)
    assert code == 0
    assert len(hook.received) == 2 and len(other.received) == 1
    assert hook.received[1].json()["data"]["threshold"] == "0.5"


def test_a_missing_secret_is_a_located_error(
    tmp_path: Path, hook: Hook, other: Hook, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.delenv("TEST_HOOK_SECRET", raising=False)
    monkeypatch.setenv("TEST_SLACK_URL", other.url())
    root, ledger = workspace(tmp_path, hook, other), tmp_path / "ledger.sqlite3"
    record(ledger, root, 25)
    code = main(["actuals", "alerts", "--ledger", str(ledger), "--root", str(root)])
    err = capsys.readouterr().err
    assert code == 2
    assert "llm-cost.toml:13" in err and "TEST_HOOK_SECRET" in err and "unsigned" in err
    assert hook.received == []


def test_postgres_remembers_what_was_sent(pg_url: str, hook: Hook, tmp_path: Path) -> None:
    from llmcost_lsp.core.ledger.postgres import PostgresStore

    root = workspace(tmp_path, hook, hook)
    manifest = load_manifest(root / "llm-cost.toml")
    record_url = pg_url
    recorder = make_recorder(record_url, manifest=manifest)
    first = suite_now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for index in range(35):
        recorder.record(PROMPT_CALL, model="gpt-4o", prompt_id="triage", response_id=f"r{index}",
                        at=first + timedelta(minutes=index))  # fmt: skip
    recorder.close()
    settings = Settings.from_env()
    target = Destination(hook.url(), "json", None, ("budget",), 5, 0)
    for run in range(3):
        with PostgresStore(pg_url) as store:
            found = budget_alerts(store, settings.now(), budget_scopes(manifest), AlertRules())
            outcomes = deliver(store, found, [target], settings, sleep=Sleeper())
        assert [o.state for o in outcomes] == (["sent"] if run == 0 else ["already sent"])
    assert len(hook.received) == 1
    assert json.loads(hook.received[0].body)["data"]["threshold"] == "0.8"
