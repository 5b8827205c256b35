"""Price DB trust for people and machines: `llm-cost pricing verify` (who signed a DB) and
`pricing status` (which DB is in use, its age and signer), as a table or JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llmcost_lsp.core.pricing.store import ImportedDb, VerifiedDb
from llmcost_lsp.core.pricing.trust import format_rfc3339
from llmcost_lsp.present.table import render_table


def signer_text(entry: VerifiedDb | ImportedDb) -> str:
    """`acme-finops (0A1B…)`, or who built an unsigned import."""
    if not isinstance(entry, VerifiedDb):
        return f"nobody: unsigned import built on this machine from {entry.label}"
    return f"{entry.verified.key_name} ({entry.verified.key_id})"


def stamp(entry: VerifiedDb | ImportedDb) -> str:
    return format_rfc3339(entry.db.updated_at)


# ---- verify --------------------------------------------------------------------------------


def verified_text(entry: VerifiedDb, path: Path) -> str:
    rows = [
        ("signed by", signer_text(entry)),
        ("key source", entry.verified.key_source),
        ("signature", "prehashed (ED)" if entry.verified.prehashed else "legacy (Ed)"),
        ("trusted comment", entry.verified.trusted_comment.replace("\t", "  ")),
        ("DB updated_at", stamp(entry)),
        ("DB schema", str(entry.db.schema_version)),
    ]
    return f"verified: {path}\n" + render_table(("field", "value"), rows)


def verified_json(entry: VerifiedDb, path: Path) -> str:
    data = {
        "file": str(path),
        "verified": True,
        "key_id": entry.verified.key_id,
        "key_name": entry.verified.key_name,
        "key_source": entry.verified.key_source,
        "prehashed": entry.verified.prehashed,
        "trusted_comment": entry.verified.trusted_comment,
        "updated_at": stamp(entry),
        "schema_version": entry.db.schema_version,
    }
    return json.dumps(data, indent=2)


# ---- status --------------------------------------------------------------------------------


def status_json(report: Mapping[str, Any]) -> str:
    """The status as docs/pricing-trust.md documents it for `--format json`."""
    return json.dumps(report, indent=2)


def status_text(report: Mapping[str, Any]) -> str:
    """The same status as a table for people."""
    imported, signer, previous = report["unsigned_import"], report["signer"], report["previous"]
    if imported is not None:
        signed = f"nobody: unsigned import built on this machine from {imported['built_from']}"
    elif signer is None:
        signed = "— (bundled in the package)"
    else:
        signed = f"{signer['key_name']} ({signer['key_id']})"
    rows = [
        ("in use", f"{report['source']} DB ({report['reason']})"),
        ("origin", report["origin"]),
        ("updated", report["updated_at"]),
        ("age", f"{report['age_days']} day{'s' * (report['age_days'] != 1)}"),
        ("freshness", f"{report['freshness']}: {report['freshness_message']}"),
        ("signer", signed),
        ("previous kept", "no" if previous is None else f"{previous['updated_at']}"),
        ("store", report["store"]),
        ("org keys from", report["config"]),
    ]
    return render_table(("price DB", ""), rows)
