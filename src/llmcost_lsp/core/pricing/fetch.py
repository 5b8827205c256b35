"""Download a price DB and its `.minisig` over HTTPS or from a local file, into memory only.

Only `llm-cost pricing update` calls this: nothing else in llm-cost opens a socket.
"""

from __future__ import annotations

import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPMessage
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from llmcost_lsp import __version__
from llmcost_lsp.core.errors import InputError, LlmCostError, Location
from llmcost_lsp.core.pricing.trust import MAX_SIGNATURE_FILE_BYTES
from llmcost_lsp.core.textfile import read_capped

MAX_DB_BYTES = 5 * 1024 * 1024
DEFAULT_TIMEOUT_S = 30.0
_CHUNK = 64 * 1024


class FetchError(LlmCostError):
    """A download failed (unreachable, HTTP error, too large, too slow, insecure redirect)."""

    default_code = "fetch-failed"


@dataclass(frozen=True)
class Download:
    """A DB and its signature, in memory, not yet verified."""

    data: bytes
    signature: bytes
    source: str
    signature_source: str


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to https:// (a downgrade would let anyone on the path swap files)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlparse(newurl).scheme != "https":
            raise FetchError(
                f"refusing redirect from {req.full_url} to non-HTTPS {newurl}",
                hint="use an https:// URL that does not redirect to http://",
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_update(
    source: str,
    *,
    signature_source: str | None = None,
    max_bytes: int = MAX_DB_BYTES,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    ssl_context: ssl.SSLContext | None = None,
) -> Download:
    """Read `source` and `source.minisig` (or `signature_source`) from https:// or a local file."""
    sig_source = signature_source or _signature_of(source)
    data = _read(source, max_bytes, timeout_s, ssl_context)
    signature = _read(sig_source, MAX_SIGNATURE_FILE_BYTES, timeout_s, ssl_context)
    return Download(data, signature, source, sig_source)


def _signature_of(source: str) -> str:
    parsed = urlparse(source)
    if parsed.scheme in ("https", "http"):
        return parsed._replace(path=parsed.path + ".minisig").geturl()
    return source + ".minisig"


def _read(source: str, max_bytes: int, timeout_s: float, context: ssl.SSLContext | None) -> bytes:
    parsed = urlparse(source)
    scheme = parsed.scheme.lower()
    if scheme == "https":
        return _download(source, max_bytes, timeout_s, context)
    if scheme == "http":
        raise InputError(
            f"refusing plain http:// URL {source}: price updates need https:// or a local file",
            hint="use https://, or download the file and pass --from PATH",
        )
    if scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            # file://host/… names another machine's file; reading ours instead would mislead
            raise InputError(
                f"refusing {source}: a file:// URL with a host ({parsed.netloc}) is not local",
                hint="use file:///path (three slashes) or a plain path for a local file",
            )
        return read_local(Path(url2pathname(parsed.path)), max_bytes)
    # One-letter schemes are Windows drive letters ("C:\\prices.json").
    if scheme and len(scheme) > 1:
        raise InputError(f"unsupported URL scheme {scheme!r} in {source}: use https:// or a path")
    return read_local(Path(source), max_bytes)


def read_local(path: Path, max_bytes: int = MAX_DB_BYTES) -> bytes:
    """A local price DB or signature: at most `max_bytes`, never a FIFO or device (a symlink to
    /dev/zero once grew `pricing verify` to 24 GB). `update` and `verify` read through here."""
    try:
        return read_capped(path, max_bytes, str(path), what="price files")
    except InputError as error:
        if error.code == "too-large":
            raise FetchError(
                f"file is larger than the {max_bytes}-byte limit", location=Location(str(path))
            ) from None
        raise InputError(f"cannot read: {error.message}", location=Location(str(path))) from None


def _download(url: str, max_bytes: int, timeout_s: float, context: ssl.SSLContext | None) -> bytes:
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context or ssl.create_default_context()),
        _HttpsOnlyRedirects(),
    )
    request = urllib.request.Request(url, headers={"User-Agent": f"llm-cost/{__version__}"})
    deadline = time.monotonic() + timeout_s
    try:
        with opener.open(request, timeout=timeout_s) as response:
            return _read_capped(response, url, max_bytes, deadline, timeout_s)
    except urllib.error.HTTPError as error:
        raise FetchError(f"HTTP {error.code} {error.reason} from {url}") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise _timeout(url, timeout_s) from None
        raise FetchError(f"cannot download {url}: {error.reason}") from None
    except TimeoutError:
        raise _timeout(url, timeout_s) from None
    except OSError as error:
        raise FetchError(f"cannot download {url}: {error}") from None


def _read_capped(
    response: Any, url: str, max_bytes: int, deadline: float, timeout_s: float
) -> bytes:
    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise FetchError(f"{url} is {length} bytes, larger than the {max_bytes}-byte limit")
    chunks: list[bytes] = []
    total = 0
    while True:
        # The socket timeout bounds each read; the deadline bounds a server that trickles.
        if time.monotonic() > deadline:
            raise _timeout(url, timeout_s)
        chunk: bytes = response.read1(_CHUNK)  # read() would block until _CHUNK bytes arrive
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(f"{url} exceeds the {max_bytes}-byte limit; download aborted")
        chunks.append(chunk)


def _timeout(url: str, timeout_s: float) -> FetchError:
    return FetchError(f"download of {url} timed out after {timeout_s:g} s")
