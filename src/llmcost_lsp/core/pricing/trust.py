"""Minisign-compatible Ed25519 verification (pynacl) and the trusted comment of our price DBs.

Byte layouts follow minisign 0.11; every failure is a `SignatureError` saying which check failed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import nacl.exceptions
import nacl.hash
import nacl.signing
from nacl.encoding import RawEncoder

from llmcost_lsp.core.errors import Location, SignatureError

LEGACY_ALG = b"Ed"  # signature over the raw file
PREHASHED_ALG = b"ED"  # signature over BLAKE2b-512(file)
KEY_ALG = b"Ed"  # a public key always says "Ed", whatever the signature mode

UNTRUSTED_PREFIX = "untrusted comment: "
TRUSTED_PREFIX = "trusted comment: "
# minisign's buffers: COMMENTMAXBYTES and TRUSTEDCOMMENTMAXBYTES (both include the prefix)
MAX_UNTRUSTED_BYTES = 1024
MAX_TRUSTED_BYTES = 8192
MAX_SIGNATURE_FILE_BYTES = 16 * 1024

_PUBLIC_KEY_LEN = 2 + 8 + 32
_SIGNATURE_LEN = 2 + 8 + 64
_GLOBAL_SIGNATURE_LEN = 64


@dataclass(frozen=True)
class PublicKey:
    """A trusted Ed25519 key: minisign key id, raw key, where it came from and when it is valid."""

    key_id: bytes
    key: bytes
    name: str = "unnamed"
    source: str = "<inline>"
    valid_from: date | None = None
    valid_until: date | None = None

    @property
    def key_id_hex(self) -> str:
        return key_id_hex(self.key_id)

    def to_base64(self) -> str:
        return base64.b64encode(KEY_ALG + self.key_id + self.key).decode("ascii")


@dataclass(frozen=True)
class Signature:
    """A parsed `.minisig` file. The untrusted comment is kept only for display."""

    algorithm: bytes
    key_id: bytes
    signature: bytes
    untrusted_comment: str
    trusted_comment: bytes
    global_signature: bytes
    origin: str = "<signature>"

    @property
    def prehashed(self) -> bool:
        return self.algorithm == PREHASHED_ALG

    @property
    def key_id_hex(self) -> str:
        return key_id_hex(self.key_id)


@dataclass(frozen=True)
class Verified:
    """Proof that a file was signed by a trusted key; carries the authenticated trusted comment."""

    key_id: str
    key_name: str
    key_source: str
    trusted_comment: str
    prehashed: bool
    key: PublicKey


@dataclass(frozen=True)
class DbComment:
    """The fields our signer writes into the trusted comment of a price DB signature."""

    timestamp: int
    file: str
    schema: int
    updated_at: datetime

    def format(self) -> str:
        return format_trusted_comment(self.timestamp, self.file, self.schema, self.updated_at)


def key_id_hex(key_id: bytes) -> str:
    """Key id as minisign prints it: the little-endian u64 in upper-case hex."""
    return key_id[::-1].hex().upper()


def _strict_b64(text: str, expected_len: int, what: str, location: Location) -> bytes:
    """Decode canonical standard base64 of exactly `expected_len` bytes, or raise."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise SignatureError(f"{what} is not valid base64", location=location) from None
    # Re-encoding catches non-zero padding bits and other non-canonical spellings.
    if base64.b64encode(raw).decode("ascii") != text:
        raise SignatureError(f"{what} is not canonical base64", location=location)
    if len(raw) != expected_len:
        raise SignatureError(
            f"{what} decodes to {len(raw)} bytes, expected {expected_len}", location=location
        )
    return raw


