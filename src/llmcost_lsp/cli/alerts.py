"""`llm-cost actuals alerts [--dry-run]`: evaluate the manifest's `[alerts]` on the ledger and
deliver each new alert once to each `[[alerts.webhooks]]` destination (docs/actuals.md, Alerts).

Exit 0 when every alert due was delivered (or there was none), 1 when a delivery failed (the
next run tries it again), 2 on bad input or a ledger that cannot be opened."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost_lsp.cli.terminal import add_format_arg

if TYPE_CHECKING:
    from llmcost_lsp.core.ledger.alerts import Alert
    from llmcost_lsp.core.ledger.drift import PromptDrift
    from llmcost_lsp.core.ledger.store import SqlStore
    from llmcost_lsp.core.manifest import AlertKind, Manifest
    from llmcost_lsp.core.settings import Settings

CLAIM_STALE_S = 600  # a run that died while delivering frees its claim after this


@dataclass(frozen=True)
class Destination:
    url: str
    format: str
    secret: bytes | None
    kinds: tuple[AlertKind, ...]
    timeout_s: int
    retries: int

    @property
    def ident(self) -> str:
        """How the ledger names it: host and a hash of the URL (never the URL: a webhook's
        path is a secret)."""
        from llmcost_lsp.integrations.webhook import display_url

        return f"{display_url(self.url)}#{hashlib.sha256(self.url.encode()).hexdigest()[:12]}"


def register(commands: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    """`actuals alerts`; `command` makes a ledger subcommand (cli/actuals.py's `_command`)."""
    alerts = command(
        commands,
        "alerts",
        run_alerts,
        "budget, spike, drift alerts and spend reports to webhooks, once each",
        "Evaluate the manifest's [alerts] on the ledger: budget thresholds, cost spikes, drift "
        "from the estimate, weekly/monthly reports; deliver each new one to every "
        "[[alerts.webhooks]] destination (retried with back-off; remembered in the ledger so a "
        "later run does not send it again). Exit 1 when a delivery failed.",
    )
    alerts.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be sent, send nothing, record nothing",
    )
    add_format_arg(alerts, ("text", "json", "markdown"))
    alerts.add_argument("--scenario", "-s", help="scenario of the estimate drift compares with")


def destinations(manifest: Manifest | None, env: dict[str, str]) -> list[Destination]:
    from llmcost_lsp.core.errors import InputError

    found = []
    for index, hook in enumerate(manifest.alerts.webhooks if manifest else ()):
        where = manifest.location_of("alerts", "webhooks", index) if manifest else None
        url = hook.url if hook.url is not None else env.get(hook.url_env or "", "").strip()
        if not url:
            raise InputError(
                f"[[alerts.webhooks]] {index + 1}: the environment variable {hook.url_env} "
                "holding its URL is not set",
                location=where,
                code="alerts-webhook",
            )
        if not url.startswith(("http://", "https://")):
            raise InputError(
                f"[[alerts.webhooks]] {index + 1}: {hook.url_env} is not an http(s) URL",
                location=where,
                code="alerts-webhook",
            )
        secret = None
        if hook.secret_env is not None:
            value = env.get(hook.secret_env, "")
            if not value:
                raise InputError(
                    f"[[alerts.webhooks]] {index + 1}: the environment variable "
                    f"{hook.secret_env} holding its signing secret is not set (nothing is "
                    "sent unsigned)",
                    location=where,
                    code="alerts-webhook",
                )
            secret = value.encode()
        found.append(
            Destination(url, hook.format, secret, hook.kinds, hook.timeout_s, hook.retries)
        )
    return found


def _drifts(
    args: argparse.Namespace, store: SqlStore, settings: Settings, project: str | None
) -> list[PromptDrift]:
    """The editor's drift warnings for the workspace at --root."""
    from llmcost_lsp.core.ledger.drift import drifts
    from llmcost_lsp.core.ledger.month import month_to_date
    from llmcost_lsp.core.pricing.db import load_price_db
    from llmcost_lsp.core.workspace import Workspace

    found = month_to_date(store, settings.today(), project)
    if not found:
        return []
    workspace = Workspace(Path(args.root), settings=settings, db=load_price_db())
    workspace.load()
    return drifts(workspace, found, args.scenario)


def evaluate_alerts(
    args: argparse.Namespace,
    store: SqlStore,
    manifest: Manifest | None,
    settings: Settings,
    project: str | None,
) -> list[Alert]:
    from llmcost_lsp.core.ledger.alerts import AlertRules, evaluate
    from llmcost_lsp.core.ledger.metrics import budget_scopes
    from llmcost_lsp.core.manifest import AlertsConfig

    config = manifest.alerts if manifest else AlertsConfig()
    rules = AlertRules.from_config(config)
    found = _drifts(args, store, settings, project) if rules.drift and manifest else []
    return evaluate(
        store, settings.now(), rules, budget_scopes(manifest), project=project, drifts=found
    )


