"""`llm-cost actuals summary|export|reprice|import|receive|metrics|alerts|backup|restore|access`:
what calls really cost, from the runtime ledger (docs/actuals.md). Exit 0; 1 when `export
--validate` finds a violation; 2 on bad input or a ledger that cannot be opened."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost_lsp.cli.terminal import add_format_arg, add_output_arg

if TYPE_CHECKING:
    from llmcost_lsp.core.ledger.store import SqlStore
    from llmcost_lsp.core.manifest import Manifest

GROUPS = ("prompt", "model", "project", "user", "session", "day", "tag")
VIEWS = ("totals", "efficiency", "trend", "forecast")


def _ledger_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ledger",
        metavar="LOCATION",
        help="SQLite file or postgresql:// URL (default: LLMCOST_LEDGER, the manifest's "
        "[actuals] ledger, else the user data dir)",
    )
    parser.add_argument(
        "--root", metavar="DIR", default=".", help="folder whose llm-cost.toml to read"
    )
    parser.add_argument(
        "--project",
        metavar="NAME",
        help="only calls of this project (default: LLMCOST_PROJECT, else the manifest's "
        "[actuals] project); import and receive record calls without one under it",
    )


def _command(
    commands: Any, name: str, run: Any, help: str, description: str | None = None
) -> argparse.ArgumentParser:
    """A subcommand that reads the ledger: its parser, with the ledger options first."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help, description=description)
    _ledger_args(parser)
    parser.set_defaults(run=run)
    return parser


def _group(commands: Any, name: str, dest: str, help: str, description: str | None) -> Any:
    """A subcommand made of actions (`export focus`, `access grant`); alone it prints usage.
    `dest`: where the action's name goes, `<command>_<what the actions are>`."""
    parser = commands.add_parser(name, help=help, description=description)
    actions = parser.add_subparsers(dest=dest, metavar=dest.split("_")[-1].upper())
    parser.set_defaults(run=lambda _args: _usage(parser))
    return actions


