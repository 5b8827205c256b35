"""One clock: no module of llm-cost reads the date or time except `Settings.now()`.

Every date decision (price DB freshness, the prices in effect, deprecations, billing periods,
calibration dates, cache ages, ledger timestamps) must be pinnable with LLMCOST_NOW, so the suite
passes on any date. Durations (`time.monotonic`, `time.perf_counter`) are not dates and are fine.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "llmcost_lsp"
THE_CLOCK = SRC / "core" / "settings.py"
# attribute calls that read the wall clock, as `<name>.<attr>(...)`
READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def clock_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        target = node.func if isinstance(node, ast.Call) else None
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and (target.value.id, target.attr) in READS
        ):
            found.append(
                f"{path.relative_to(SRC)}:{node.lineno}: {target.value.id}.{target.attr}()"
            )
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            names = {alias.name for alias in node.names}
            if names & {"time", "time_ns", "localtime", "gmtime"}:
                found.append(f"{path.relative_to(SRC)}:{node.lineno}: from time import …")
    return found


def test_only_settings_reads_the_clock() -> None:
    reads = [
        r for path in sorted(SRC.rglob("*.py")) if path != THE_CLOCK for r in clock_reads(path)
    ]
    assert reads == [], (
        "read the date through Settings.now()/today() (LLMCOST_NOW pins it), not the wall clock:\n"
        + "\n".join(reads)
    )


def test_the_settings_clock_is_found_by_this_check() -> None:
    """The check would see a read: the one allowed place has one."""
    assert any(read.endswith("datetime.now()") for read in clock_reads(THE_CLOCK))
