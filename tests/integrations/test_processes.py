"""The commands the integration tests start never outlive the test process, even when it ends
with os._exit (pytest-timeout's thread method) and no `finally` or fixture teardown runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .processes import spawn, stop

REPO = Path(__file__).resolve().parents[2]
TEST_PROCESS = """
import os, subprocess, sys, time
from tests.integrations.processes import spawn
child = spawn([sys.executable, "-c", "import time; time.sleep(120)"],
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(child.pid, flush=True)
time.sleep(0.5)
os._exit(1)  # as pytest-timeout does: no cleanup of any kind
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_spawned_command_dies_with_the_test_process() -> None:
    done = subprocess.run([sys.executable, "-c", TEST_PROCESS], capture_output=True, text=True,
                          cwd=REPO, timeout=60)  # fmt: skip
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(child):
        os.kill(child, signal.SIGKILL)
        pytest.fail(f"process {child} outlived the test process that started it")


def test_stop_kills_a_command_that_ignores_its_signal() -> None:
    stubborn = spawn([sys.executable, "-c", "import signal, time; "
                      "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); "
                      "time.sleep(120)"], stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert stubborn.stdout is not None and stubborn.stdout.readline() == "up\n"
    with pytest.raises(AssertionError, match="did not stop"):
        stop(stubborn, grace_s=1)
    assert stubborn.returncode == -9
