"""Clear errors, never tracebacks; writes that keep what they found (reliability probe 3.1-3.7,
3.13, 3.14-3.17; issue 21 item 7)."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main
from llmcost_lsp.core.atomic import write_atomic

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "focus"
ACTUALS = FIXTURES / "calibrate_actuals.csv"
PRICE_DATE = "2026-11-23"
DEFAULTS = '[defaults]\nmodel = "gpt-4o"\ncalls_per_month = 1_000\noutput_tokens = 100\n'


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args, "--price-date", PRICE_DATE])
    out, err = capsys.readouterr()
    return code, out, err


def _ws(tmp_path: Path, manifest: str | bytes) -> Path:
    root = tmp_path / "ws"
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "ok.txt").write_text("Answer the question.\n")
    path = root / "llm-cost.toml"
    if isinstance(manifest, bytes):
        path.write_bytes(manifest)
    else:
        path.write_text(manifest)
    return root


@pytest.mark.parametrize(
    ("line", "located"),
    [
        ("x = " + "[" * 5_000 + "]" * 5_000, ("3:69: error", "nested more than 64 deep")),
        ("x = " + "{a = " * 5_000 + "}" * 5_000, ("3:", "nested more than 64 deep")),
        ("calls_per_month = " + "9" * 31, ("3:1: error", "must be ≤ 1,000,000,000,000")),
        ("output_tokens = " + "9" * 5_000, ("3:17: error", "a number too long to read")),
        ("calls_per_month = 9223372036854775807", ("3:1: error", "must be ≤ 1,000,000,000,000")),
    ],
    ids=["arrays", "inline-tables", "10^31", "5000-digits", "2^63-1"],
)
@pytest.mark.parametrize("command", ["estimate", "check"])
def test_absurd_manifests_are_located_errors_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, located: str, command: str
) -> None:
    """Probe 3.2/3.4: RecursionError and decimal.InvalidOperation tracebacks (exit 1)."""
    root = _ws(tmp_path, f'[defaults]\nmodel = "gpt-4o"\n{line}\n')
    code, out, err = _run(capsys, command, str(root))
    assert code == 2
    assert all(f"llm-cost.toml:{part}" in out + err if part[0].isdigit() else part in out + err
               for part in located)  # fmt: skip
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "value",
    ['"1e999999"', '"9e999999999999"', '"' + "9" * 100_000 + '"'],
    ids=["1e999999", "9e999999999999", "100000-digits"],
)
def test_an_absurd_multiplier_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    """Probe 3.7: decimal.Overflow in estimate, check --scenario and llmcost-lsp --check."""
    root = _ws(tmp_path, f"{DEFAULTS}\n[scenarios.s]\ncalls_multiplier = {value}\n")
    code, out, err = _run(capsys, "check", str(root), "--scenario", "s")
    assert code == 2 and "llm-cost.toml:7:1: error: schema: scenarios.s.calls_multiplier" in out
    assert "must be ≤ 1,000,000" in out and "Traceback" not in err
    assert out.count("calls_multiplier") == 1  # the scenario is unknown because of it: said once


@pytest.mark.parametrize(
    "manifest",
    [b"\x00\x01binary", b'[defaults]\nmodel = "caf\xe9"\n', "[defaults]\n".encode("utf-16")],
)
def test_a_manifest_that_does_not_read_exits_2_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], manifest: bytes
) -> None:
    """Probe 3.1: `estimate` exited 0 and `check` 1 for a binary / non-UTF-8 manifest."""
    root = _ws(tmp_path, manifest)
    assert _run(capsys, "estimate", str(root))[0] == 2
    assert _run(capsys, "check", str(root))[0] == 2


@pytest.fixture
def calibrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(REPO / "examples", root)
    shutil.copy(FIXTURES / "calibrate_before.toml", root / "llm-cost.toml")
    monkeypatch.setenv("LLMCOST_NOW", "2026-11-23")
    return root


@pytest.mark.parametrize(
    ("column", "value"),
    [("EffectiveCost", "1e999999"), ("x_InputTokens", "1e999999999"), ("x_Requests", "1e-999999")],
)
def test_absurd_actuals_write_nothing_and_say_where(
    calibrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str, value: str
) -> None:
    """Probe 3.13b: tracebacks, and with --write the manifest was rewritten before the crash."""
    rows = list(csv.reader(ACTUALS.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    rows[1][header.index(column)] = value
    actuals = tmp_path / "absurd.csv"
    with actuals.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    before = (calibrated / "llm-cost.toml").read_bytes()
    code, _, err = _run(capsys, "calibrate", "--actuals", str(actuals), str(calibrated), "--write")
    assert code == 2 and "Traceback" not in err
    assert f"absurd.csv:2:{header.index(column) + 1}: column {column}" in err
    assert "out of range" in err
    assert (calibrated / "llm-cost.toml").read_bytes() == before


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_calibrate_write_keeps_line_ends_bom_and_comments(
    calibrated: Path, capsys: pytest.CaptureFixture[str], ending: str
) -> None:
    """Probe 3.15: CRLF and CR became LF on every line, a BOM was refused, and the user's
    comment on a rewritten line was dropped."""
    manifest = calibrated / "llm-cost.toml"
    text = manifest.read_text(encoding="utf-8").replace(
        "output_tokens = 180", "output_tokens = 0xB4     # hex int"
    )
    manifest.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", ending).encode("utf-8"))
    before = manifest.read_bytes()
    code, _, err = _run(capsys, "calibrate", "--actuals", str(ACTUALS), str(calibrated), "--write")
    assert code == 0, err
    after = manifest.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf")
    old_lines = before[3:].decode().split(ending)
    new_lines = after[3:].decode().split(ending)
    removed = Counter(old_lines) - Counter(new_lines)
    assert sorted(removed) == ["calls_per_month = 250_000", "output_tokens = 0xB4     # hex int"]
    assert all(line.isascii() for line in new_lines)  # no stray CR or LF inside a line
    assert "output_tokens = 300 # calibrated 2026-11-23 from calibrate_actuals.csv | hex int" in (
        new_lines
    )
    code, out, _ = _run(capsys, "check", str(calibrated))
    assert "Traceback" not in out


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_init_writes_through_a_symlinked_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Probe 3.17: the link was replaced by a regular file; the shared file kept the old text."""
    shared = tmp_path / "shared" / "team.toml"
    shared.parent.mkdir()
    shared.write_text(DEFAULTS)
    root = _ws(tmp_path, "")
    (root / "llm-cost.toml").unlink()
    (root / "llm-cost.toml").symlink_to(shared)
    code = main(["init", str(root)])
    capsys.readouterr()
    assert code == 0
    assert (root / "llm-cost.toml").is_symlink()
    assert "[prompts.ok]" in shared.read_text()


