"""Colour for terminals, as ruff and uv do it: only where it is read (a TTY, not NO_COLOR),
FORCE_COLOR forces it. Output that machines read (json, github, markdown, a file) is never
coloured: the shells give those a plain Style."""

from __future__ import annotations

import os
from typing import TextIO

_CODES = {"error": "1;31", "warning": "33", "info": "36", "bold": "1", "dim": "2", "good": "32"}


def colour_wanted(stream: TextIO) -> bool:
    """NO_COLOR (any value) turns colour off, FORCE_COLOR (not "0") on; else a TTY that is not
    `TERM=dumb` (https://no-color.org, https://force-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force is not None and force != "0":
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


class Style:
    """ANSI colour for one stream, or none."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def of(cls, stream: TextIO) -> Style:
        return cls(colour_wanted(stream))

    def paint(self, kind: str, text: str) -> str:
        if not self.enabled or not text:
            return text
        return f"\x1b[{_CODES[kind]}m{text}\x1b[0m"


PLAIN = Style(False)
