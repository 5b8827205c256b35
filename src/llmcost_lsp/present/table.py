"""Plain-text tables for people: aligned columns, numbers right-aligned."""

from __future__ import annotations

from collections.abc import Sequence


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right_align: Sequence[int] = ()
) -> str:
    """Render rows under headers; columns listed in `right_align` (indexes) align right."""
    widths = [len(h) for h in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if i in right_align else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right_align: Sequence[int] = ()
) -> str:
    """A GitHub-flavoured Markdown table; cells are text already safe for Markdown (a `|` in
    them is escaped here, the one character that would split a cell)."""
    rule = ["---:" if i in right_align else "---" for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(headers), "|" + "|".join(rule) + "|", *(line(row) for row in rows)])