def _bind_arg(parser: argparse.ArgumentParser, default: str, exposes: str) -> None:
    parser.add_argument(
        "--bind", metavar="HOST:PORT", default=default,
        help=f"address to listen on (default {default}; another host exposes {exposes})",
    )  # fmt: skip


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "actuals",
        help="what calls really cost: the runtime ledger (summary, export, reprice, import)",
        description="Read and maintain the runtime ledger that record(), the LangChain "
        "callback, the OpenTelemetry span processor and the OTLP receiver write. "
        "See docs/actuals.md.",
    )
    commands = parser.add_subparsers(dest="actuals_command", metavar="COMMAND")
    parser.set_defaults(run=lambda _args: _usage(parser))

    summary = _command(commands, "summary", run_summary, "calls, tokens and cost per group")
    summary.add_argument("--by", choices=GROUPS, default="prompt")
    summary.add_argument(
        "--since",
        metavar="WHEN",
        help="YYYY-MM-DD, Nd (the last N days), month (default: this month, UTC) or all",
    )
    summary.add_argument("--tag-key", metavar="KEY", help="with --by tag: group by this tag only")
    add_format_arg(summary, ("text", "json", "markdown"))
    summary.add_argument(
        "--view",
        choices=VIEWS,
        default="totals",
        help="totals by --by (default; by user or session with how cost spreads over them); "
        "efficiency: cost per call and per 1k output tokens by prompt and model, and the same "
        "calls re-priced on each model [[rules]] suggest; trend: cost per --per day or week; "
        "forecast: month-end forecast with its 95%% interval per budget scope",
    )
    summary.add_argument("--per", choices=("day", "week"), default="day", help="with --view trend")
    add_output_arg(summary)

    formats = _group(commands, "export", "export_format", "export the ledger (FOCUS)", None)
    focus = _command(
        formats, "focus", run_export_focus, "FOCUS CSV with BilledCost = the metered cost",
        "One FOCUS row per day × prompt × model of a billing month; "
        "BilledCost = EffectiveCost = the metered cost; tokens in x_ columns. Groups with "
        "unpriced calls are left out (listed on stderr), never written as 0.",
    )  # fmt: skip
    focus.add_argument("--period", metavar="YYYY-MM", help="billing month (default: this month)")
    focus.add_argument("--focus-version", choices=("1.2", "1.3"), default="1.2")
    focus.add_argument("-o", "--output", metavar="FILE", help="write here (atomically)")
    focus.add_argument(
        "--validate", action="store_true", help="check every FOCUS rule; exit 1 on a violation"
    )

    reprice = _command(
        commands, "reprice", run_reprice,
        "price recorded calls again after a price DB or override change",
        "Recompute every call's cost since a day with the price DB in use and "
        "the manifest's [pricing.overrides], and rebuild the rollups of those days.",
    )  # fmt: skip
    reprice.add_argument("--since", metavar="WHEN", default="all", help="as for summary")

    imported = _command(
        commands, "import", run_import, "import OTLP JSON trace files",
        "Read OTLP JSON trace files (one request, or one per line as the "
        "Collector's file exporter writes) and record every span with gen_ai.usage.*. "
        "Re-importing a file adds nothing.",
    )  # fmt: skip
    imported.add_argument("files", nargs="+", metavar="FILE")
    imported.add_argument(
        "--prompt-attribute",
        metavar="NAME",
        help="span attribute holding the prompt id (default gen_ai.prompt.name)",
    )

    receive = _command(
        commands, "receive", run_receive,
        "an OTLP/HTTP receiver that records GenAI spans (binds 127.0.0.1)",
        "Serve POST /v1/traces (OTLP/HTTP, protobuf or JSON) and record every "
        "span with gen_ai.usage.* in the ledger. Point OTEL_EXPORTER_OTLP_TRACES_ENDPOINT at "
        "http://127.0.0.1:4318/v1/traces. Stops on Ctrl-C, flushing what it received.",
    )  # fmt: skip
    _bind_arg(receive, "127.0.0.1:4318", "the ledger")
    receive.add_argument("--prompt-attribute", metavar="NAME")

    _register_maintenance(commands)

    metrics = _command(
        commands, "metrics", run_metrics,
        "serve Prometheus metrics from the ledger (binds 127.0.0.1)",
        "Serve GET /metrics: requests, cost and tokens this month per project, "
        "prompt and model, month-to-date, budget and forecast per budget scope of the "
        "manifest, and the ledger's health (last write, lag, dropped/rejected calls). Never a "
        "user or session label. See docs/metrics.md.",
    )  # fmt: skip
    _bind_arg(metrics, "127.0.0.1:9464", "spend")
    metrics.add_argument(
        "--max-prompts",
        type=int,
        default=1000,
        metavar="N",
        help="prompt_id values kept before the rest fold into __other__",
    )
    metrics.add_argument("--max-models", type=int, default=100, metavar="N")
    metrics.add_argument("--max-projects", type=int, default=100, metavar="N")
    metrics.add_argument("--once", action="store_true",
                         help="print one scrape on stdout and exit (no server)")  # fmt: skip

    from llmcost_lsp.cli.alerts import register as register_alerts

    register_alerts(commands, _command)


def _register_maintenance(commands: Any) -> None:
    _command(
        commands, "backup", run_backup,
        "copy the SQLite ledger while apps keep writing (PostgreSQL: pg_dump)",
        "Copy the SQLite ledger with SQLite's online backup API: one consistent "
        "instant, writers are not stopped, the file appears only once checked.",
    ).add_argument("destination", metavar="FILE")  # fmt: skip
    _command(
        commands, "restore", run_restore,
        "replace the SQLite ledger's content with a backup",
        "Check the backup (an intact ledger of a known schema), then copy it "
        "into the ledger; writers wait for the copy and continue on the restored ledger.",
    ).add_argument("backup", metavar="FILE")  # fmt: skip

    actions = _group(
        commands, "access", "access_action",
        "PostgreSQL: team roles and row-level security by project",
        "Install the llmcost_writer / llmcost_reader / llmcost_admin roles and "
        "the row-level security policies (as the ledger's owner), then grant roles "
        "projects. See docs/actuals.md, Teams on PostgreSQL.",
    )  # fmt: skip
    _command(actions, "install", run_access, "create or update roles and policies")
    for name, text in (("grant", "let ROLE read or write PROJECT"),
                       ("revoke", "take PROJECT from ROLE")):  # fmt: skip
        action = _command(actions, name, run_access, text)
        action.add_argument("role", metavar="ROLE")
        action.add_argument("grant_project", metavar="PROJECT")
        action.add_argument("--access", choices=("read", "write"), default=None)
    _command(actions, "list", run_access, "who may read or write which project")


