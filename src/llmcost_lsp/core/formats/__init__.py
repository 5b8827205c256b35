"""Prompt file formats: detect a file's format from its name and parse what it sends."""

from __future__ import annotations

from collections.abc import Callable

from llmcost_lsp.core.formats.model import (
    Message,
    Notice,
    Origin,
    ParsedPrompt,
    PromptFormat,
    VariableRef,
)
from llmcost_lsp.core.formats.prompt_yml import parse_prompt_yml
from llmcost_lsp.core.formats.prompty import parse_prompty
from llmcost_lsp.core.formats.text import parse_markdown, parse_prompt_md, parse_text

__all__ = [
    "Message",
    "Notice",
    "Origin",
    "ParsedPrompt",
    "PromptFormat",
    "VariableRef",
    "detect_format",
    "parse_prompt",
]

# Longest suffixes first: `.prompt.md` before `.md`.
_SUFFIX_FORMATS: tuple[tuple[str, PromptFormat], ...] = (
    (".prompt.md", "prompt-md"),
    (".prompt.yml", "prompt-yml"),
    (".prompt.yaml", "prompt-yml"),
    (".prompty", "prompty"),
    (".yml", "prompt-yml"),
    (".yaml", "prompt-yml"),
    (".md", "markdown"),
    (".markdown", "markdown"),
    (".mdx", "markdown"),
    (".txt", "text"),
    (".text", "text"),
    (".prompt", "text"),
    (".j2", "text"),
    (".jinja", "text"),
    (".jinja2", "text"),
    (".hbs", "text"),
    (".handlebars", "text"),
    (".mustache", "text"),
    (".tmpl", "text"),
    (".tpl", "text"),
)

_PARSERS: dict[PromptFormat, Callable[[str, str], ParsedPrompt]] = {
    "text": parse_text,
    "markdown": parse_markdown,
    "prompt-md": parse_prompt_md,
    "prompty": parse_prompty,
    "prompt-yml": parse_prompt_yml,
}


def detect_format(path: str) -> PromptFormat | None:
    """The format a file name implies; None when the name is not a prompt format."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    for suffix, fmt in _SUFFIX_FORMATS:
        if name.endswith(suffix):
            return fmt
    # A bare name (`prompts/system`) is text; dotfiles (`.gitignore`, `.env`) never are.
    return "text" if name and "." not in name else None


def parse_prompt(path: str, text: str, fmt: PromptFormat | None = None) -> ParsedPrompt:
    """Parse LF-normalised `text` of the file at `path`. Never raises on odd content."""
    chosen = fmt or detect_format(path) or "text"
    return _PARSERS.get(chosen, parse_text)(path, text)
