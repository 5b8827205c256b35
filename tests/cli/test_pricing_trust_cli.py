"""`llm-cost pricing verify|update|status|rollback` and the staleness helper, as users run them."""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from llmcost_lsp.cli.freshness import add_freshness_flags, apply_freshness
from llmcost_lsp.cli.main import main
from llmcost_lsp.core.errors import StalePricingError
from llmcost_lsp.core.pricing.db import bundled_price_bytes, parse_price_db
from llmcost_lsp.core.pricing.trust import format_trusted_comment
from llmcost_lsp.core.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED = parse_price_db(bundled_price_bytes(), "bundled")


def _sign_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("llmcost_sign", REPO_ROOT / "pricing" / "sign.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SIGN = _sign_module()


class OrgKey:
    """A key generated at test time and trusted through the user's config.toml."""

    def __init__(self, name: str = "acme-finops") -> None:
        self.seed, self.key_id = os.urandom(32), os.urandom(8)
        self.name = name
        self.key_id_hex = self.key_id[::-1].hex().upper()

    def trust(self) -> None:
        config = Path(os.environ["LLMCOST_CONFIG_DIR"]) / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        line = SIGN.public_key_text(self.seed, self.key_id).splitlines()[1]
        with config.open("a") as out:
            out.write(f'[[pricing.trusted_keys]]\nname = "{self.name}"\npublic_key = "{line}"\n\n')

    def write_db(self, folder: Path, days_after_bundled: float, *, legacy: bool = False) -> Path:
        document = json.loads(bundled_price_bytes())
        when = BUNDLED.updated_at + timedelta(days=days_after_bundled)
        document["updated_at"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        for model in document["models"]:
            if model["id"] == "gpt-4o":
                model["display_name"] = f"GPT-4o (acme sheet +{days_after_bundled}d)"
        data = json.dumps(document, indent=2).encode()
        path = folder / f"prices-{days_after_bundled}.json"
        path.write_bytes(data)
        comment = format_trusted_comment(1_800_000_000, path.name, 1, when)
        signature = SIGN.sign_bytes(data, self.seed, self.key_id, comment, prehashed=not legacy)
        path.with_name(path.name + ".minisig").write_bytes(signature)
        return path


def fresh_process(*args: str) -> subprocess.CompletedProcess[str]:
    """A new interpreter: nothing cached in memory, like a user's next command."""
    return subprocess.run(
        [sys.executable, "-m", "llmcost_lsp.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        # CI=true: a stale bundled DB only warns, so these tests keep passing as the calendar moves
        env={**os.environ, "CI": "true"},
    )


def stamp(days: float) -> str:
    return (BUNDLED.updated_at + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_round_trip_update_then_a_fresh_process_uses_the_installed_db(tmp_path: Path) -> None:
    key = OrgKey()
    key.trust()
    update = key.write_db(tmp_path, 2)
    installed = fresh_process("pricing", "update", "--from", str(update))
    assert installed.returncode == 0, installed.stderr
    assert f"installed price DB {stamp(2)}, signed by acme-finops ({key.key_id_hex})" in (
        installed.stdout
    )
    status = fresh_process("pricing", "status", "--format", "json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["source"] == "installed"
    assert report["updated_at"] == stamp(2)
    assert report["signer"]["key_name"] == "acme-finops"
    assert report["warnings"] == [] and status.stderr == ""
    # The DB actually used for prices is the update, not the bundled one.
    show = fresh_process("pricing", "show", "gpt-4o", "--format", "json")
    assert show.returncode == 0, show.stderr
    assert json.loads(show.stdout)["display_name"] == "GPT-4o (acme sheet +2d)"


def test_tampered_install_is_reported_and_the_bundled_db_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = OrgKey()
    key.trust()
    assert main(["pricing", "update", "--from", str(key.write_db(tmp_path, 2))]) == 0
    installed = next((Path(os.environ["LLMCOST_CACHE_DIR"]) / "pricing").glob("db-*"))
    db_file = installed / "prices.json"
    db_file.write_bytes(db_file.read_bytes().replace(b"acme sheet", b"evil sheet"))
    capsys.readouterr()
    status = fresh_process("pricing", "status", "--format", "json")
    report = json.loads(status.stdout)
    assert report["source"] == "bundled"
    assert report["updated_at"] == stamp(0)
    assert "file signature does not match" in status.stderr
    assert "llm-cost pricing update" in status.stderr
    show = fresh_process("pricing", "show", "gpt-4o", "--format", "json")
    assert "evil" not in show.stdout


def test_verify_shows_signer_and_trusted_comment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = OrgKey()
    key.trust()
    db = key.write_db(tmp_path, 1)
    assert main(["pricing", "verify", str(db)]) == 0
    out = capsys.readouterr().out
    assert f"acme-finops ({key.key_id_hex})" in out
    assert f"updated_at:{stamp(1)}" in out and "prehashed (ED)" in out


def test_verify_failures_exit_3_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, stranger = OrgKey(), OrgKey("stranger")
    key.trust()
    db = key.write_db(tmp_path, 1)
    db.write_bytes(db.read_bytes() + b"\n")
    assert main(["pricing", "verify", str(db)]) == 3
    assert "file signature does not match" in capsys.readouterr().err
    foreign = stranger.write_db(tmp_path / "", 5)
    assert main(["pricing", "verify", str(foreign)]) == 3
    assert f"untrusted key {stranger.key_id_hex}" in capsys.readouterr().err
    legacy = key.write_db(tmp_path, 3, legacy=True)
    assert main(["pricing", "verify", str(legacy)]) == 3
    assert "legacy" in capsys.readouterr().err
    assert main(["pricing", "verify", str(legacy), "--allow-legacy"]) == 0


def test_pinned_release_key_is_trusted_without_config(tmp_path: Path) -> None:
    """The bundled DB signed with a throwaway key is refused: only the pinned key is trusted."""
    db = tmp_path / "prices.json"
    db.write_bytes(bundled_price_bytes())
    seed, key_id = os.urandom(32), os.urandom(8)
    comment = format_trusted_comment(1, "prices.json", 1, BUNDLED.updated_at)
    sig = SIGN.sign_bytes(db.read_bytes(), seed, key_id, comment)
    db.with_name("prices.json.minisig").write_bytes(sig)
    assert main(["pricing", "verify", str(db)]) == 3


def test_update_older_than_installed_is_refused_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = OrgKey()
    key.trust()
    assert main(["pricing", "update", "--from", str(key.write_db(tmp_path, 5))]) == 0
    assert main(["pricing", "update", "--from", str(key.write_db(tmp_path, 4))]) == 3
    err = capsys.readouterr().err
    assert f"refusing to install a price DB dated {stamp(4)}" in err
    assert f"older than the installed DB in use ({stamp(5)})" in err


def test_update_then_rollback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = OrgKey()
    key.trust()
    assert main(["pricing", "update", "--from", str(key.write_db(tmp_path, 1))]) == 0
    assert main(["pricing", "update", "--from", str(key.write_db(tmp_path, 2))]) == 0
    assert f"previous DB ({stamp(1)}) kept" in capsys.readouterr().out
    assert main(["pricing", "update", "--from", str(key.write_db(tmp_path, 2))]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert main(["pricing", "rollback"]) == 0
    assert f"installed DB ({stamp(1)}" in capsys.readouterr().out
    assert main(["pricing", "status", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["updated_at"] == stamp(1)
    assert main(["pricing", "rollback"]) == 2
    assert "no previous price DB" in capsys.readouterr().err


def test_update_refuses_plain_http(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pricing", "update", "--from", "http://127.0.0.1:9/prices.json"]) == 2
    assert "refusing plain http://" in capsys.readouterr().err


def test_status_table_for_the_bundled_db(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pricing", "status"]) == 0
    out = capsys.readouterr().out
    assert "bundled DB (no update installed)" in out
    assert BUNDLED.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") in out


# ---- the staleness helper every pricing command calls ---------------------------------------


def flags(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_freshness_flags(parser)
    return parser.parse_args(list(argv))


@pytest.fixture(autouse=True)
def _own_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    # freshness prints a warning once per (id(stream), text): a new StringIO can get the id of
    # an earlier test's, whose warning would then count as shown already
    from llmcost_lsp.cli import freshness

    monkeypatch.setattr(freshness, "_shown", set())


def check(days: float, *argv: str, ci: bool = False) -> str:
    stream = io.StringIO()
    settings = Settings(cache_dir=Path("unused"), config_dir=Path("unused"), ci=ci)
    now = BUNDLED.updated_at + timedelta(days=days)
    apply_freshness(flags(*argv), BUNDLED, settings=settings, now=now, stream=stream)
    return stream.getvalue()


def test_fresh_db_prints_nothing() -> None:
    assert check(3) == ""


def test_stale_db_warns_on_stderr_with_the_fix() -> None:
    out = check(12)
    assert out.startswith("llm-cost: warning: price DB is 12 days old")
    assert "`pip install -U llm-cost`" in out
    assert "`llm-cost pricing update --from FILE|URL`" in out
    assert "LLMCOST_STALE_OK_UNTIL=YYYY-MM-DD" in out


def test_acknowledged_stale_db_is_quiet_until_the_date_then_warns_again() -> None:
    made = BUNDLED.updated_at.date()
    settings = Settings(
        cache_dir=Path("unused"),
        config_dir=Path("unused"),
        stale_ok_until=made + timedelta(days=40),
    )

    def run(days: float, *argv: str) -> str:
        stream = io.StringIO()
        now = BUNDLED.updated_at + timedelta(days=days)
        apply_freshness(flags(*argv), BUNDLED, settings=settings, now=now, stream=stream)
        return stream.getvalue()

    assert run(12) == "" and run(35) == ""  # warning band and critical band, acknowledged
    assert "12 days old" in check(12)  # the same day without the acknowledgement
    with pytest.raises(StalePricingError):
        run(41)  # the acknowledgement has run out: critical locally again
    with pytest.raises(StalePricingError):
        run(35, "--strict")  # --strict is never acknowledged away


def test_update_without_a_source_says_there_is_no_download_and_what_works(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["pricing", "update"]) == 2
    err = capsys.readouterr().err
    assert "no default price DB download" in err
    assert "pip install -U llm-cost" in err and "--from FILE|URL" in err


def test_critically_stale_db_fails_with_exit_4_locally() -> None:
    with pytest.raises(StalePricingError, match="31 days old") as info:
        check(31)
    assert info.value.exit_code == 4


def test_ci_fails_open_and_strict_fails_everywhere() -> None:
    assert "not failing in CI" in check(31, ci=True)
    with pytest.raises(StalePricingError):
        check(31, "--strict", ci=True)
    assert check(31, "--allow-stale") == ""


def test_downgrades_are_refused_and_a_replay_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Probe 5.3: a DB older than the bundled one, and an older one replayed after a newer
    install, are refused (exit 3); installing the same file again is 'already up to date'."""
    key = OrgKey()
    key.trust()
    assert main(["pricing", "update", "--from", str(key.write_db(tmp_path, -22))]) == 3
    assert "older than the bundled DB" in capsys.readouterr().err
    newer, older = key.write_db(tmp_path, 9), key.write_db(tmp_path, 2)
    assert main(["pricing", "update", "--from", str(newer)]) == 0
    capsys.readouterr()
    assert main(["pricing", "update", "--from", str(older)]) == 3
    assert f"older than the installed DB in use ({stamp(9)})" in capsys.readouterr().err
    assert main(["pricing", "update", "--from", str(newer)]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert main(["pricing", "status", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["updated_at"] == stamp(9)


@pytest.mark.parametrize("form", ["symlink", "dot-dot"])
def test_local_file_urls_read_the_file_they_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    """Probe 5.7: `file:///…/link.json` (a symlink to the signed DB) and `file:///etc/../…`
    install the DB they name, checked like any other."""
    key = OrgKey()
    key.trust()
    real = key.write_db(tmp_path, 3)
    if form == "symlink":
        source = tmp_path / "link.json"
        source.symlink_to(real)
        source.with_name("link.json.minisig").symlink_to(real.with_name(real.name + ".minisig"))
        url = source.as_uri()
    else:
        url = "file:///etc/.." + str(real)
    assert main(["pricing", "update", "--from", url]) == 0
    capsys.readouterr()
    assert main(["pricing", "status", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["updated_at"] == stamp(3)


def test_a_file_url_naming_another_host_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Probe 5.7: `file://remotehost/…` read this machine's file, ignoring the host."""
    key = OrgKey()
    key.trust()
    real = key.write_db(tmp_path, 3)
    assert main(["pricing", "update", "--from", f"file://remotehost{real}"]) == 2
    err = capsys.readouterr().err
    assert "a file:// URL with a host (remotehost) is not local" in err
    assert main(["pricing", "update", "--from", f"file://localhost{real}"]) == 0
