"""Offline proof: `llm-cost tokens` works with every network entry point of Python disabled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from llmcost_lsp.core.tokens import vocab

# Runs the CLI after making sockets and name resolution raise, then reports which modules the
# run imported (a download would need requests/urllib3/http.client).
WRAPPER = """
import json, runpy, socket, sys

class NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        raise OSError("network disabled by test_offline")

def refuse(*args, **kwargs):
    raise OSError("network disabled by test_offline")

socket.socket = NoSocket
socket.create_connection = refuse
socket.getaddrinfo = refuse
socket.gethostbyname = refuse
sys.argv = ["llm-cost", *sys.argv[1:]]
try:
    runpy.run_module("llmcost_lsp.cli.main", run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as done:
    code = done.code
loaded = sorted(m for m in ("requests", "urllib3", "http.client", "blobfile") if m in sys.modules)
print(json.dumps({"network_modules": loaded}), file=sys.stderr)
sys.exit(code)
"""

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "prompts" / "support" / "triage.txt"


def test_tokens_cli_runs_without_network(tmp_path: Path) -> None:
    tiktoken_cache = tmp_path / "tiktoken-cache"
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(tiktoken_cache),
        "DATA_GYM_CACHE_DIR": str(tmp_path / "data-gym"),
        "TMPDIR": str(temp),  # tiktoken's default download cache lives in the temp dir
        "LLMCOST_CACHE_DIR": str(tmp_path / "llmcost-cache"),
    }
    argv = [str(EXAMPLE), "--model", "gpt-4o", "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, "tokens", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = EXAMPLE.read_text(encoding="utf-8")
    expected = len(vocab.get_encoding("o200k_base").encode_ordinary(text))
    assert json.loads(done.stdout)["tokens"] == expected
    assert json.loads(done.stderr.strip().splitlines()[-1]) == {"network_modules": []}
    assert not tiktoken_cache.exists()
    assert not (tmp_path / "data-gym").exists()
    assert not (temp / "data-gym-cache").exists()


def test_wrapper_really_blocks_the_network() -> None:
    probe = WRAPPER.split("sys.argv =")[0] + (
        "import urllib.request\n"
        "try:\n    urllib.request.urlopen('http://pypi.org', timeout=2)\n"
        "except OSError as error:\n    print('blocked', error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=False
    )
    assert "network disabled by test_offline" in done.stdout
