"""LLM calls in source code (Python with `ast`, TypeScript/JavaScript with tree-sitter) as
prompts: found by a byte search then a parse, identified by file and enclosing function."""

from llmcost_lsp.core.code.model import CallSite, CodeMessage, FileRead, ModelRef, SourceScan
from llmcost_lsp.core.code.prompts import (
    CODE_FORMATS,
    SEPARATOR,
    call_id,
    call_prompt,
    find_call,
    parse_any,
    parsed_call,
    sends_text,
)
from llmcost_lsp.core.code.scan import (
    clear_cache,
    is_test_path,
    language_of,
    mentions_llm,
    scan_text,
)

__all__ = [
    "CODE_FORMATS",
    "SEPARATOR",
    "CallSite",
    "CodeMessage",
    "FileRead",
    "ModelRef",
    "SourceScan",
    "call_id",
    "call_prompt",
    "clear_cache",
    "find_call",
    "is_test_path",
    "language_of",
    "mentions_llm",
    "parse_any",
    "parsed_call",
    "scan_text",
    "sends_text",
]
