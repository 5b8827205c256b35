"""Maintainer script: sign a price DB with a minisign-compatible prehashed signature.

Usage: python pricing/sign.py [--key FILE] DB [-o DB.minisig]   (or LLMCOST_SIGNING_KEY=...)
The trusted comment carries the DB's schema version and updated_at; `llm-cost` checks both.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import nacl.hash
import nacl.signing
from nacl.encoding import RawEncoder

KEY_ENV = "LLMCOST_SIGNING_KEY"
_SECRET_KEY_LEN = 158  # minisign's SeckeyStruct


class SigningKeyError(ValueError):
    """The secret key could not be read; the message never contains key material."""


def load_secret_key(text: str) -> tuple[bytes, bytes]:
    """(seed, key_id) from a minisign unencrypted (-W) secret key file, or a raw seed.

    A raw seed is 32 bytes as 64 hex digits or base64; its key id is BLAKE2b-64 of the public key.
    """
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) == 2 and lines[0].startswith("untrusted comment:"):
        try:
            raw = base64.b64decode(lines[1], validate=True)
        except binascii.Error:
            raise SigningKeyError("secret key line is not base64") from None
        if len(raw) != _SECRET_KEY_LEN or raw[:2] != b"Ed" or raw[4:6] != b"B2":
            raise SigningKeyError("not a minisign secret key")
        if raw[2:4] != b"\0\0":
            raise SigningKeyError(
                'encrypted minisign key: sign with `minisign -S -t "$(python pricing/sign.py '
                '--print-comment DB)"`, or use an unencrypted (-W) key'
            )
        key_id, secret = raw[54:62], raw[62:126]
        seed = secret[:32]
        if bytes(nacl.signing.SigningKey(seed).verify_key) != secret[32:]:
            raise SigningKeyError("corrupt minisign secret key (public half does not match)")
        return seed, key_id
    if len(lines) == 1:
        seed = _decode_seed(lines[0])
        public = bytes(nacl.signing.SigningKey(seed).verify_key)
        return seed, nacl.hash.blake2b(public, digest_size=8, encoder=RawEncoder)
    raise SigningKeyError("expected a minisign secret key file or a 32-byte seed")


def _decode_seed(line: str) -> bytes:
    try:
        seed = bytes.fromhex(line) if len(line) == 64 else base64.b64decode(line, validate=True)
    except (ValueError, binascii.Error):
        raise SigningKeyError("seed is neither 64 hex digits nor base64") from None
    if len(seed) != 32:
        raise SigningKeyError(f"seed must be 32 bytes, got {len(seed)}")
    return seed


def public_key_text(seed: bytes, key_id: bytes) -> str:
    """The matching minisign `.pub` file."""
    public = bytes(nacl.signing.SigningKey(seed).verify_key)
    shown = key_id[::-1].hex().upper()
    line = base64.b64encode(b"Ed" + key_id + public).decode()
    return f"untrusted comment: minisign public key {shown}\n{line}\n"


def sign_bytes(
    data: bytes,
    seed: bytes,
    key_id: bytes,
    trusted_comment: str,
    *,
    prehashed: bool = True,
    untrusted_comment: str = "signature from llm-cost pricing/sign.py",
) -> bytes:
    """A `.minisig` file for `data`, byte-compatible with `minisign -S` (prehashed by default)."""
    if any(c in trusted_comment for c in "\r\n") or any(c in untrusted_comment for c in "\r\n"):
        raise ValueError("comments must be one line")
    signer = nacl.signing.SigningKey(seed)
    message = nacl.hash.blake2b(data, digest_size=64, encoder=RawEncoder) if prehashed else data
    signature = signer.sign(message).signature
    comment = trusted_comment.encode("utf-8")
    global_signature = signer.sign(signature + comment).signature
    alg = b"ED" if prehashed else b"Ed"
    return (
        f"untrusted comment: {untrusted_comment}\n"
        f"{base64.b64encode(alg + key_id + signature).decode()}\n"
        f"trusted comment: {trusted_comment}\n"
        f"{base64.b64encode(global_signature).decode()}\n"
    ).encode()


def db_trusted_comment(data: bytes, file_name: str, timestamp: int | None = None) -> str:
    """Validate the DB with llm-cost's own parser, then describe it in our trusted comment."""
    from llmcost_lsp.core.pricing.db import parse_price_db
    from llmcost_lsp.core.pricing.trust import format_trusted_comment

    db = parse_price_db(data, file_name)
    stamp = int(time.time()) if timestamp is None else timestamp
    return format_trusted_comment(stamp, Path(file_name).name, db.schema_version, db.updated_at)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("db", type=Path, help="price DB (JSON) to sign")
    parser.add_argument("--key", type=Path, help=f"secret key file (else ${KEY_ENV})")
    parser.add_argument("-o", "--output", type=Path, help="signature file (default: DB.minisig)")
    parser.add_argument("--timestamp", type=int, help="signing time, unix seconds (default: now)")
    parser.add_argument(
        "--print-comment",
        action="store_true",
        help="only print the trusted comment (for `minisign -S -t ...`) and exit",
    )
    args = parser.parse_args(argv)
    data = args.db.read_bytes()
    comment = db_trusted_comment(data, args.db.name, args.timestamp)
    if args.print_comment:
        print(comment)
        return 0
    if args.key is not None:
        key_text = args.key.read_text("utf-8")
    elif os.environ.get(KEY_ENV):
        key_text = os.environ[KEY_ENV]
    else:
        print(f"sign.py: error: no key: pass --key FILE or set {KEY_ENV}", file=sys.stderr)
        return 2
    try:
        seed, key_id = load_secret_key(key_text)
    except SigningKeyError as error:
        print(f"sign.py: error: {error}", file=sys.stderr)
        return 2
    output = args.output or args.db.with_name(args.db.name + ".minisig")
    output.write_bytes(sign_bytes(data, seed, key_id, comment))
    print(f"signed {args.db} with key {key_id[::-1].hex().upper()} -> {output}")
    print(f"trusted comment: {comment}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
