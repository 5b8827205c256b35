"""What a run covered: the prompts found, how many got a monthly cost and why the others did
not, and the files skipped. One set of counts for every shell: the line that ends `estimate`
and `check`, their JSON, and the language server's check result (the editors' status)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from llmcost_lsp.core.code import CODE_FORMATS
from llmcost_lsp.core.discovery import Skipped
from llmcost_lsp.core.workspace import PromptResult, Report

# Why a prompt has no monthly cost: key (JSON) and words (the coverage line), in line order.
REASONS: tuple[tuple[str, str], ...] = (
    ("need_volumes", "need volumes"),
    ("need_model", "need a model"),
    ("unknown_model", "unknown model"),
    ("empty", "empty"),
    ("not_read", "found, not sized"),  # an LLM call in code whose prompt cannot be read
    ("failed", "not estimated"),
)


def missing_reason(result: PromptResult) -> str | None:
    """None when the monthly cost is known, else the REASONS key that says why not."""
    if result.estimate is not None:
        return None if result.estimate.monthly_usd is not None else "need_volumes"
    codes = {issue.code for issue in result.issues}
    if "not-estimated" in codes and result.parsed.format in CODE_FORMATS:
        return "not_read"
    for code, reason in (
        ("no-model", "need_model"),
        ("unknown-model", "unknown_model"),
        ("not-estimated", "empty"),
    ):
        if code in codes:
            return reason
    return "failed"


@dataclass(frozen=True)
class Coverage:
    """Counts over one report: `estimated` prompts have a monthly cost; `missing` says why the
    others do not; `unsized` prompts were counted with a variable that has no size."""

    prompts: int
    estimated: int
    missing: dict[str, int] = field(default_factory=dict)
    unsized: int = 0
    skipped: tuple[Skipped, ...] = ()

    @classmethod
    def of(cls, report: Report, skipped: Sequence[Skipped]) -> Coverage:
        missing: dict[str, int] = {}
        unsized = 0
        for result in report.results:
            reason = missing_reason(result)
            if reason is not None:
                missing[reason] = missing.get(reason, 0) + 1
            if any(issue.code == "unsized-variable" for issue in result.issues):
                unsized += 1
        estimated = len(report.results) - sum(missing.values())
        return cls(len(report.results), estimated, missing, unsized, tuple(skipped))

    def line(self) -> str:
        """`105 prompts found: 24 estimated, 49 need a model, 30 unknown model, 2 with unsized
        variables; 53 files skipped (--show-skipped)`."""
        parts = [f"{self.estimated} estimated"]
        parts += [f"{self.missing[key]} {words}" for key, words in REASONS if self.missing.get(key)]
        if self.unsized:
            parts.append(f"{self.unsized} with unsized variables")
        text = f"{_count(self.prompts, 'prompt')} found: {', '.join(parts)}"
        if not self.prompts:
            text = (
                "0 prompts found: no file matched the discovery globs or read like a prompt "
                "(name yours with [discovery] include in llm-cost.toml)"
            )
        if self.skipped:
            text += f"; {_count(len(self.skipped), 'file')} skipped (--show-skipped)"
        return text

    def data(self) -> dict[str, int]:
        """The same counts for JSON (every key always present)."""
        return {
            "prompts": self.prompts,
            "estimated": self.estimated,
            **{key: self.missing.get(key, 0) for key, _ in REASONS},
            "unsized_variables": self.unsized,
            "skipped_files": len(self.skipped),
        }


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' * (n != 1)}"
