"""How the CLI behaves on a terminal, as ruff and uv do: a progress line on stderr during long
runs (a TTY only, never with -q) and `-o FILE` for every command that writes a report. Colour
is present/style.py (only where it is read: a TTY, not NO_COLOR; FORCE_COLOR forces it).
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import argparse

TABLE_ROWS = 50  # a terminal table longer than this shows the most expensive rows (--all: all)


class Progress:
    """One line on stderr, redrawn in place at most 10 times a second: `read 2,000/10,000
    prompts`. Drawn only on a terminal and without -q; cleared when the run's output starts."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = not quiet and bool(isatty and isatty())
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int, text: str) -> None:
        """The workspace's ProgressCallback."""
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.1 and done != total):
            return
        self._last = now
        self.stream.write(f"\r\x1b[2Kllm-cost: {text}")
        self.stream.flush()
        self._shown = True

    def say(self, text: str) -> None:
        self(0, 1, text)

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._shown = False


def add_output_arg(parser: argparse.ArgumentParser) -> None:
    """`-o FILE` for a command that writes a report (its stdout)."""
    parser.add_argument(
        "-o",
        "--output",
        dest="report_output",  # `export` keeps its own --output
        metavar="FILE",
        help="write the report to FILE (atomically) instead of stdout",
    )


@contextmanager
def output_to(path: str | None) -> Iterator[None]:
    """Send stdout to `path` (atomically, once the command is done; nothing is written when it
    fails), or leave it alone."""
    if path is None:
        yield
        return
    from llmcost_lsp.core.atomic import write_atomic

    captured = io.StringIO()
    real = sys.stdout
    sys.stdout = captured
    try:
        yield
    finally:
        sys.stdout = real
    write_atomic(Path(path), captured.getvalue())


# One --format vocabulary for every command: the same name means the same kind of output.
FORMATS = {
    "text": "for people: an aligned table or one line per finding (`table` is the same)",
    "json": "for programs: every value, exact decimals, a documented schema",
    "markdown": "for GitHub: a PR comment or a report page",
    "github": "workflow annotations on the pull request's files",
    "html": "one self-contained page with charts (no network)",
}


def add_format_arg(
    parser: argparse.ArgumentParser, names: tuple[str, ...], default: str = "text"
) -> None:
    """`--format/-f` with the command's formats from FORMATS, their meaning in the help."""
    choices = [*names, "table"] if "text" in names else list(names)
    parser.add_argument(
        "--format",
        "-f",
        choices=choices,
        default=default,
        type=lambda name: "text" if name == "table" else name,
        metavar="{" + ",".join(names) + "}",
        help="; ".join(f"{name}: {FORMATS[name]}" for name in names) + f" (default {default})",
    )
