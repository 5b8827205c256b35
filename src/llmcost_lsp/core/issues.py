"""Located problems reported as values (not raised): manifest warnings, discovery findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from llmcost_lsp.core.errors import Location

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Issue:
    """One finding with a stable `code`, a severity and where it is (file, and line when known)."""

    code: str
    message: str
    location: Location
    severity: Severity = "warning"
    hint: str | None = None
    # The prompt file a finding is about when it is located elsewhere (a manifest budget line):
    # editors show it on that file too.
    subject: str | None = None
    subject_line: int = 1  # the line of the subject the finding is about (a call in code)
    # What the finding is about, as a structured key: ("prompt", id), ("tag", key, value),
    # ("workspace",), ("file", path), ("scenarios",)… With `code` it identifies the finding
    # across two states of a workspace (diff's new and resolved findings), whatever the
    # message says; () when nothing finer than the location is known.
    key: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text