def _payload(alert: Alert, destination: Destination) -> dict[str, Any]:
    from llmcost_lsp.present.alerts import json_payload, slack_payload

    return slack_payload(alert) if destination.format == "slack" else json_payload(alert)


@dataclass(frozen=True)
class Outcome:
    alert: Alert
    destination: str  # the ident
    state: str  # sent, failed, already sent, claimed elsewhere, would send, printed
    attempts: int = 0
    error: str | None = None


def deliver(
    store: SqlStore,
    alerts: list[Alert],
    targets: list[Destination],
    settings: Settings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    dry_run: bool = False,
) -> list[Outcome]:
    """Each alert to each destination taking its kind, once: what the ledger says was sent is
    skipped, the rest is claimed (so two runs at once do not both send), posted, and recorded
    as sent, or freed for the next run when it failed."""
    from llmcost_lsp.core.ledger.rows import micros
    from llmcost_lsp.core.ledger.store import LedgerError
    from llmcost_lsp.integrations.webhook import post_json

    try:
        sent = store.sent_alerts()
    except LedgerError:
        if not dry_run:
            raise
        sent = set()  # a store that keeps no record (ClickHouse): everything would be sent
    out = []
    for alert in alerts:
        for target in targets:
            if alert.kind not in target.kinds:
                continue
            ident = target.ident
            if (alert.key, ident) in sent:
                out.append(Outcome(alert, ident, "already sent"))
                continue
            if dry_run:
                out.append(Outcome(alert, ident, "would send"))
                continue
            now_ts = micros(settings.now())
            stale = now_ts - CLAIM_STALE_S * 1_000_000
            for lower in alert.supersedes:  # passed on the way to this one: never sent alone
                if (lower, ident) not in sent and store.claim_alert(
                    lower, ident, alert.project or "", alert.kind, now_ts, stale
                ):
                    store.settle_alert(lower, ident, now_ts)
            if not store.claim_alert(alert.key, ident, alert.project or "", alert.kind,
                                     now_ts, stale):  # fmt: skip
                out.append(Outcome(alert, ident, "claimed by another run"))
                continue
            delivery = post_json(
                target.url,
                _payload(alert, target),
                now=settings.now,
                sleep=sleep,
                secret=target.secret,
                timeout_s=target.timeout_s,
                retries=target.retries,
                key=alert.key,
            )
            store.settle_alert(alert.key, ident, micros(settings.now()) if delivery.ok else None)
            state = "sent" if delivery.ok else "failed"
            out.append(Outcome(alert, ident, state, delivery.attempts, delivery.error))
    return out


def run_alerts(args: argparse.Namespace) -> int:
    from llmcost_lsp.cli.actuals import _manifest, _project, open_ledger
    from llmcost_lsp.core.settings import Settings
    from llmcost_lsp.present import json_document
    from llmcost_lsp.present.alerts import json_payload, markdown, title

    manifest = _manifest(args)
    settings = Settings.from_env()
    targets = destinations(manifest, dict(os.environ))
    project = _project(args, manifest)
    with open_ledger(args, manifest) as store:
        alerts = evaluate_alerts(args, store, manifest, settings, project)
        outcomes = deliver(store, alerts, targets, settings, dry_run=args.dry_run)
    if args.format == "markdown":
        print("\n".join(markdown(alert) for alert in alerts), end="")
    elif args.format == "json":
        data = [
            {
                "alert": json_payload(alert),
                "deliveries": [
                    {"destination": o.destination.partition("#")[0], "state": o.state,
                     "attempts": o.attempts, "error": o.error}
                    for o in outcomes if o.alert is alert
                ],
            }
            for alert in alerts
        ]  # fmt: skip
        print(json_document({"schema": "llm-cost.alerts/1", "alerts": data}))
    else:
        for alert in alerts:
            mine = [o for o in outcomes if o.alert is alert]
            if not mine:
                print(f"{alert.kind:7} {title(alert)}")
            for o in mine:
                detail = f" after {o.attempts} attempts: {o.error}" if o.error else ""
                where = o.destination.partition("#")[0]
                print(f"{alert.kind:7} {title(alert)}\n        {o.state} → {where}{detail}")
        if not alerts:
            print("llm-cost: no alert", file=sys.stderr)
        elif not targets:
            print(
                "llm-cost: no [[alerts.webhooks]] in the manifest: shown only, nothing recorded",
                file=sys.stderr,
            )
    return 1 if any(o.state == "failed" for o in outcomes) else 0