def _split_lines(data: bytes, origin: str) -> list[bytes]:
    """Split on LF; drop one trailing CR per line like minisign; any other CR is refused."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    result = []
    for number, line in enumerate(lines, start=1):
        stripped = line[:-1] if line.endswith(b"\r") else line
        if b"\r" in stripped:
            raise SignatureError(
                "stray carriage return inside a line",
                location=Location(origin, number),
            )
        result.append(stripped)
    return result


def parse_public_key(
    text: str,
    *,
    name: str = "unnamed",
    source: str = "<inline>",
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> PublicKey:
    """Parse a minisign public key: the 2-line `.pub` file or the bare base64 line (`-P` form)."""
    lines = _split_lines(text.encode("utf-8"), source)
    lines = [line for line in lines if line.strip()]
    if len(lines) == 2:
        if not lines[0].startswith(UNTRUSTED_PREFIX.encode()):
            raise SignatureError(
                f"public key file must start with {UNTRUSTED_PREFIX.strip()!r}",
                location=Location(source, 1),
            )
        line_number, key_line = 2, lines[1].decode("utf-8", "replace")
    elif len(lines) == 1:
        line_number, key_line = 1, lines[0].decode("utf-8", "replace").strip()
    else:
        raise SignatureError(
            f"a public key is 1 base64 line or a 2-line minisign .pub file, found {len(lines)}",
            location=Location(source),
        )
    location = Location(source, line_number)
    raw = _strict_b64(key_line, _PUBLIC_KEY_LEN, "public key", location)
    if raw[:2] != KEY_ALG:
        raise SignatureError(
            f"unsupported public key algorithm {raw[:2]!r} (expected 'Ed')", location=location
        )
    return PublicKey(
        key_id=raw[2:10],
        key=raw[10:],
        name=name,
        source=source,
        valid_from=valid_from,
        valid_until=valid_until,
    )


def parse_signature(data: bytes, *, origin: str = "<signature>") -> Signature:
    """Parse a `.minisig` file: untrusted comment, signature, trusted comment, global signature."""
    if len(data) > MAX_SIGNATURE_FILE_BYTES:
        raise SignatureError(
            f"signature file is {len(data)} bytes, more than {MAX_SIGNATURE_FILE_BYTES}",
            location=Location(origin),
        )
    lines = _split_lines(data, origin)
    if len(lines) < 4:
        raise SignatureError(
            f"truncated signature file: {len(lines)} of 4 lines", location=Location(origin)
        )
    if any(line.strip() for line in lines[4:]):
        raise SignatureError("unexpected content after line 4", location=Location(origin, 5))
    untrusted, sig_line, trusted, global_line = lines[:4]
    if not untrusted.startswith(UNTRUSTED_PREFIX.encode()):
        raise SignatureError(
            f"line 1 must start with {UNTRUSTED_PREFIX.strip()!r}", location=Location(origin, 1)
        )
    if len(untrusted) >= MAX_UNTRUSTED_BYTES:
        raise SignatureError("untrusted comment too long", location=Location(origin, 1))
    if not trusted.startswith(TRUSTED_PREFIX.encode()):
        raise SignatureError(
            f"line 3 must start with {TRUSTED_PREFIX.strip()!r}", location=Location(origin, 3)
        )
    if len(trusted) >= MAX_TRUSTED_BYTES:
        raise SignatureError("trusted comment too long", location=Location(origin, 3))
    try:
        sig_text, global_text = sig_line.decode("ascii"), global_line.decode("ascii")
    except UnicodeDecodeError:
        raise SignatureError(
            "signature lines must be ASCII base64", location=Location(origin)
        ) from None
    raw = _strict_b64(sig_text, _SIGNATURE_LEN, "signature", Location(origin, 2))
    if raw[:2] not in (LEGACY_ALG, PREHASHED_ALG):
        raise SignatureError(
            f"unsupported signature algorithm {raw[:2]!r}", location=Location(origin, 2)
        )
    global_signature = _strict_b64(
        global_text, _GLOBAL_SIGNATURE_LEN, "global signature", Location(origin, 4)
    )
    return Signature(
        algorithm=raw[:2],
        key_id=raw[2:10],
        signature=raw[10:],
        untrusted_comment=untrusted[len(UNTRUSTED_PREFIX) :].decode("utf-8", "replace"),
        trusted_comment=trusted[len(TRUSTED_PREFIX) :],
        global_signature=global_signature,
        origin=origin,
    )


def blake2b_512(message: bytes) -> bytes:
    """minisign's prehash: unkeyed BLAKE2b with a 64-byte digest."""
    digest: bytes = nacl.hash.blake2b(message, digest_size=64, encoder=RawEncoder)
    return digest


