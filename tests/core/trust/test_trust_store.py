"""Installing signed updates: atomic, previous kept, rollback, no downgrade, tamper ignored."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from trust_helpers import KeyPair, needs_minisign

from llmcost_lsp.core.errors import InputError, SignatureError
from llmcost_lsp.core.pricing.db import bundled_price_bytes, parse_price_db
from llmcost_lsp.core.pricing.store import PriceStore, RollbackError
from llmcost_lsp.core.pricing.trust import format_trusted_comment
from llmcost_lsp.core.settings import Settings

BUNDLED = parse_price_db(bundled_price_bytes(), "bundled")


def db_bytes(days_after_bundled: float) -> bytes:
    """The bundled DB re-dated relative to its own date (which moves; the tests do not)."""
    document = json.loads(bundled_price_bytes())
    when = BUNDLED.updated_at + timedelta(days=days_after_bundled)
    document["updated_at"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(document, indent=2).encode()


def signed(pair: KeyPair, data: bytes, *, comment_date: datetime | None = None) -> bytes:
    db = parse_price_db(data, "x")
    comment = format_trusted_comment(
        1_800_000_000, "prices.json", db.schema_version, comment_date or db.updated_at
    )
    return pair.sign(data, comment)


@pytest.fixture
def pair(make_key: Callable[[], KeyPair]) -> KeyPair:
    return make_key()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", config_dir=tmp_path / "config")


@pytest.fixture
def store(settings: Settings, pair: KeyPair) -> PriceStore:
    return PriceStore(settings, keys=[pair.public("acme-finops")])


def install(store: PriceStore, pair: KeyPair, days: float) -> Path:
    data = db_bytes(days)
    return store.install(data, signed(pair, data), origin=f"update-{days}.json").path


def test_nothing_installed_uses_the_bundled_db(store: PriceStore) -> None:
    selection = store.select()
    assert selection.source == "bundled" and selection.warnings == ()
    assert selection.db.updated_at == BUNDLED.updated_at


def test_install_then_select_uses_the_update_with_its_date(
    store: PriceStore, pair: KeyPair
) -> None:
    path = install(store, pair, 2)
    assert path.read_bytes() == db_bytes(2)
    assert (path.parent / "prices.json.minisig").is_file()
    selection = store.select()
    assert selection.source == "installed" and selection.path == path
    assert selection.db.updated_at == BUNDLED.updated_at + timedelta(days=2)
    assert selection.verified is not None
    assert selection.verified.verified.key_name == "acme-finops"
    assert selection.db.origin == str(path)


def test_update_older_than_bundled_is_refused_and_nothing_written(
    store: PriceStore, pair: KeyPair
) -> None:
    with pytest.raises(RollbackError, match="older than the bundled DB in use") as info:
        install(store, pair, -1)
    assert info.value.exit_code == 3
    assert not store.root.exists()


def test_update_older_than_installed_is_refused(store: PriceStore, pair: KeyPair) -> None:
    install(store, pair, 5)
    with pytest.raises(RollbackError, match="older than the installed DB in use"):
        install(store, pair, 3)
    assert store.select().db.updated_at == BUNDLED.updated_at + timedelta(days=5)


def test_same_date_is_not_a_downgrade_and_reinstall_is_a_no_op(
    store: PriceStore, pair: KeyPair
) -> None:
    install(store, pair, 0)
    data = db_bytes(0)
    result = store.install(data, signed(pair, data), origin="again.json")
    assert result.already_installed


@pytest.mark.parametrize("days", [5, 0], ids=["installed", "bundled"])
def test_a_db_of_the_same_date_with_other_content_is_refused(
    store: PriceStore, pair: KeyPair, days: float
) -> None:
    """Probe note 20: a different DB with the date of the one in use replaced it (exit 0), and
    the ledger, which names prices by that date, could no longer tell the two apart."""
    if days:
        install(store, pair, days)
    document = json.loads(db_bytes(days))
    document["models"][0]["display_name"] = "Re-signed with other prices"
    data = json.dumps(document, indent=2).encode()
    source = "installed" if days else "bundled"
    with pytest.raises(RollbackError, match=f"the {source} DB in use has the same date and other"):
        store.install(data, signed(pair, data), origin="same-date.json")
    in_use = store.select().db
    assert in_use.updated_at == BUNDLED.updated_at + timedelta(days=days)
    assert all(model.display_name != "Re-signed with other prices" for model in in_use.models())


def test_previous_is_kept_and_rollback_restores_it(store: PriceStore, pair: KeyPair) -> None:
    first = install(store, pair, 1)
    second = install(store, pair, 2)
    assert store.select().previous is None  # not verified unless asked: it costs a parse
    selection = store.select(include_previous=True)
    assert selection.path == second
    assert selection.previous is not None and selection.previous.db.updated_at == (
        BUNDLED.updated_at + timedelta(days=1)
    )
    after = store.rollback()
    assert after.path == first and after.previous is None
    assert not second.exists()
    with pytest.raises(InputError, match="no previous price DB"):
        store.rollback()


def test_only_current_and_previous_are_kept(store: PriceStore, pair: KeyPair) -> None:
    for days in (1, 2, 3):
        install(store, pair, days)
    assert len([p for p in store.root.iterdir() if p.name.startswith("db-")]) == 2


def test_unverifiable_update_writes_nothing(store: PriceStore, pair: KeyPair) -> None:
    data = db_bytes(1)
    signature = signed(pair, data)
    with pytest.raises(SignatureError, match="file signature does not match"):
        store.install(data.replace(b'"', b"'", 1) + b" ", signature, origin="x.json")
    assert not store.root.exists()


def test_trusted_comment_must_match_the_db(store: PriceStore, pair: KeyPair) -> None:
    data = db_bytes(1)
    lying = signed(pair, data, comment_date=datetime(2099, 1, 1, tzinfo=UTC))
    with pytest.raises(SignatureError, match="trusted comment says updated_at 2099"):
        store.install(data, lying, origin="x.json")


def test_signed_garbage_is_a_pricing_error_not_installed(store: PriceStore, pair: KeyPair) -> None:
    from llmcost_lsp.core.errors import PricingError

    with pytest.raises(PricingError, match="not valid JSON"):
        store.install(b"{nope", pair.sign(b"{nope", "x:y"), origin="x.json")


def test_legacy_update_refused_unless_allowed(store: PriceStore, pair: KeyPair) -> None:
    data = db_bytes(1)
    db = parse_price_db(data, "x")
    comment = format_trusted_comment(1, "prices.json", db.schema_version, db.updated_at)
    legacy = pair.sign(data, comment, prehashed=False)
    with pytest.raises(SignatureError, match="legacy"):
        store.install(data, legacy, origin="x.json")
    assert store.install(data, legacy, origin="x.json", allow_legacy=True).path.is_file()


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "prices.json").write_bytes(
            (folder / "prices.json").read_bytes().replace(b"0", b"1", 1)
        ),
        lambda folder: (folder / "prices.json.minisig").write_text("garbage"),
        lambda folder: (folder / "prices.json.minisig").unlink(),
        lambda folder: shutil.rmtree(folder),
        lambda folder: (folder.parent / "state.json").write_text("{not json"),
        lambda folder: (folder.parent / "state.json").write_text('{"current": "../../etc"}'),
    ],
)
def test_broken_or_tampered_install_is_reported_and_ignored(
    store: PriceStore, pair: KeyPair, damage: Callable[[Path], object]
) -> None:
    path = install(store, pair, 3)
    damage(path.parent)
    selection = store.select()
    assert selection.source == "bundled"
    assert selection.db.updated_at == BUNDLED.updated_at
    assert len(selection.warnings) == 1
    assert "ignoring the installed price DB" in selection.warnings[0]
    assert "llm-cost pricing update" in selection.warnings[0]


def test_key_removed_from_trust_means_install_ignored(
    settings: Settings, pair: KeyPair, make_key: Callable[[], KeyPair]
) -> None:
    install(PriceStore(settings, keys=[pair.public()]), pair, 3)
    selection = PriceStore(settings, keys=[make_key().public()]).select()
    assert selection.source == "bundled"
    assert "untrusted key" in selection.warnings[0]


def test_installed_older_than_a_newer_bundled_db_is_not_used(
    settings: Settings, pair: KeyPair
) -> None:
    install(PriceStore(settings, keys=[pair.public()]), pair, 3)
    newer_bundled = parse_price_db(db_bytes(10), "bundled")
    later = PriceStore(settings, keys=[pair.public()], bundled=lambda: newer_bundled)
    selection = later.select()
    assert selection.source == "bundled" and selection.warnings == ()
    assert "older than the DB bundled" in selection.reason


@needs_minisign()
def test_db_signed_by_the_real_minisign_cli_installs(settings: Settings, tmp_path: Path) -> None:
    """How an org signs: `minisign -S -t "$(python pricing/sign.py --print-comment DB)"`."""
    from llmcost_lsp.core.pricing.trust import parse_public_key

    data = db_bytes(4)
    db_path = tmp_path / "acme-prices.json"
    db_path.write_bytes(data)
    db = parse_price_db(data, "x")
    comment = format_trusted_comment(1_800_000_000, db_path.name, 1, db.updated_at)
    run = {"check": True, "capture_output": True, "input": b""}
    subprocess.run(
        ["minisign", "-G", "-W", "-p", tmp_path / "k.pub", "-s", tmp_path / "k.key"], **run
    )
    subprocess.run(
        ["minisign", "-S", "-s", tmp_path / "k.key", "-m", db_path, "-t", comment], **run
    )
    key = parse_public_key((tmp_path / "k.pub").read_text(), name="acme")
    store = PriceStore(settings, keys=[key])
    signature = (tmp_path / "acme-prices.json.minisig").read_bytes()
    assert base64.b64decode(signature.splitlines()[1])[:2] == b"ED"  # prehashed by default
    store.install(data, signature, origin=str(db_path))
    assert store.select().db.updated_at == db.updated_at