def _sqlite_path(args: argparse.Namespace, manifest: Manifest | None, what: str) -> Path:
    from llmcost_lsp.core.errors import InputError
    from llmcost_lsp.core.ledger.api import ledger_location

    location = args.ledger or ledger_location(manifest, root=Path(args.root).resolve())
    if "://" in location and not location.startswith("sqlite:"):
        raise InputError(
            f"actuals {what} copies an SQLite ledger; a PostgreSQL ledger is backed up with "
            "pg_dump -Fc and restored with pg_restore (docs/actuals.md, Backup and restore)",
            code="not-sqlite",
        )
    return Path(location.removeprefix("sqlite:///").removeprefix("sqlite://"))


def run_backup(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.ledger.backup import backup_sqlite

    ledger = _sqlite_path(args, _manifest(args), "backup")
    result = backup_sqlite(ledger, Path(args.destination))
    print(
        f"llm-cost: backed up {ledger} ({result.calls:,} calls, schema {result.schema}) to "
        f"{args.destination} ({result.bytes:,} bytes)",
        file=sys.stderr,
    )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.ledger.backup import restore_sqlite

    ledger = _sqlite_path(args, _manifest(args), "restore")
    result = restore_sqlite(Path(args.backup), ledger)
    print(
        f"llm-cost: restored {args.backup} ({result.calls:,} calls, schema {result.schema}) "
        f"into {ledger}",
        file=sys.stderr,
    )
    return 0


def run_access(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.ledger import access

    with open_ledger(args, _manifest(args)) as store:
        if args.access_action == "install":
            access.install(store)
            print(
                f"llm-cost: roles {access.WRITER}, {access.READER}, {access.ADMIN} and "
                "row-level security by project are in place",
                file=sys.stderr,
            )
        elif args.access_action == "grant":
            kind: access.Access = "write" if args.access == "write" else "read"
            access.grant(store, args.role, args.grant_project, kind)
            print(f"llm-cost: {args.role} may {kind} {args.grant_project}")
        elif args.access_action == "revoke":
            removed = access.revoke(store, args.role, args.grant_project, args.access)
            print(f"llm-cost: {removed} grant(s) of {args.grant_project} to {args.role} removed")
        else:
            for item in access.grants(store):
                print(f"{item.project}\t{item.member}\t{item.access}")
    return 0


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def utc_today() -> date:
    """Today (UTC) from the one clock (LLMCOST_NOW pins it)."""
    from llmcost_lsp.core.settings import Settings

    return Settings.from_env().today()


def _manifest(args: argparse.Namespace) -> Manifest | None:
    from llmcost_lsp.core.manifest import find_manifest, load_manifest

    path = find_manifest(Path(args.root))
    return load_manifest(path) if path else None


def open_ledger(args: argparse.Namespace, manifest: Manifest | None) -> SqlStore:
    from llmcost_lsp.core.ledger.api import ledger_location
    from llmcost_lsp.core.ledger.store import open_store

    location = args.ledger or ledger_location(manifest, root=Path(args.root).resolve())
    return open_store(location)


def _project(args: argparse.Namespace, manifest: Manifest | None) -> str | None:
    from llmcost_lsp.core.ledger.api import ledger_project

    if args.project is not None:
        return str(args.project)
    return ledger_project(manifest)


def run_summary(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.ledger.summary import Period, parse_since, summarise
    from llmcost_lsp.present import actuals as show

    manifest = _manifest(args)
    today = utc_today()
    period = Period(parse_since(args.since, today), None)
    project = _project(args, manifest)
    markdown = args.format == "markdown"
    with open_ledger(args, manifest) as store:
        if args.view == "efficiency":
            return _print(args, *_efficiency(store, manifest, period, project, markdown))
        if args.view == "trend":
            from llmcost_lsp.core.ledger.trends import trend

            by_time = trend(store, period, args.per, project, until=today + timedelta(days=1))
            return _print(args, show.trend_json(by_time, period, args.per),
                          show.trend_text(by_time, period, markdown=markdown))  # fmt: skip
        if args.view == "forecast":
            from llmcost_lsp.core.ledger.metrics import budget_scopes
            from llmcost_lsp.core.ledger.month import month_to_date, scope_forecasts

            found = month_to_date(store, today, project, daily=True)
            scoped = scope_forecasts(found, today, budget_scopes(manifest))
            month = today.strftime("%Y-%m")
            return _print(args, show.forecast_json(scoped, month),
                          show.forecast_text(scoped, month, markdown=markdown))  # fmt: skip
        lines = summarise(store, args.by, period, project=project, tag_key=args.tag_key)
        from llmcost_lsp.core.ledger.swaps import decision_lines

        decisions = decision_lines(store, *period.micros(), project)
    spread = None
    if args.by in ("user", "session"):
        from llmcost_lsp.core.ledger.trends import spread as spread_of

        spread = spread_of(lines)
    text = show.totals_text(args.by, lines, period, markdown=markdown, found=spread)
    if decisions:
        text += "\n\n" + show.decisions_text(decisions, markdown=markdown)
    data = show.totals_json(args.by, period, lines, spread)
    data["budget_decisions"] = show.decisions_json(decisions)
    return _print(args, data, text)


def _print(args: argparse.Namespace, data: dict[str, Any], text: str) -> int:
    from llmcost_lsp.present import json_document

    if args.format == "json":
        print(json_document(data))
    else:
        print(text)
    return 0


def _efficiency(
    store: SqlStore, manifest: Manifest | None, period: Any, project: str | None, markdown: bool
) -> tuple[dict[str, Any], str]:
    from llmcost_lsp.core.ledger.api import make_pricer
    from llmcost_lsp.core.ledger.efficiency import efficiency
    from llmcost_lsp.core.suggest import rule_suggestions
    from llmcost_lsp.present import actuals as show

    since_ts, until_ts = period.micros()
    models = sorted({name for rule in manifest.rules for name in rule.suggest}) if manifest else []
    lines = efficiency(
        store, make_pricer(manifest), lambda prompt: rule_suggestions(manifest, prompt), models,
        since_ts, until_ts, project,
    )  # fmt: skip
    return show.efficiency_json(lines, period), show.efficiency_text(
        lines, period, markdown=markdown
    )


def run_export_focus(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.atomic import write_atomic_with
    from llmcost_lsp.core.focus.conformance import check_table
    from llmcost_lsp.core.focus.export import BillingPeriod
    from llmcost_lsp.core.ledger.focus import LedgerExport, write_csv
    from llmcost_lsp.core.pricing.db import load_price_db

    manifest = _manifest(args)
    today = utc_today()
    period = (
        BillingPeriod.parse(args.period) if args.period else BillingPeriod(today.year, today.month)
    )
    with open_ledger(args, manifest) as store:
        export = LedgerExport(
            store, load_price_db(), period, args.focus_version, _project(args, manifest)
        )
    for left in export.left_out[:20]:
        print(
            f"llm-cost: left out {left.day} {left.prompt_id or '(none)'} on {left.model}: "
            f"{left.unpriced:,} of {left.calls:,} calls unpriced",
            file=sys.stderr,
        )
    if args.output:
        rows = write_atomic_with(Path(args.output), lambda handle: write_csv(export, handle))
        print(
            f"llm-cost: wrote {rows:,} rows ({_money_usd(export.cost_usd)} metered, period "
            f"{period}, FOCUS {args.focus_version}) to {args.output}",
            file=sys.stderr,
        )
    else:
        write_csv(export, sys.stdout)
    if args.validate:
        cells = ([cell or "" for cell in row] for row in export.rows())
        violations = check_table(export.header, cells, args.focus_version)
        for violation in violations:
            print(f"llm-cost: FOCUS {args.focus_version}: {violation}", file=sys.stderr)
        if violations:
            return 1
        print(f"llm-cost: conforms to FOCUS {args.focus_version}", file=sys.stderr)
    return 0


def _money_usd(value: Decimal) -> str:
    from llmcost_lsp.present import money

    return money(value)


def run_reprice(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.ledger.api import make_pricer
    from llmcost_lsp.core.ledger.summary import Period, parse_since

    manifest = _manifest(args)
    since = parse_since(args.since, utc_today())
    since_ts, _ = Period(since, None).micros()
    pricer = make_pricer(manifest)
    with open_ledger(args, manifest) as store:
        read, changed = store.reprice(pricer, since_ts)
    # whole months: a month's rollup is rebuilt from every call of that month
    start = f"{since.replace(day=1)} (the start of {since:%Y-%m})" if since else "the first call"
    print(
        f"llm-cost: repriced {read:,} calls since {start} with the price DB of "
        f"{pricer.version}: {changed:,} changed"
    )
    return 0


def run_import(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.ledger.api import make_pricer
    from llmcost_lsp.core.ledger.otlp import import_otlp_file

    manifest = _manifest(args)
    pricer = make_pricer(manifest)
    with open_ledger(args, manifest) as store:
        for name in args.files:
            result = import_otlp_file(
                Path(name),
                store,
                pricer,
                prompt_attribute=args.prompt_attribute,
                project=_project(args, manifest),
            )
            print(
                f"llm-cost: {name}: {result.spans:,} calls read, {result.inserted:,} new, "
                f"{result.duplicates:,} already in the ledger"
                + (
                    f", {result.rejected:,} rejected ({result.first_problem})"
                    if result.rejected
                    else ""
                )
            )
    return 0


def run_metrics(args: argparse.Namespace) -> int:
    import time

    from llmcost_lsp.core.errors import InputError
    from llmcost_lsp.core.ledger.api import display_location, ledger_location
    from llmcost_lsp.core.ledger.metrics import Caps, Exporter, budget_scopes
    from llmcost_lsp.core.settings import Settings
    from llmcost_lsp.integrations.metrics_server import MetricsServer

    manifest = _manifest(args)
    settings = Settings.from_env()
    caps = Caps(prompts=args.max_prompts, models=args.max_models, projects=args.max_projects)
    if min(caps.prompts, caps.models, caps.projects) < 1:
        raise InputError("--max-prompts/--max-models/--max-projects must be at least 1")
    scopes = budget_scopes(manifest)
    project = _project(args, manifest)

    def exporter() -> Exporter:
        return Exporter(open_ledger(args, manifest), project=project, scopes=scopes, caps=caps)

    if args.once:
        with open_ledger(args, manifest) as store:
            sys.stdout.write(
                Exporter(store, project=project, scopes=scopes, caps=caps).render(settings.now())
            )
        return 0
    host, _, port = args.bind.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--bind {args.bind!r} is not HOST:PORT", code="bad-bind")
    open_ledger(args, manifest).close()  # fail now, not on the first scrape
    try:
        server = MetricsServer(exporter, settings.now, host, int(port)).start()
    except OSError as error:
        raise InputError(f"cannot listen on {args.bind}: {error.strerror or error}") from None
    location = args.ledger or ledger_location(manifest, root=Path(args.root).resolve())
    print(
        "llm-cost: Prometheus metrics of {} on http://{}:{}/metrics".format(
            display_location(location), *server.address
        ),
        file=sys.stderr,
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def run_receive(args: argparse.Namespace) -> int:
    import time

    from llmcost_lsp.core.errors import InputError
    from llmcost_lsp.core.ledger.api import (
        display_location,
        ledger_location,
        make_recorder,
    )
    from llmcost_lsp.integrations.otlp_receiver import OtlpReceiver

    manifest = _manifest(args)
    host, _, port = args.bind.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--bind {args.bind!r} is not HOST:PORT", code="bad-bind")
    location = args.ledger or ledger_location(manifest, root=Path(args.root).resolve())
    open_ledger(args, manifest).close()  # fail now, not on the first span, if it cannot open
    recorder = make_recorder(location, manifest=manifest, project=_project(args, manifest))
    try:
        receiver = OtlpReceiver(
            recorder, host, int(port), prompt_attribute=args.prompt_attribute
        ).start()
    except OSError as error:
        raise InputError(f"cannot listen on {args.bind}: {error.strerror or error}") from None
    where = "{}:{}".format(*receiver.address)
    print(
        f"llm-cost: receiving OTLP/HTTP traces on http://{where}/v1/traces into "
        f"{display_location(location)}",
        file=sys.stderr,
        flush=True,
    )
    _stop_on_signals()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        receiver.close()
        recorder.close()
        stats = recorder.stats()
        print(
            f"llm-cost: {stats.written:,} calls written, {stats.duplicates:,} duplicates, "
            f"{stats.rejected + receiver.rejected:,} rejected, {stats.dropped:,} dropped",
            file=sys.stderr,
        )
    return 0


def _stop_on_signals() -> None:
    """Ctrl-C and a service manager's SIGTERM both stop the receiver through its flush. Set
    explicitly: a process started in the background by a shell inherits SIGINT ignored, and
    Python then installs no handler for it (the receiver would never stop on Ctrl-C)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