_SLOW_WRITER = """
import sys, time
from pathlib import Path
from llmcost_lsp.core.atomic import write_atomic_with

def write(handle):
    handle.write("new = 1\\n")
    handle.flush()
    print("writing", flush=True)
    time.sleep(60)

write_atomic_with(Path(sys.argv[1]), write)
"""


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_killed_write_leaves_no_temp_file_and_the_old_text(tmp_path: Path) -> None:
    """Probe 3.16: 55 of 120 SIGKILLs left `.llm-cost.toml.*.tmp` behind."""
    target = tmp_path / "llm-cost.toml"
    target.write_text("old = 1\n")
    writer = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert target.read_text() == "old = 1\n"
    # where the OS has anonymous files there is nothing to clean; elsewhere the next write does
    write_atomic(target, "next = 1\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["llm-cost.toml"]


def test_a_temp_file_of_a_dead_writer_is_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "llm-cost.toml"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    time.sleep(0.1)
    stale = tmp_path / f".llm-cost.toml.{dead.pid}.abcd1234.tmp"
    stale.write_text("half")
    mine = tmp_path / f".llm-cost.toml.{os.getpid()}.live.tmp"
    mine.write_text("a write in progress in this process")
    write_atomic(target, "x = 1\n")
    assert not stale.exists() and mine.exists()
