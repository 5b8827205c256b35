"""Downloads: HTTPS or local files only, size limit, timeouts, no redirect to plain HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from trust_helpers import LocalHttpsServer, Route

from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.pricing.fetch import FetchError, fetch_update


def test_https_download_of_db_and_signature(https_server: LocalHttpsServer) -> None:
    https_server.routes["/v1/prices.json"] = Route(b"{db}")
    https_server.routes["/v1/prices.json.minisig"] = Route(b"sig")
    got = fetch_update(
        https_server.url("/v1/prices.json"), ssl_context=https_server.client_context()
    )
    assert (got.data, got.signature) == (b"{db}", b"sig")
    assert got.signature_source == https_server.url("/v1/prices.json.minisig")


def test_untrusted_certificate_is_refused(https_server: LocalHttpsServer) -> None:
    https_server.routes["/p"] = Route(b"x")
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch_update(https_server.url("/p"))  # system trust store: the test cert is unknown


def test_plain_http_is_refused_before_any_connection() -> None:
    with pytest.raises(InputError, match="refusing plain http://"):
        fetch_update("http://127.0.0.1:9/prices.json")  # port 9: nothing listens; never tried


def test_other_schemes_refused() -> None:
    with pytest.raises(InputError, match="unsupported URL scheme 'ftp'"):
        fetch_update("ftp://example.org/prices.json")


def test_redirect_to_plain_http_is_refused(https_server: LocalHttpsServer) -> None:
    target = f"http://127.0.0.1:{https_server.port}/prices.json"
    https_server.routes["/r"] = Route(status=302, headers={"Location": target})
    with pytest.raises(FetchError, match=r"refusing redirect .* to non-HTTPS http://"):
        fetch_update(https_server.url("/r"), ssl_context=https_server.client_context())
    assert "/prices.json" not in https_server.requests


def test_redirect_to_https_is_followed(https_server: LocalHttpsServer) -> None:
    https_server.routes["/r"] = Route(status=302, headers={"Location": https_server.url("/db")})
    https_server.routes["/db"] = Route(b"db")
    https_server.routes["/r.minisig"] = Route(b"sig")
    got = fetch_update(https_server.url("/r"), ssl_context=https_server.client_context())
    assert got.data == b"db"


def test_oversize_download_aborted_mid_stream(https_server: LocalHttpsServer) -> None:
    # No Content-Length: the limit must hold while streaming.
    https_server.routes["/big"] = Route(b"x" * 300_000, headers={"Connection": "close"}, chunk=4096)
    https_server.routes["/big"].delay_per_chunk_s = 0.0001
    with pytest.raises(FetchError, match="exceeds the 100000-byte limit"):
        fetch_update(
            https_server.url("/big"), max_bytes=100_000, ssl_context=https_server.client_context()
        )


def test_declared_oversize_refused_before_reading(https_server: LocalHttpsServer) -> None:
    https_server.routes["/big"] = Route(b"x" * 2000)
    with pytest.raises(FetchError, match="2000 bytes, larger than the 1000-byte limit"):
        fetch_update(
            https_server.url("/big"), max_bytes=1000, ssl_context=https_server.client_context()
        )


def test_slow_server_times_out(https_server: LocalHttpsServer) -> None:
    # Trickles one byte every 0.2 s: each read succeeds, only the overall deadline stops it.
    https_server.routes["/slow"] = Route(b"x" * 100, chunk=1, delay_per_chunk_s=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0\.5 s"):
        fetch_update(
            https_server.url("/slow"), timeout_s=0.5, ssl_context=https_server.client_context()
        )
    assert time.monotonic() - started < 3


def test_http_error_is_reported(https_server: LocalHttpsServer) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_update(https_server.url("/nope"), ssl_context=https_server.client_context())


def test_unreachable_server_is_reported() -> None:
    with pytest.raises(FetchError, match="cannot download"):
        fetch_update("https://127.0.0.1:9/prices.json", timeout_s=2)


def test_local_file_and_file_url(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_bytes(b"db")
    (tmp_path / "p.json.minisig").write_bytes(b"sig")
    assert fetch_update(str(tmp_path / "p.json")).data == b"db"
    got = fetch_update((tmp_path / "p.json").as_uri())
    assert (got.data, got.signature) == (b"db", b"sig")


def test_local_file_size_limit_and_missing_signature(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_bytes(b"x" * 11)
    with pytest.raises(FetchError, match="larger than the 10-byte limit"):
        fetch_update(str(tmp_path / "p.json"), max_bytes=10)
    with pytest.raises(InputError, match=r"p\.json\.minisig: cannot read"):
        fetch_update(str(tmp_path / "p.json"))
