"""The maintainer script `pricing/sign.py`: keys from a file or the environment, output verified."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from trust_helpers import REPO_ROOT, needs_minisign

from llmcost_lsp.core.pricing.db import bundled_price_bytes, parse_price_db
from llmcost_lsp.core.pricing.store import verify_db
from llmcost_lsp.core.pricing.trust import parse_public_key

SCRIPT = REPO_ROOT / "pricing" / "sign.py"


def run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    path = tmp_path / "prices.json"
    path.write_bytes(bundled_price_bytes())
    return path


def test_sign_the_bundled_db_with_a_seed_file_then_verify(
    bundled_copy: Path, tmp_path: Path, sign_module: ModuleType
) -> None:
    seed = os.urandom(32)
    key_file = tmp_path / "seed.key"
    key_file.write_text(seed.hex())
    done = run_script("--key", str(key_file), str(bundled_copy), "--timestamp", "1800000000")
    assert done.returncode == 0, done.stderr
    assert seed.hex() not in done.stdout + done.stderr
    _, key_id = sign_module.load_secret_key(seed.hex())
    public = parse_public_key(sign_module.public_key_text(seed, key_id), name="release")
    signature = bundled_copy.with_name("prices.json.minisig").read_bytes()
    entry = verify_db(bundled_copy.read_bytes(), signature, [public], origin=str(bundled_copy))
    bundled = parse_price_db(bundled_price_bytes(), "bundled")
    assert entry.comment.updated_at == bundled.updated_at
    assert entry.comment.schema == bundled.schema_version
    assert entry.comment.timestamp == 1_800_000_000 and entry.verified.prehashed


def test_key_from_environment(bundled_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.minisig"
    done = run_script(str(bundled_copy), "-o", str(out), env={"LLMCOST_SIGNING_KEY": "ab" * 32})
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"untrusted comment: ")


def test_no_key_is_a_clear_error(bundled_copy: Path) -> None:
    done = run_script(str(bundled_copy), env={"LLMCOST_SIGNING_KEY": ""})
    assert done.returncode == 2 and "pass --key FILE or set LLMCOST_SIGNING_KEY" in done.stderr
    assert not bundled_copy.with_name("prices.json.minisig").exists()


def test_print_comment_for_minisign(bundled_copy: Path) -> None:
    done = run_script("--print-comment", "--timestamp", "5", str(bundled_copy))
    bundled = parse_price_db(bundled_price_bytes(), "bundled")
    stamp = bundled.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert done.stdout == f"timestamp:5\tfile:prices.json\tschema:1\tupdated_at:{stamp}\n"


def test_refuses_to_sign_an_invalid_db(tmp_path: Path) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text('{"schema_version": 1}')
    done = run_script(str(bad), env={"LLMCOST_SIGNING_KEY": "ab" * 32})
    assert done.returncode != 0 and "fails the schema" in done.stderr
    assert not bad.with_name("prices.json.minisig").exists()


@needs_minisign()
def test_minisign_unencrypted_key_file_and_minisign_verifies_our_signature(
    bundled_copy: Path, tmp_path: Path
) -> None:
    pub, key = tmp_path / "k.pub", tmp_path / "k.key"
    subprocess.run(
        ["minisign", "-G", "-W", "-p", pub, "-s", key], check=True, capture_output=True, input=b""
    )
    assert run_script("--key", str(key), str(bundled_copy)).returncode == 0
    checked = subprocess.run(
        ["minisign", "-V", "-p", pub, "-m", bundled_copy], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "schema:1\tupdated_at:" in checked.stdout


def test_encrypted_minisign_key_is_refused_with_the_workaround(sign_module: ModuleType) -> None:
    import base64

    raw = bytearray(158)
    raw[0:6] = b"EdScB2"
    text = f"untrusted comment: x\n{base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(sign_module.SigningKeyError, match="encrypted minisign key"):
        sign_module.load_secret_key(text)
