"""`llm-cost pricing verify|update|status|rollback`: signed price DB updates and their state."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost_lsp.cli.terminal import add_format_arg, add_output_arg

if TYPE_CHECKING:  # the core loads lazily, inside `run`
    from llmcost_lsp.core.pricing.store import ImportedDb, PriceStore, VerifiedDb


def register(actions: Any) -> None:
    verify = actions.add_parser(
        "verify", help="check a price DB's minisign signature against the trusted keys"
    )
    verify.add_argument("file", type=Path, metavar="FILE", help="price DB (JSON)")
    verify.add_argument("--sig", type=Path, metavar="FILE", help="signature (default FILE.minisig)")
    _legacy_flag(verify)
    add_format_arg(verify, ("text", "json"))
    add_output_arg(verify)
    verify.set_defaults(run=run_verify)

    update = actions.add_parser(
        "update",
        help="verify and install a signed price DB from a file or an https:// URL, or rebuild "
        "it from your installed genai-prices",
    )
    update.add_argument(
        "--from",
        dest="source",
        metavar="URL|FILE|genai-prices",
        help="https:// URL or local file of a signed price DB, or `genai-prices` to rebuild the "
        "DB from the genai-prices package installed here (`pip install -U genai-prices`; "
        "installed as an unsigned import)",
    )
    update.add_argument(
        "--sig", metavar="URL|FILE", help="signature location (default: <source>.minisig)"
    )
    update.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="download time limit"
    )
    _legacy_flag(update)
    update.set_defaults(run=run_update)

    status = actions.add_parser(
        "status", help="which price DB is in use, its date, age, signer and freshness"
    )
    add_format_arg(status, ("text", "json"))
    add_output_arg(status)
    status.set_defaults(run=run_status)

    rollback = actions.add_parser("rollback", help="go back to the previously installed price DB")
    rollback.set_defaults(run=run_rollback)


def _legacy_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-legacy",
        action="store_true",
        help="accept legacy (non-prehashed 'Ed') minisign signatures",
    )


def _store() -> PriceStore:
    from llmcost_lsp.core.pricing.store import PriceStore
    from llmcost_lsp.core.settings import Settings

    return PriceStore(Settings.from_env())


def _signer(entry: VerifiedDb | ImportedDb) -> str:
    from llmcost_lsp.present.pricing_trust import signer_text

    return signer_text(entry)


def _stamp(entry: VerifiedDb | ImportedDb) -> str:
    from llmcost_lsp.present.pricing_trust import stamp

    return stamp(entry)


# ---- verify --------------------------------------------------------------------------------


def run_verify(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.pricing.fetch import MAX_DB_BYTES, read_local
    from llmcost_lsp.core.pricing.store import verify_db
    from llmcost_lsp.core.pricing.trust import MAX_SIGNATURE_FILE_BYTES

    sig_path: Path = args.sig or args.file.with_name(args.file.name + ".minisig")
    # the limits `update` applies: verify once read a symlink to /dev/zero until the OOM killer
    contents = [read_local(args.file, MAX_DB_BYTES), read_local(sig_path, MAX_SIGNATURE_FILE_BYTES)]
    entry = verify_db(
        contents[0],
        contents[1],
        _store().keys,
        origin=str(args.file),
        signature_origin=str(sig_path),
        allow_legacy=args.allow_legacy,
    )
    from llmcost_lsp.present.pricing_trust import verified_json, verified_text

    print((verified_json if args.format == "json" else verified_text)(entry, args.file))
    return 0


# ---- update --------------------------------------------------------------------------------


def run_update(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.errors import InputError
    from llmcost_lsp.core.pricing.fetch import fetch_update
    from llmcost_lsp.core.pricing.freshness import UPGRADE_COMMAND

    if not args.source:
        # Until the project publishes signed DBs at a release URL there is nothing to download
        # by default; say so instead of failing on DNS.
        raise InputError(
            "no default price DB download: llm-cost does not publish one at a release URL yet",
            code="no-update-source",
            hint=f"`{UPGRADE_COMMAND}` installs a newer release with newer bundled prices; "
            "`llm-cost pricing update --from FILE|URL` installs a signed DB you have "
            "(your organisation's, signed with a key in `llm-cost pricing status`)",
        )
    source = args.source
    if source == GENAI_PRICES:
        return _update_from_genai_prices()
    download = fetch_update(source, signature_source=args.sig, timeout_s=args.timeout)
    result = _store().install(
        download.data, download.signature, origin=source, allow_legacy=args.allow_legacy
    )
    entry = result.installed
    if result.already_installed:
        print(f"price DB already up to date: {_stamp(entry)}, signed by {_signer(entry)}")
        return 0
    print(f"installed price DB {_stamp(entry)}, signed by {_signer(entry)}")
    print(f"  from {source}")
    print(f"  into {result.path}")
    if result.replaced is not None:
        print(
            f"  previous DB ({_stamp(result.replaced)}) kept: `llm-cost pricing rollback` "
            "restores it"
        )
    return 0


GENAI_PRICES = "genai-prices"


def _update_from_genai_prices() -> int:
    """Rebuild the DB with the maintainers' build code from the genai-prices installed here, and
    install it as an unsigned import (it is checked against the schema, not signed by anyone)."""
    from llmcost_lsp.core.pricing.build import dump
    from llmcost_lsp.core.pricing.genai_import import build_from_installed
    from llmcost_lsp.core.settings import Settings

    document, report = build_from_installed(now=Settings.from_env().now())
    label = ", ".join(document["built_from"])
    imported = _store().install_import(dump(document), label)
    print(
        f"built a price DB from {label}: {report.models:,} models of {report.providers} "
        f"providers, {len(report.disagreements)} figures where LiteLLM differs"
        if report.litellm_version
        else f"built a price DB from {label}: {report.models:,} models of {report.providers} "
        "providers (not cross-checked: LiteLLM is not installed here)"
    )
    print(f"installed as an unsigned import, dated {_stamp(imported)}")
    print(
        "  `llm-cost pricing status` shows it; `llm-cost pricing rollback` restores the one before"
    )
    return 0


# ---- status --------------------------------------------------------------------------------


def run_status(args: argparse.Namespace) -> int:
    import sys

    from llmcost_lsp import __version__
    from llmcost_lsp.core.pricing.freshness import assess_freshness
    from llmcost_lsp.core.pricing.trust import format_rfc3339
    from llmcost_lsp.core.settings import Settings

    settings = Settings.from_env()
    store = _store()
    selection = store.select(include_previous=True)
    freshness = assess_freshness(
        selection.db.updated_at,
        settings.now(),
        ci=settings.ci,
        acknowledged_until=settings.stale_ok_until,
    )
    installed = selection.verified
    report: dict[str, Any] = {
        "source": selection.source,
        "origin": str(selection.path) if selection.path else f"bundled with llm-cost {__version__}",
        "updated_at": format_rfc3339(selection.db.updated_at),
        "schema_version": selection.db.schema_version,
        "age_days": freshness.age_days,
        "freshness": freshness.level,
        "freshness_message": freshness.message,
        "ci": settings.ci,
        "unsigned_import": None
        if selection.imported is None
        else {"built_from": selection.imported.label, "sha256": selection.imported.sha256},
        "signer": None
        if installed is None
        else {
            "key_name": installed.verified.key_name,
            "key_id": installed.verified.key_id,
            "key_source": installed.verified.key_source,
        },
        "previous": None
        if selection.previous is None
        else {"updated_at": _stamp(selection.previous), "signer": _signer(selection.previous)},
        "reason": selection.reason,
        "store": str(store.root),
        "config": str(settings.config_dir / "config.toml"),
        "warnings": list(selection.warnings),
    }
    for warning in selection.warnings:
        print(f"llm-cost: warning: {warning}", file=sys.stderr)
    from llmcost_lsp.present.pricing_trust import status_json, status_text

    print((status_json if args.format == "json" else status_text)(report))
    return 0


# ---- rollback ------------------------------------------------------------------------------


def run_rollback(args: argparse.Namespace) -> int:
    from llmcost_lsp.core.pricing.trust import format_rfc3339

    selection = _store().rollback()
    print(
        f"rolled back: now using the {selection.source} DB "
        f"({format_rfc3339(selection.db.updated_at)}; {selection.reason})"
    )
    return 0
