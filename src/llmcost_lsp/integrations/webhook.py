"""POST an alert to a webhook: JSON, an HMAC-SHA256 signature when a secret is set, retried with
exponential back-off on what may pass (a timeout, a refused connection, 408, 429, 5xx).

- **Signature.** `X-LLMCost-Timestamp: <unix seconds>` and `X-LLMCost-Signature:
  sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` — the receiver recomputes it with the shared
  secret and rejects an old timestamp (a replayed request).
- **Redirects are not followed.** A 3xx is a failure naming the new address: following it would
  send a signed alert to an address nobody configured (and urllib turns a redirected POST into a
  GET without its body). Put the final URL in the manifest.
- **Retries.** Waits 1, 2, 4 ... s (at most 30 s, or the server's `Retry-After`, at most 60 s)
  through an injected `sleep`, so that tests and callers decide how time passes; other 4xx are
  final (the request itself is wrong).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from llmcost_lsp import __version__

MAX_WAIT_S = 30.0
MAX_RETRY_AFTER_S = 60.0
SIGNATURE_HEADER = "X-LLMCost-Signature"
TIMESTAMP_HEADER = "X-LLMCost-Timestamp"
KEY_HEADER = "X-LLMCost-Alert-Key"


@dataclass(frozen=True)
class Delivery:
    ok: bool
    attempts: int
    status: int | None  # the last HTTP status, None when no answer came
    error: str | None  # why it failed (the last attempt)
    waited_s: float = 0.0  # the back-off slept in all


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` over `<timestamp>.<body>`."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def display_url(url: str) -> str:
    """Scheme and host only: a webhook's path is often its secret (Slack's is)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}" + (f":{parts.port}" if parts.port else "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises the 3xx as an HTTPError


_OPENER = urllib.request.build_opener(_NoRedirect())


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S) if value else None
    except ValueError:
        return None  # an HTTP date: use our own back-off


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
    secret: bytes | None = None,
    timeout_s: float = 10.0,
    retries: int = 3,
    key: str | None = None,
) -> Delivery:
    """POST `payload` to `url` until a 2xx, a final failure, or `retries` retries."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    waited = 0.0
    status: int | None = None
    error = "not sent"
    for attempt in range(1, retries + 2):
        headers = {"Content-Type": "application/json", "User-Agent": f"llm-cost/{__version__}"}
        if key:
            headers[KEY_HEADER] = key.encode("ascii", "backslashreplace").decode()
        if secret is not None:
            stamp = str(int(now().timestamp()))  # signed per attempt: a retry is not stale
            headers[TIMESTAMP_HEADER] = stamp
            headers[SIGNATURE_HEADER] = signature(secret, stamp, body)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        wait: float | None = None
        try:
            with _OPENER.open(request, timeout=timeout_s) as answer:
                return Delivery(True, attempt, answer.status, None, waited)
        except urllib.error.HTTPError as failure:
            status = failure.code
            failure.close()
            if 300 <= status < 400:
                target = failure.headers.get("Location", "?")
                error = (
                    f"redirected ({status}) to {display_url(target) if '://' in target else target}"
                    ": redirects are not followed, put the final URL in the manifest"
                )
                return Delivery(False, attempt, status, error, waited)
            error = f"HTTP {status} {failure.reason}"
            if status not in (408, 425, 429) and status < 500:
                return Delivery(False, attempt, status, error, waited)
            wait = _retry_after(failure.headers)
        except TimeoutError:
            status, error = None, f"no answer within {timeout_s:g} s"
        except urllib.error.URLError as failure:
            reason = failure.reason
            status = None
            if isinstance(reason, TimeoutError):
                error = f"no answer within {timeout_s:g} s"
            else:
                error = f"cannot connect: {getattr(reason, 'strerror', None) or reason}"
        except (OSError, ValueError) as failure:  # reset connection, bad URL
            status, error = None, f"failed: {failure}"
        if attempt > retries:
            break
        pause = wait if wait is not None else min(2.0 ** (attempt - 1), MAX_WAIT_S)
        sleep(pause)
        waited += pause
    return Delivery(False, retries + 1, status, error, waited)
