"""Presentation shared by the shells (CLI, language server, Action): money and token text,
findings as lines, annotations and JSON, markdown that repository content cannot break.

Neutral ground so the server never imports the CLI; both format the same figures the same way.
`present.findings` renders a run's findings for `llm-cost check` and `llmcost-lsp --check`.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.numbers import plain_decimal, usd
from llmcost_lsp.core.tokens.spec import TokenCount
from llmcost_lsp.present.style import PLAIN, Style

if TYPE_CHECKING:  # the workspace pulls in pydantic and tiktoken: not for `llm-cost --version`
    from llmcost_lsp.core.workspace import Report

# An unexpected exception is a bug in llm-cost, not a broken budget (1) or bad input (2):
# EX_SOFTWARE from sysexits.h, so CI can tell "the tool crashed" from "the budget is over".
EXIT_INTERNAL_ERROR = 70
ISSUES_URL = "https://github.com/llm-cost/llm-cost/issues"


def crash_message(program: str, error: BaseException, verbose: bool) -> str:
    """One line saying it is a bug and where to report it; the traceback above it with -v."""
    detail = (f"{type(error).__name__}: {error}".strip().splitlines() or ["?"])[0][:300]
    line = (
        f"{program}: internal error, a bug in llm-cost: {detail}. Please report it at "
        f"{ISSUES_URL} with the command you ran"
    )
    if not verbose:
        return line + " (run again with -v for the traceback)."
    return "".join(traceback.format_exception(error)) + line + "."


def json_document(data: Any) -> str:
    """A JSON output (`--format json`) as every command writes it: indented, UTF-8 as is."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def decimal_text(value: Decimal | None) -> str | None:
    """Exact decimal as text without exponent or trailing zeros ("0.0031", "12")."""
    if value is None:
        return None
    return plain_decimal(value)


def monthly_total(report: Report) -> str:
    """The monthly total for people: `?` while no prompt found has a monthly cost (a sum of
    nothing known is unknown, not $0.00), `at least $X` while some have none (a floor)."""
    return monthly_total_over([report])


def monthly_total_over(reports: Sequence[Report]) -> str:
    """The same over several reports (an editor's workspace folders): `?` when none has a
    known total, `at least` when a prompt of any of them has no monthly cost. The editors show
    this text as it is (their status bars format no money of their own)."""
    if not reports or all(r.monthly_unknown for r in reports):
        return "?"
    floor = any(r.incomplete for r in reports)
    return ("at least " if floor else "") + money(sum((r.monthly_usd for r in reports), Decimal(0)))


# the one money formatter: the core's messages and every shell show dollars with it
money = usd


def tokens_text(count: TokenCount | Decimal | int | None) -> str:
    """`1,234`, with `≈` in front of an approximate count."""
    if count is None:
        return "?"
    if isinstance(count, TokenCount):
        return ("" if count.is_exact else "≈") + f"{count.tokens:,}"
    return f"{Decimal(count).quantize(Decimal(1), ROUND_HALF_UP):,}"


def issue_data(issue: Issue, path: str | None = None) -> dict[str, Any]:
    """A finding as JSON, the one shape of every output that lists findings (`check`,
    `llmcost-lsp --check`, `diff`, the server's `llmcost.check`). `path`: the file as shown
    (default: as the core wrote it, relative to the workspace). `about`: the prompt file a
    finding written elsewhere is about (where an editor shows it too); `key`: what it is about,
    structured (("prompt", id), ("tag", key, value), ("workspace",) …)."""
    loc = issue.location
    return {
        "code": issue.code,
        "severity": issue.severity,
        "message": issue.message,
        "hint": issue.hint,
        "path": loc.path if path is None else path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "about": {"path": issue.subject, "line": issue.subject_line} if issue.subject else None,
        "key": list(issue.key),
    }


FOLD_OVER = 5  # a kind of finding repeated more often than this is folded…
FOLD_KEEP = 3  # …to its first few and one line with the count


