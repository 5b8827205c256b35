"""Long-running commands a test starts (a receiver, an exporter, Prometheus) never outlive it:
`spawn` makes the kernel kill the child when the test process dies (pytest-timeout's thread
method ends the process with os._exit: no `finally` runs), and `stop` kills a child that does
not stop on its signal in time instead of leaving it behind with a TimeoutExpired."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent(then: Callable[[], Any] | None) -> Callable[[], None]:
    def setup() -> None:
        if sys.platform.startswith("linux"):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if then is not None:
            then()

    return setup


def spawn(args: Sequence[str], **options: Any) -> subprocess.Popen[Any]:
    """subprocess.Popen, plus: SIGKILLed by the kernel if the test process dies first."""
    options["preexec_fn"] = _die_with_parent(options.get("preexec_fn"))
    return subprocess.Popen(args, **options)


def stop(
    process: subprocess.Popen[Any], how: int = signal.SIGTERM, grace_s: float = 30
) -> tuple[Any, Any]:
    """Send `how`, wait `grace_s` for the process to end (its output as communicate() gives
    it), else SIGKILL it and raise: the process is gone either way."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(how)
    try:
        return process.communicate(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError(f"{process.args!r} did not stop within {grace_s} s: killed") from None
