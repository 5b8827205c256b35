"""Helpers for trust tests: the maintainer signing script and keys generated at test time."""

from __future__ import annotations

import http.server
import importlib.util
import ipaddress
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from llmcost_lsp.core.pricing.trust import PublicKey, parse_public_key

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "minisign"


def load_sign_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("llmcost_sign", REPO_ROOT / "pricing" / "sign.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class KeyPair:
    seed: bytes
    key_id: bytes
    sign_module: ModuleType

    def public(self, name: str = "test-key") -> PublicKey:
        return parse_public_key(self.pub_text(), name=name, source="test")

    def pub_text(self) -> str:
        text: str = self.sign_module.public_key_text(self.seed, self.key_id)
        return text

    def pub_line(self) -> str:
        return self.pub_text().splitlines()[1]

    def sign(self, data: bytes, comment: str, *, prehashed: bool = True) -> bytes:
        signature: bytes = self.sign_module.sign_bytes(
            data, self.seed, self.key_id, comment, prehashed=prehashed
        )
        return signature


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_per_chunk_s: float = 0.0
    chunk: int = 65536


class LocalHttpsServer:
    """An HTTPS server on 127.0.0.1 with a certificate made at test time (no network)."""

    def __init__(self, directory: Path) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.cert_file = directory / "server-cert.pem"
        key_file = directory / "server-key.pem"
        _write_self_signed(self.cert_file, key_file)
        routes, requests = self.routes, self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                route = routes.get(self.path, Route(b"not found", 404))
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in route.headers and route.delay_per_chunk_s == 0:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                try:
                    for start in range(0, len(route.body), route.chunk):
                        self.wfile.write(route.body[start : start + route.chunk])
                        self.wfile.flush()
                        time.sleep(route.delay_per_chunk_s)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, key_file)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert_file))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _write_self_signed(cert_file: Path, key_file: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def needs_minisign() -> pytest.MarkDecorator:
    """Skip without the minisign CLI, with the reason; in CI (.ci/run installs it) run anyway,
    so a missing minisign fails instead of skipping unnoticed."""
    import os
    import shutil

    missing = shutil.which("minisign") is None and not os.environ.get("CI")
    return pytest.mark.skipif(missing, reason="minisign CLI not installed (apt install minisign)")
