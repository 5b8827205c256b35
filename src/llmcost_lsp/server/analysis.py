"""The server's import of the one analysis (core/findings.py), which `llm-cost check` and
`llmcost-lsp --check` share: published diagnostics come from `analyze` there."""

from __future__ import annotations

from llmcost_lsp.core.findings import Findings, analyze, resolve_scenario

__all__ = ["Findings", "analyze", "resolve_scenario"]