def fold_repeats(issues: Sequence[Issue]) -> tuple[list[Issue], list[str]]:
    """A terminal's findings with the repeats of one kind of warning folded: 227 prompts without
    a model are 3 findings and `… and 224 more no-model warnings`, not 227 lines."""
    by_code: dict[str, list[Issue]] = {}
    for issue in issues:
        by_code.setdefault(issue.code, []).append(issue)
    folded = {  # errors are never folded: each one is a violation to fix
        code
        for code, group in by_code.items()
        if len(group) > FOLD_OVER and group[0].severity != "error"
    }
    shown: list[Issue] = []
    seen: dict[str, int] = {}
    for issue in issues:
        seen[issue.code] = seen.get(issue.code, 0) + 1
        if issue.code not in folded or seen[issue.code] <= FOLD_KEEP:
            shown.append(issue)
    notes = [
        f"… and {len(by_code[code]) - FOLD_KEEP:,} more {code} "
        f"{by_code[code][0].severity}s like these (--format json lists every one)"
        for code in by_code
        if code in folded
    ]
    return shown, notes


def summarise_repeats(issues: Sequence[Issue]) -> tuple[list[Issue], list[str]]:
    """A terminal's findings without the flood: the same finding on many prompts (1,882 ×
    "unknown model 'gpt-4'") is its first few and one line with the count, errors too (the
    JSON and `--all` keep every one); then each kind of warning or info repeated with other
    words is folded as `fold_repeats` does."""
    by_text: dict[tuple[str, str, str], list[Issue]] = {}
    for issue in issues:
        by_text.setdefault((issue.code, issue.severity, issue.message), []).append(issue)
    shown: list[Issue] = []
    seen: dict[tuple[str, str, str], int] = {}
    for issue in issues:
        key = (issue.code, issue.severity, issue.message)
        seen[key] = seen.get(key, 0) + 1
        if len(by_text[key]) <= FOLD_OVER or seen[key] <= FOLD_KEEP:
            shown.append(issue)
    notes = [
        f"… and {len(group) - FOLD_KEEP:,} more {severity}s like these: {code}: "
        f"{printable(message if len(message) <= 90 else message[:89] + '…')} (--all lists "
        "every one)"
        for (code, severity, message), group in by_text.items()
        if len(group) > FOLD_OVER
    ]
    shown, folded = fold_repeats(shown)
    return shown, notes + folded


def issue_line(
    issue: Issue, fmt: str = "text", path: str | None = None, style: Style = PLAIN
) -> str:
    """`file:line:col: severity: code: message` (+ hint), or a GitHub annotation for "github".
    `style`: colour for a terminal (the location bold, the severity in its colour)."""
    loc = issue.location
    shown = path if path is not None else loc.path
    if fmt == "github":
        level = {"error": "error", "warning": "warning"}.get(issue.severity, "notice")
        return (
            f"::{level} file={github_property(shown or '')},line={loc.line or 1},"
            f"col={loc.column or 1},title={github_property(f'llm-cost {issue.code}')}::"
            f"{github_data(issue.message)}"
        )
    where = style.paint("bold", f"{printable(shown or '')}:{loc.line or 1}:{loc.column or 1}")
    severity = style.paint(issue.severity, issue.severity)
    text = f"{where}: {severity}: {issue.code}: {printable(issue.message)}"
    hint = style.paint("dim", "hint:")
    return f"{text}\n  {hint} {printable(issue.hint)}" if issue.hint else text


def github_data(text: str) -> str:
    """The message of a GitHub workflow command, escaped as @actions/core does (escapeData):
    a newline in a file name can never start a command of its own."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A property value (`file=`, `title=`) of a workflow command (@actions/core escapeProperty):
    `,` and `:` would end the value and start another property or the message."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text for a terminal: control characters from file names and ids (ESC, CR, …) shown as
    escapes instead of moving the cursor or recolouring the screen."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


# -- markdown: text a pull request controls (file names, ids, refs, messages quoting them) -------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]~|])")
_NEWLINES = re.compile(r"\r\n|[\r\n]")


def markdown_text(text: str) -> str:
    """Repository-controlled text for GitHub Markdown that renders as the text itself: no
    heading, link, image, emphasis, HTML, @mention (notifications) or autolink, whatever the
    file names and ids hold. Safe inside a table cell too."""
    text = _NEWLINES.sub(" ", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # a zero-width space (as an entity, visible in the source) breaks what escapes cannot
    text = text.replace("@", "@&#8203;").replace("://", ":&#8203;//").replace("www.", "www&#8203;.")
    return text


def markdown_code(text: str, *, in_table: bool = False) -> str:
    """Text as a code span, which renders nothing inside it: the fence is longer than any run of
    backticks in the text, so the text cannot close it. In a GFM table `|` still splits cells
    inside code, so it is escaped there."""
    text = _NEWLINES.sub(" ", text)
    if in_table:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
