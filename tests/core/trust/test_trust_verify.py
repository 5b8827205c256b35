"""Minisign verification against real minisign 0.11 files, the note's vectors, and tampering."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from trust_helpers import FIXTURES, KeyPair

from llmcost_lsp.core.errors import SignatureError
from llmcost_lsp.core.pricing.trust import (
    PublicKey,
    Signature,
    blake2b_512,
    check_db_comment,
    format_trusted_comment,
    parse_db_comment,
    parse_public_key,
    parse_signature,
    verify_signature,
)

NOTE = FIXTURES / "note"
REAL = FIXTURES / "minisign-0.11"


def key(path: Path, name: str = "fixture") -> PublicKey:
    return parse_public_key(path.read_text(), name=name, source=str(path))


def sig(path: Path) -> Signature:
    return parse_signature(path.read_bytes(), origin=str(path))


def test_note_vector_made_by_minisign_cli_verifies() -> None:
    data = (NOTE / "prices.csv").read_bytes()
    verified = verify_signature(data, sig(NOTE / "prices.csv.minisig"), [key(NOTE / "test.pub")])
    assert verified.key_id == "C50A2333FFC37ED4"
    assert verified.trusted_comment == "pricing-db v2026.11.22"
    assert verified.prehashed


def test_note_deterministic_pynacl_vector_verifies_and_resigns_identically(
    sign_module: object,
) -> None:
    data = (NOTE / "prices.csv").read_bytes()
    verified = verify_signature(data, sig(NOTE / "prices.csv.py.minisig"), [key(NOTE / "py.pub")])
    assert verified.key_id == "0807060504030201"
    assert verified.trusted_comment == "timestamp:1763800000\tfile:prices.csv\thashed"
    # Ed25519 is deterministic: our signer must reproduce the note's bytes exactly.
    again = sign_module.sign_bytes(  # type: ignore[attr-defined]
        data,
        bytes(range(32)),
        bytes(range(1, 9)),
        "timestamp:1763800000\tfile:prices.csv\thashed",
        untrusted_comment="signature from pynacl",
    )
    assert again == (NOTE / "prices.csv.py.minisig").read_bytes()


def test_note_blake2b_512_of_message() -> None:
    assert blake2b_512((NOTE / "prices.csv").read_bytes()).hex().startswith("dd55ad7dc3b29fe4")


def test_real_minisign_prehashed_signature_with_our_trusted_comment() -> None:
    data = (REAL / "data.txt").read_bytes()
    verified = verify_signature(data, sig(REAL / "data.txt.minisig"), [key(REAL / "minisign.pub")])
    comment = parse_db_comment(verified.trusted_comment)
    assert (comment.schema, comment.file) == (1, "data.txt")
    assert comment.updated_at == datetime(2026, 11, 23, tzinfo=UTC)


def test_legacy_signature_refused_by_default_and_accepted_when_allowed() -> None:
    data = (REAL / "data.txt").read_bytes()
    legacy = sig(REAL / "data.txt.legacy.minisig")
    keys = [key(REAL / "minisign.pub")]
    with pytest.raises(SignatureError, match="legacy"):
        verify_signature(data, legacy, keys)
    verified = verify_signature(data, legacy, keys, allow_legacy=True)
    assert not verified.prehashed
    assert verified.trusted_comment == "legacy signature for tests"


def test_untrusted_key_is_named_in_the_error() -> None:
    data = (REAL / "data.txt").read_bytes()
    with pytest.raises(SignatureError, match="untrusted key 2F8AED1D9A09969C") as info:
        verify_signature(data, sig(REAL / "data.txt.other.minisig"), [key(REAL / "minisign.pub")])
    assert info.value.exit_code == 3
    assert "D7060E196DB2763A" in str(info.value)  # lists what is trusted


def test_same_key_id_different_key_fails_signature_check() -> None:
    real = key(REAL / "minisign.pub")
    impostor = PublicKey(real.key_id, key(REAL / "other.pub").key, name="impostor")
    with pytest.raises(SignatureError, match="file signature does not match"):
        verify_signature(
            (REAL / "data.txt").read_bytes(), sig(REAL / "data.txt.minisig"), [impostor]
        )


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def _reb64(line: bytes, index: int) -> bytes:
    raw = base64.b64decode(line)
    return base64.b64encode(_flip(raw, index))


@pytest.mark.parametrize("index", [0, 20, 57])
def test_flipped_data_byte_refused(index: int) -> None:
    data = _flip((REAL / "data.txt").read_bytes(), index)
    with pytest.raises(SignatureError, match="file signature does not match"):
        verify_signature(data, sig(REAL / "data.txt.minisig"), [key(REAL / "minisign.pub")])


def test_appended_byte_refused() -> None:
    data = (REAL / "data.txt").read_bytes() + b"\n"
    with pytest.raises(SignatureError, match="file signature does not match"):
        verify_signature(data, sig(REAL / "data.txt.minisig"), [key(REAL / "minisign.pub")])


@pytest.mark.parametrize(
    ("line", "change", "message"),
    [
        (1, lambda b: _reb64(b, 30), "file signature does not match"),  # the signature bytes
        (1, lambda b: _reb64(b, 3), "untrusted key"),  # the key id
        (2, lambda b: b.replace(b"schema:1", b"schema:2"), "trusted comment signature"),
        (2, lambda b: b + b" ", "trusted comment signature"),
        (3, lambda b: _reb64(b, 10), "trusted comment signature"),  # the global signature
    ],
)
def test_tampered_signature_file_refused(
    line: int, change: Callable[[bytes], bytes], message: str
) -> None:
    lines = _lines(REAL / "data.txt.minisig")
    lines[line] = change(lines[line])
    tampered = parse_signature(b"\n".join(lines))
    with pytest.raises(SignatureError, match=message):
        verify_signature((REAL / "data.txt").read_bytes(), tampered, [key(REAL / "minisign.pub")])


def test_edited_untrusted_comment_is_accepted_like_minisign() -> None:
    lines = _lines(REAL / "data.txt.minisig")
    lines[0] = b"untrusted comment: anybody can edit this line"
    edited = parse_signature(b"\n".join(lines))
    verified = verify_signature(
        (REAL / "data.txt").read_bytes(), edited, [key(REAL / "minisign.pub")]
    )
    assert verified.key_id == "D7060E196DB2763A"


def test_crlf_signature_file_accepted_like_minisign() -> None:
    crlf = (REAL / "data.txt.minisig").read_bytes().replace(b"\n", b"\r\n")
    verify_signature(
        (REAL / "data.txt").read_bytes(), parse_signature(crlf), [key(REAL / "minisign.pub")]
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.replace(b"\n", b"\r\r\n", 2), "stray carriage return"),  # minisign: too long
        (lambda t: t.replace(b"comment: timestamp", b"comment: time\rstamp"), "stray carriage"),
        (lambda t: b"\n".join(t.split(b"\n")[:3]), "truncated signature file: 3 of 4"),
        (lambda t: t[:120], "truncated"),
        (lambda t: b"", "truncated signature file: 0 of 4"),
        (lambda t: t + b"extra line\n", "unexpected content after line 4"),
        (lambda t: t.replace(b"untrusted comment:", b"untrusted-comment:"), "line 1 must start"),
        (lambda t: t.replace(b"trusted comment: time", b"comment: time"), "line 3 must start"),
        (lambda t: t.replace(b"RUQ6", b" RUQ6"), "signature is not valid base64"),
        (lambda t: t.replace(b"RUQ6", b"RUQ"), "signature is not valid base64"),
        (lambda t: t.replace(b"AQ==\n", b"AR==\n"), "global signature is not canonical"),
        (lambda t: t.replace(b"RUQ6", b"RUX6"), "unsupported signature algorithm"),
        (lambda t: bytes(range(256)) * 100, "more than"),
        (lambda t: b"\xff\xfe garbage\n" * 4, "line 1 must start"),
    ],
)
def test_malformed_signature_files_refused(mutate: Callable[[bytes], bytes], message: str) -> None:
    text = mutate((REAL / "data.txt.minisig").read_bytes())
    with pytest.raises(SignatureError, match=message) as info:
        parse_signature(text, origin="x.minisig")
    assert str(info.value).startswith("x.minisig")


def test_signature_lengths_are_checked() -> None:
    short = base64.b64encode(b"ED" + bytes(8) + bytes(63)).decode()
    text = f"untrusted comment: x\n{short}\ntrusted comment: t\n{'A' * 86}==\n".encode()
    with pytest.raises(SignatureError, match="73 bytes, expected 74"):
        parse_signature(text)


def test_public_key_forms() -> None:
    from_file = key(REAL / "minisign.pub")
    bare = parse_public_key((REAL / "minisign.pub").read_text().splitlines()[1])
    assert bare.key == from_file.key and bare.key_id_hex == "D7060E196DB2763A"
    assert from_file.to_base64() == (REAL / "minisign.pub").read_text().splitlines()[1]
    crlf = parse_public_key((REAL / "minisign.pub").read_text().replace("\n", "\r\n"))
    assert crlf.key == from_file.key


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "found 0"),
        ("RWQ6drJtGQ4G1094wux3at9Y6rhonXSRaEfD1BQrgdMPPwatouP5NT", "not valid base64"),
        (base64.b64encode(b"Ed" + bytes(39)).decode(), "41 bytes, expected 42"),
        (base64.b64encode(b"XX" + bytes(40)).decode(), "unsupported public key algorithm"),
        ("comment\nRWQ6drJtGQ4G1094wux3at9Y6rhonXSRaEfD1BQrgdMPPwatouP5NTC0", "must start"),
        ("a\nb\nc", "found 3"),
    ],
)
def test_malformed_public_keys_refused(text: str, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        parse_public_key(text, source="k.pub")


def test_key_generated_at_test_time_round_trip(make_key: Callable[[], KeyPair]) -> None:
    pair, other = make_key(), make_key()
    data = b'{"any": "bytes"}'
    signature = parse_signature(pair.sign(data, "hello"))
    assert verify_signature(data, signature, [other.public(), pair.public("mine")]).key_name == (
        "mine"
    )
    with pytest.raises(SignatureError, match="untrusted key"):
        verify_signature(data, signature, [other.public()])


def test_db_comment_must_match_the_db(make_key: Callable[[], KeyPair]) -> None:
    pair = make_key()
    day = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    comment = format_trusted_comment(1763900000, "prices.json", 3, day)
    assert comment == (
        "timestamp:1763900000\tfile:prices.json\tschema:3\tupdated_at:2026-11-23T12:00:00Z"
    )
    verified = verify_signature(b"db", parse_signature(pair.sign(b"db", comment)), [pair.public()])
    assert check_db_comment(verified, schema_version=3, updated_at=day).timestamp == 1763900000
    with pytest.raises(SignatureError, match="schema 3 but the DB is schema 4"):
        check_db_comment(verified, schema_version=4, updated_at=day)
    with pytest.raises(SignatureError, match="updated_at 2026-11-23T12:00:00Z but the DB says"):
        check_db_comment(verified, schema_version=3, updated_at=day.replace(hour=13))


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("timestamp:1\tfile:prices.json\thashed", "not key:value"),
        ("timestamp:1\tfile:prices.json", "lacks schema, updated_at"),
        ("timestamp:x\tschema:1\tupdated_at:2026-11-23T00:00:00Z", "malformed"),
        ("timestamp:1\tschema:1\tupdated_at:2026-11-23T00:00:00", "no time zone"),
    ],
)
def test_bad_db_comments_refused(comment: str, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        parse_db_comment(comment)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=340), st.binary(max_size=80))
def test_inserted_bytes_raise_only_signature_errors(index: int, junk: bytes) -> None:
    original = (REAL / "data.txt.minisig").read_bytes()
    with contextlib.suppress(SignatureError):
        parse_signature(original[:index] + junk + original[index:])


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=336), st.integers(min_value=1, max_value=255))
@example(336, 0x0A ^ 0x0D)  # the final "\n" becomes "\r": same lines, still valid
@example(300, 0x01)  # a byte of the global signature
def test_any_single_byte_change_of_a_real_signature_file_is_caught(index: int, xor: int) -> None:
    original = (REAL / "data.txt.minisig").read_bytes()
    if index >= len(original):
        return
    changed = original[:index] + bytes([original[index] ^ xor]) + original[index + 1 :]
    untrusted_line_end = original.index(b"\n")
    try:
        verified = verify_signature(
            (REAL / "data.txt").read_bytes(),
            parse_signature(changed),
            [key(REAL / "minisign.pub")],
        )
    except SignatureError:
        return
    # Only the unauthenticated first line may change without detection, and the final line end
    # may become "\r" (minisign trims trailing "\r" and "\n" too: the signed bytes are the same).
    final_line_end = index == len(original) - 1 and changed[index:] == b"\r"
    assert index < untrusted_line_end or final_line_end
    assert verified.trusted_comment.endswith("updated_at:2026-11-23T00:00:00Z")