def verify_signature(
    message: bytes,
    signature: Signature,
    trusted_keys: Sequence[PublicKey],
    *,
    allow_legacy: bool = False,
) -> Verified:
    """Check `signature` over `message` against the trusted keys, as `minisign -V` does."""
    where = Location(signature.origin)
    if not signature.prehashed and not allow_legacy:
        raise SignatureError(
            f"legacy (non-prehashed 'Ed') signature from key {signature.key_id_hex} refused",
            location=where,
            hint="re-sign with minisign 0.10+ (prehashed by default), or pass --allow-legacy",
        )
    key = next((k for k in trusted_keys if k.key_id == signature.key_id), None)
    if key is None:
        known = ", ".join(k.key_id_hex for k in trusted_keys) or "none"
        raise SignatureError(
            f"signed by untrusted key {signature.key_id_hex} (trusted keys: {known})",
            location=where,
            hint="add the signer's public key to [[pricing.trusted_keys]] in your config",
        )
    verify_key = nacl.signing.VerifyKey(key.key)
    signed = blake2b_512(message) if signature.prehashed else message
    try:
        verify_key.verify(signed, signature.signature)
    except nacl.exceptions.BadSignatureError:
        raise SignatureError(
            f"file signature does not match the data (key {key.key_id_hex}, {key.name}): "
            "the file or its signature was modified",
            location=where,
        ) from None
    try:
        verify_key.verify(
            signature.signature + signature.trusted_comment, signature.global_signature
        )
    except nacl.exceptions.BadSignatureError:
        raise SignatureError(
            f"trusted comment signature is invalid (key {key.key_id_hex}, {key.name}): "
            "the trusted comment was modified",
            location=where,
        ) from None
    return Verified(
        key_id=key.key_id_hex,
        key_name=key.name,
        key_source=key.source,
        trusted_comment=signature.trusted_comment.decode("utf-8", "replace"),
        prehashed=signature.prehashed,
        key=key,
    )


def format_trusted_comment(timestamp: int, file: str, schema: int, updated_at: datetime) -> str:
    """`timestamp:<unix>\\tfile:<name>\\tschema:<n>\\tupdated_at:<RFC 3339 UTC>`."""
    stamp = format_rfc3339(updated_at)
    return f"timestamp:{timestamp}\tfile:{file}\tschema:{schema}\tupdated_at:{stamp}"


def format_rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("updated_at must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_db_comment(comment: str, *, origin: str = "<signature>") -> DbComment:
    """Parse our trusted-comment fields; unknown fields are allowed for forward compatibility."""
    where = Location(origin, 3)
    fields: dict[str, str] = {}
    for part in comment.split("\t"):
        key, sep, value = part.partition(":")
        if not sep:
            raise SignatureError(f"trusted comment field {part!r} is not key:value", location=where)
        fields[key] = value
    missing = [k for k in ("timestamp", "schema", "updated_at") if k not in fields]
    if missing:
        raise SignatureError(
            f"trusted comment lacks {', '.join(missing)} (not signed by the llm-cost signer?)",
            location=where,
            hint="sign with `python pricing/sign.py`, or pass its --print-comment output to "
            "`minisign -S -t`",
        )
    try:
        timestamp = int(fields["timestamp"])
        schema = int(fields["schema"])
        updated_at = datetime.fromisoformat(fields["updated_at"])
    except ValueError as error:
        raise SignatureError(f"malformed trusted comment: {error}", location=where) from None
    if updated_at.tzinfo is None:
        raise SignatureError("trusted comment updated_at has no time zone", location=where)
    return DbComment(timestamp, fields.get("file", ""), schema, updated_at.astimezone(UTC))


def check_db_comment(
    verified: Verified, *, schema_version: int, updated_at: datetime, origin: str = "<signature>"
) -> DbComment:
    """The signed comment must describe the DB it signs (date, schema), or the pair is refused."""
    comment = parse_db_comment(verified.trusted_comment, origin=origin)
    if comment.schema != schema_version:
        raise SignatureError(
            f"trusted comment says schema {comment.schema} but the DB is schema {schema_version}",
            location=Location(origin, 3),
        )
    if comment.updated_at != updated_at.astimezone(UTC):
        raise SignatureError(
            f"trusted comment says updated_at {format_rfc3339(comment.updated_at)} but the DB "
            f"says {format_rfc3339(updated_at)}",
            location=Location(origin, 3),
        )
    return comment


def check_key_validity(key: PublicKey, updated_at: datetime, origin: str) -> None:
    """A rotated-out key may not vouch for DBs dated after its end, nor a new key for older ones."""
    day = updated_at.astimezone(UTC).date()
    if key.valid_from is not None and day < key.valid_from:
        raise SignatureError(
            f"key {key.key_id_hex} ({key.name}) is valid from {key.valid_from}, "
            f"but signs a DB dated {day}",
            location=Location(origin),
        )
    if key.valid_until is not None and day > key.valid_until:
        raise SignatureError(
            f"key {key.key_id_hex} ({key.name}) was retired on {key.valid_until}, "
            f"but signs a DB dated {day}",
            location=Location(origin),
        )
