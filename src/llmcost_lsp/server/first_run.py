"""A folder without llm-cost.toml (a first run): findings folded so the editor does not look
broken, and the one action that fixes most of them in front.

Without a manifest nearly every prompt lacks a model and a call volume, and each template
variable lacks a size: on a real repository that was 30 errors and 129 warnings, none of them
fixable where it was shown. Here each file's findings become hints (dots under the text, out
of the Problems list) and one information diagnostic per file sums them up and names the quick
fix, "Create llm-cost.toml". An unknown model id stays a warning: it is a fact about the file
the user can act on (its hint names the ids meant). The CLI and `--check` are not affected.
"""

from __future__ import annotations

from collections import Counter

from lsprotocol import types

SUMMARY_CODE = "no-manifest"
KEPT = frozenset({"unknown-model"})  # actionable in the file itself: stays a warning
_NAMES = {
    "no-model": ("no model set", "no model set"),
    "unsized-variable": ("an unsized variable", "{n} unsized variables"),
    "unknown-volume": ("no call volume", "no call volumes"),
}


def fold(diagnostics: list[types.Diagnostic]) -> list[types.Diagnostic]:
    """One file's diagnostics for a folder without a manifest."""
    quiet = [d for d in diagnostics if str(d.code) not in KEPT]
    kept = [d for d in diagnostics if str(d.code) in KEPT]
    for diagnostic in kept:  # made for this publication only: changed in place
        diagnostic.severity = types.DiagnosticSeverity.Warning
    if not quiet:
        return kept
    for diagnostic in quiet:
        diagnostic.severity = types.DiagnosticSeverity.Hint
    first = min(quiet, key=lambda d: (d.range.start.line, d.range.start.character))
    summary = types.Diagnostic(
        range=types.Range(first.range.start, first.range.start),
        message=summary_message(Counter(str(d.code) for d in quiet)),
        severity=types.DiagnosticSeverity.Information,
        code=SUMMARY_CODE,
        source=first.source,
        data=first.data,
    )
    return [summary, *kept, *quiet]


def summary_message(codes: Counter[str]) -> str:
    parts = []
    for code, (one, many) in _NAMES.items():
        n = codes.pop(code, 0)
        if n:
            parts.append(one if n == 1 else many.format(n=n))
    other = sum(codes.values())
    if other:
        parts.append(f"{other} note{'s' * (other != 1)}")
    return (
        f"llm-cost: not fully estimated yet ({', '.join(parts)}): no llm-cost.toml. "
        "Quick fix (Ctrl+.): Create llm-cost.toml, which maps every prompt and sets what is "
        "missing."
    )
