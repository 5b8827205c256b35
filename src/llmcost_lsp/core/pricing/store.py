"""Installed price DB updates in the user cache dir: verify, install atomically, keep the previous
one, roll back, and choose the DB in use (a verified update not older than the bundled DB).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from llmcost_lsp.core.errors import InputError, LlmCostError, Location, SignatureError
from llmcost_lsp.core.pricing.db import PriceDB, parse_price_db
from llmcost_lsp.core.settings import Settings

if TYPE_CHECKING:
    # Signatures (PyNaCl) and trusted keys are needed only when an update is installed or
    # verified: a process using the bundled DB does not import them.
    from llmcost_lsp.core.pricing.trust import DbComment, PublicKey, Verified

DB_FILE = "prices.json"
SIG_FILE = "prices.json.minisig"
IMPORT_FILE = "import.json"  # beside an unsigned DB built here from genai-prices
STATE_FILE = "state.json"
FIX_COMMAND = "llm-cost pricing update --from FILE|URL"
_FOLDER_NAME = re.compile(r"db-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{12}")


class RollbackError(SignatureError):
    """An update older than the DB in use, or of its date with other content: refused, like a
    forged downgrade would be (exit 3)."""

    default_code = "pricing-rollback"


@dataclass(frozen=True)
class VerifiedDb:
    """A price DB whose signature, trusted comment and signing key all checked out."""

    db: PriceDB
    verified: Verified
    comment: DbComment
    sha256: str


@dataclass(frozen=True)
class ImportedDb:
    """A DB built on this machine from the user's own genai-prices (`pricing update --from
    genai-prices`): not signed by anyone, so it is shown as an unsigned import everywhere."""

    db: PriceDB
    sha256: str
    label: str  # the sources it was built from, e.g. "genai-prices 0.2.3, litellm 1.110.2"


@dataclass(frozen=True)
class Selection:
    """The DB in use and why; `warnings` are problems the user must see (CLI: stderr, LSP)."""

    db: PriceDB
    source: Literal["installed", "imported", "bundled"]
    reason: str
    verified: VerifiedDb | None = None
    path: Path | None = None
    previous: VerifiedDb | ImportedDb | None = None
    imported: ImportedDb | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class InstallResult:
    installed: VerifiedDb
    path: Path
    replaced: VerifiedDb | ImportedDb | None
    already_installed: bool


def verify_db(
    data: bytes,
    signature: bytes,
    keys: Sequence[PublicKey],
    *,
    origin: str,
    signature_origin: str | None = None,
    allow_legacy: bool = False,
    lazy: bool = False,
) -> VerifiedDb:
    """Signature first (untrusted bytes reach the parser only once signed), then the DB, then the
    trusted comment against the DB, then the key's validity window. `lazy` validates each model
    when first used: for a DB installed earlier, validated in full when it was installed."""
    from llmcost_lsp.core.pricing.trust import (
        check_db_comment,
        check_key_validity,
        parse_signature,
        verify_signature,
    )

    sig_origin = signature_origin or f"{origin}.minisig"
    parsed = parse_signature(signature, origin=sig_origin)
    verified = verify_signature(data, parsed, keys, allow_legacy=allow_legacy)
    db = parse_price_db(data, origin, lazy=lazy)
    comment = check_db_comment(
        verified, schema_version=db.schema_version, updated_at=db.updated_at, origin=sig_origin
    )
    check_key_validity(verified.key, db.updated_at, origin)
    return VerifiedDb(db, verified, comment, hashlib.sha256(data).hexdigest())


def _same_content(data: bytes, selection: Selection) -> bool:
    """Whether `data` holds the same DB as the one in use (the same JSON, however written)."""
    from llmcost_lsp.core.pricing.db import bundled_price_bytes

    try:
        in_use = selection.path.read_bytes() if selection.path else bundled_price_bytes()
        return bool(json.loads(data) == json.loads(in_use))
    except (OSError, ValueError):
        return False


def _bundled_db() -> PriceDB:
    from llmcost_lsp.core.pricing import db as db_module

    return db_module._bundled()


class PriceStore:
    """The updates installed under `<cache>/pricing/`: `state.json` names the current and the
    previous directory; each directory holds a DB and its signature, never modified in place."""

    def __init__(
        self,
        settings: Settings,
        *,
        keys: Sequence[PublicKey] | None = None,
        bundled: Callable[[], PriceDB] = _bundled_db,
    ) -> None:
        self.root = settings.cache_dir / "pricing"
        self._settings = settings
        self._keys = tuple(keys) if keys is not None else None
        self._bundled = bundled

    @property
    def keys(self) -> tuple[PublicKey, ...]:
        if self._keys is None:
            from llmcost_lsp.core.pricing.keys import trusted_keys

            self._keys = trusted_keys(self._settings)
        return self._keys

    # -- state -----------------------------------------------------------------------------

    def _read_state(self) -> dict[str, str | None]:
        path = self.root / STATE_FILE
        if not path.exists():
            return {}
        try:
            state = json.loads(path.read_text("utf-8"))
            if not isinstance(state, dict):
                raise ValueError("not an object")
            result: dict[str, str | None] = {}
            for name in ("current", "previous"):
                value = state.get(name)
                # only our own directory names: never a path that could leave the store
                if value is not None and (
                    not isinstance(value, str) or not _FOLDER_NAME.fullmatch(value)
                ):
                    raise ValueError(f"bad {name!r}")
                result[name] = value
            return result
        except (OSError, ValueError) as error:
            raise InputError(
                f"corrupt install state: {error}", location=Location(str(path))
            ) from None

    def _write_state(self, current: str | None, previous: str | None) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"current": current, "previous": previous}, indent=2) + "\n"
        _atomic_write(self.root / STATE_FILE, payload.encode("utf-8"))

    def _load(self, name: str) -> VerifiedDb | ImportedDb:
        folder = self.root / name
        db_path = folder / DB_FILE
        try:
            data = db_path.read_bytes()
            if not (folder / SIG_FILE).exists() and (folder / IMPORT_FILE).exists():
                return _load_import(data, (folder / IMPORT_FILE).read_bytes(), db_path)
            signature = (folder / SIG_FILE).read_bytes()
        except OSError as error:
            raise InputError(
                f"cannot read installed DB: {error.strerror or error}",
                location=Location(str(getattr(error, "filename", None) or db_path)),
            ) from None
        return verify_db(data, signature, self.keys, origin=str(db_path), lazy=True)

    # -- selection -------------------------------------------------------------------------

    def select(self, *, include_previous: bool = False) -> Selection:
        """The DB to use: a verified installed update not older than the bundled DB, else the
        bundled DB. A broken or tampered install is ignored *and reported* in `warnings`.
        `include_previous` also verifies the kept previous DB (for status; costs a parse)."""
        bundled = self._bundled()
        try:
            state = self._read_state()
        except LlmCostError as error:
            return self._fallback(bundled, error)
        if not state.get("current"):
            return Selection(bundled, "bundled", "no update installed")
        current = str(state["current"])
        try:
            installed = self._load(current)
        except LlmCostError as error:
            return self._fallback(bundled, error)
        previous = self._try_load(state.get("previous")) if include_previous else None
        path = self.root / current / DB_FILE
        if installed.db.updated_at < bundled.updated_at:
            return Selection(
                bundled,
                "bundled",
                f"the installed update ({_day(installed.db)}) is older than the DB bundled with "
                f"this version of llm-cost ({_day(bundled)})",
                previous=previous,
            )
        if isinstance(installed, ImportedDb):
            return Selection(
                installed.db,
                "imported",
                f"unsigned import built on this machine from {installed.label}",
                path=path,
                previous=previous,
                imported=installed,
            )
        return Selection(
            installed.db,
            "installed",
            f"verified update signed by {installed.verified.key_name} "
            f"({installed.verified.key_id})",
            verified=installed,
            path=path,
            previous=previous,
        )

    def _try_load(self, name: str | None) -> VerifiedDb | ImportedDb | None:
        if not name:
            return None
        try:
            return self._load(name)
        except LlmCostError:
            return None

    def _fallback(self, bundled: PriceDB, error: LlmCostError) -> Selection:
        warning = (
            f"ignoring the installed price DB: {error} -- using the bundled DB "
            f"({_day(bundled)}) instead; run `{FIX_COMMAND}` to reinstall, or delete {self.root}"
        )
        return Selection(bundled, "bundled", "the installed update is broken", warnings=(warning,))

    # -- changes ---------------------------------------------------------------------------

    def install(
        self, data: bytes, signature: bytes, *, origin: str, allow_legacy: bool = False
    ) -> InstallResult:
        """Verify, refuse a downgrade, then install atomically, keeping the current DB as previous.

        Nothing is written unless every check passed."""
        candidate = verify_db(
            data,
            signature,
            self.keys,
            origin=origin,
            signature_origin=f"{origin}.minisig",
            allow_legacy=allow_legacy,
        )
        selection = self.select()
        in_use = selection.db
        if candidate.db.updated_at < in_use.updated_at:
            from llmcost_lsp.core.pricing.trust import format_rfc3339

            raise RollbackError(
                f"refusing to install a price DB dated {format_rfc3339(candidate.db.updated_at)}: "
                f"older than the {selection.source} DB in use "
                f"({format_rfc3339(in_use.updated_at)})",
                location=Location(origin),
                hint="updates only move forward; `llm-cost pricing rollback` restores the "
                "previously installed DB",
            )
        if candidate.db.updated_at == in_use.updated_at and not _same_content(data, selection):
            from llmcost_lsp.core.pricing.trust import format_rfc3339

            raise RollbackError(
                f"refusing to install a price DB dated {format_rfc3339(candidate.db.updated_at)}: "
                f"the {selection.source} DB in use has the same date and other content",
                location=Location(origin),
                hint="a DB's updated_at names its prices (the ledger records it with every "
                "call): a corrected DB needs a later updated_at",
            )
        # The installed DB becomes the previous one, even when the bundled DB was newer.
        state = {} if selection.warnings else self._read_state()
        current_name = state.get("current")
        current = self._try_load(current_name)
        if current is not None and current.sha256 == candidate.sha256:
            assert current_name is not None
            return InstallResult(candidate, self.root / current_name / DB_FILE, current, True)
        name = f"db-{candidate.db.updated_at:%Y%m%dT%H%M%SZ}-{candidate.sha256[:12]}"
        previous_name = current_name if current is not None else None
        self._write_folder(name, data, signature)
        self._write_state(name, previous_name)
        self._prune(keep={name, previous_name})
        forget_active_selection()
        return InstallResult(candidate, self.root / name / DB_FILE, current, False)

    def install_import(self, data: bytes, label: str) -> ImportedDb:
        """Install a DB built here from genai-prices, unsigned, recorded as such (its bytes'
        hash and sources are kept beside it, so a later change to the file is reported)."""
        db = parse_price_db(data, f"unsigned import ({label})")  # validated in full, once
        imported = ImportedDb(db, hashlib.sha256(data).hexdigest(), label)
        state = self._read_state() if (self.root / STATE_FILE).exists() else {}
        current_name = state.get("current")
        current = self._try_load(current_name)
        name = f"db-{db.updated_at:%Y%m%dT%H%M%SZ}-{imported.sha256[:12]}"
        marker = json.dumps({"sha256": imported.sha256, "built_from": label}) + "\n"
        self._write_folder(name, data, marker.encode("utf-8"), second=IMPORT_FILE)
        previous_name = current_name if current is not None and current_name != name else None
        self._write_state(name, previous_name)
        self._prune(keep={name, previous_name})
        forget_active_selection()
        return imported

    def rollback(self) -> Selection:
        """Make the previous installed DB current again (it must still verify)."""
        state = self._read_state()
        previous = state.get("previous")
        if not previous:
            raise InputError(
                "no previous price DB to roll back to",
                location=Location(str(self.root)),
                hint="the previous DB is kept after each `llm-cost pricing update`",
            )
        self._load(previous)  # refuses a tampered previous DB
        self._write_state(previous, None)
        self._prune(keep={previous})
        forget_active_selection()
        return self.select(include_previous=True)

    def _write_folder(
        self, name: str, data: bytes, signature: bytes, *, second: str = SIG_FILE
    ) -> None:
        import shutil
        import tempfile

        final = self.root / name
        if final.exists():
            shutil.rmtree(final)  # a leftover of an interrupted install, not referenced by state
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
        try:
            for file_name, content in ((DB_FILE, data), (second, signature)):
                with (staging / file_name).open("wb") as handle:
                    handle.write(content)
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _prune(self, keep: set[str | None]) -> None:
        import shutil

        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("db-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)


def _load_import(data: bytes, marker: bytes, db_path: Path) -> ImportedDb:
    """An unsigned import, checked against the hash recorded when it was built."""
    try:
        recorded = json.loads(marker)
        sha, label = str(recorded["sha256"]), str(recorded["built_from"])
    except (ValueError, KeyError, TypeError):
        raise InputError(
            "corrupt import record", location=Location(str(db_path.with_name(IMPORT_FILE)))
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha:
        raise InputError(
            "the imported price DB changed since it was built", location=Location(str(db_path))
        )
    return ImportedDb(parse_price_db(data, f"unsigned import ({label})", lazy=True), sha, label)


def _atomic_write(path: Path, content: bytes) -> None:
    import tempfile  # with shutil: only when an update is installed, not on every start

    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _day(db: PriceDB) -> str:
    return db.updated_at.strftime("%Y-%m-%d")


_ACTIVE: dict[tuple[Path, Path], Selection] = {}


def active_selection(settings: Settings | None = None) -> Selection:
    """The selection for this process (computed once per cache/config dir)."""
    settings = settings or Settings.from_env()
    key = (settings.cache_dir, settings.config_dir)
    if key not in _ACTIVE:
        _ACTIVE[key] = PriceStore(settings).select()
    return _ACTIVE[key]


def active_price_db() -> PriceDB:
    """What `load_price_db()` returns: the installed update when valid and newer, else bundled."""
    return active_selection().db


def forget_active_selection() -> None:
    """Drop the per-process choice (after an install or a rollback)."""
    _ACTIVE.clear()


def selection_for(db: PriceDB) -> Selection | None:
    """The per-process selection that produced `db`, if any (to show its warnings next to it)."""
    return next((s for s in _ACTIVE.values() if s.db is db), None)
