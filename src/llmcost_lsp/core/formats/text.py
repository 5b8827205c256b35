"""Plain text and Markdown prompts: the whole file (minus any YAML front matter) is one message."""

from __future__ import annotations

import re

from llmcost_lsp.core.formats.frontmatter import split_front_matter
from llmcost_lsp.core.formats.model import Message, Notice, ParsedPrompt, PromptFormat
from llmcost_lsp.core.formats.templates import (
    TemplateStyle,
    TextSpan,
    find_variables,
    style_for_text,
    template_notices,
)

_SEMANTIC_KERNEL = re.compile(r"\{\{\$")  # `re` beats str.find here (see has_double_brace)
# The role of a single-message prompt. Overhead is the same for any role; "user" is the plain call.
DEFAULT_ROLE = "user"
_TEMPLATE_SUFFIXES = (
    ".j2",
    ".jinja",
    ".jinja2",
    ".hbs",
    ".handlebars",
    ".mustache",
    ".tmpl",
    ".tpl",
)


def foreign_template_notices(text: str, first_line: int) -> list[Notice]:
    """Say so when a file uses a template syntax that we count as literal text."""
    found = _SEMANTIC_KERNEL.search(text) if "{" in text else None
    if found is None:
        return []
    line = first_line + text.count("\n", 0, found.start())
    return [
        Notice(
            "foreign-template",
            "Semantic Kernel variables such as '{{$input}}' are not sized; "
            "they count as literal text",
            line,
        )
    ]


def build_single_message(
    path: str,
    fmt: PromptFormat,
    text: str,
    style: TemplateStyle,
    allow_front_matter: bool,
) -> ParsedPrompt:
    """One message from the body; model and max_tokens from front matter when it has them."""
    notices: list[Notice] = []
    body, body_line = text, 1
    model = model_origin = description = None
    if allow_front_matter:
        front = split_front_matter(text)
        body, body_line = front.body, front.body_line
        notices.extend(front.notices)
        if front.document is not None:
            found = front.document.first_string([("model",)])
            if found:
                model, model_origin = found
            about = front.document.get("description")
            description = about[0] if about and isinstance(about[0], str) else None
    if not body.strip():
        reason = "empty file" if not text.strip() else "the prompt body is empty"
        return ParsedPrompt(path, fmt, (), notices=tuple(notices), skip_reason=reason)
    variables = find_variables(TextSpan(body, body_line), style)
    notices.extend(template_notices(body, body_line, style))
    if style != "single-brace":  # chosen only for texts without any "{{"
        notices.extend(foreign_template_notices(body, body_line))
    return ParsedPrompt(
        path,
        fmt,
        (Message(DEFAULT_ROLE, body, body_line),),
        tuple(variables),
        model=model,
        model_origin=model_origin,
        notices=tuple(notices),
        description=description,
    )


def parse_text(path: str, text: str) -> ParsedPrompt:
    """`.txt`, `.prompt`, Jinja/Handlebars templates, files without an extension."""
    style: TemplateStyle = (
        "double-brace" if path.lower().endswith(_TEMPLATE_SUFFIXES) else style_for_text(text)
    )
    return build_single_message(path, "text", text, style, allow_front_matter=False)


def parse_markdown(path: str, text: str) -> ParsedPrompt:
    """`.md` files: optional YAML front matter (not sent), `{{name}}` variables."""
    return build_single_message(path, "markdown", text, "double-brace", allow_front_matter=True)


def parse_prompt_md(path: str, text: str) -> ParsedPrompt:
    """Copilot `.prompt.md`: front matter (`model`, `mode`, `tools`…) then the prompt body.

    Variables: Copilot's `${input:name}` and, as in every format, `{{name}}`."""
    return build_single_message(path, "prompt-md", text, "copilot", allow_front_matter=True)
