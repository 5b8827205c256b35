"""GitHub Models `.prompt.yml` (model, messages, modelParameters) and Semantic Kernel YAML prompts.

Variable columns are exact in literal block scalars (`content: |`); in quoted or folded scalars
they point at the line where the string starts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import yaml

from llmcost_lsp.core.formats.frontmatter import YamlDocument, load_yaml
from llmcost_lsp.core.formats.model import Message, Notice, ParsedPrompt, VariableRef
from llmcost_lsp.core.formats.templates import TextSpan, find_variables, template_notices
from llmcost_lsp.core.formats.text import DEFAULT_ROLE, foreign_template_notices

_MAX_TOKENS_PATHS = [
    ("modelParameters", "max_tokens"),
    ("modelParameters", "maxTokens"),
    ("modelParameters", "max_completion_tokens"),
    ("modelParameters", "maxCompletionTokens"),
]


def _located_variables(span: TextSpan, node: yaml.Node, index: int) -> list[VariableRef]:
    """Exact positions in literal blocks and one-line strings; else the string's first line."""
    found = find_variables(span, "double-brace", index)
    exact = getattr(node, "style", None) == "|" or "\n" not in span.text
    if exact:
        return found
    return [replace(ref, line=span.line, column=span.column + 1) for ref in found]


def _span(node: yaml.Node, lines: list[str], first_line: int) -> TextSpan:
    """Where a scalar's text starts in the file, and the indentation of its following lines."""
    mark = node.start_mark
    style = getattr(node, "style", None)
    if style in ("|", ">"):
        for index in range(mark.line + 1, len(lines)):
            line = lines[index]
            if line.strip():
                indent = len(line) - len(line.lstrip(" "))
                return TextSpan(str(node.value), first_line + index, indent, indent)
        return TextSpan(str(node.value), first_line + mark.line + 1)
    quote = 1 if style in ('"', "'") else 0
    return TextSpan(str(node.value), first_line + mark.line, mark.column + quote, mark.column)


def _content_text(value: Any) -> str | None:
    """Message content: a string, or a list of `{type: text, text: …}` parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [
            str(p["text"]) for p in value if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
        return "\n".join(parts) if parts else None
    return None


def _mapping_child(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if getattr(k, "value", None) == key), None)


def _parse_messages(
    path: str, document: YamlDocument, lines: list[str], notices: list[Notice]
) -> tuple[list[Message], list[VariableRef]]:
    messages: list[Message] = []
    variables: list[VariableRef] = []
    seq = _mapping_child(document.node, "messages")
    items = document.data.get("messages")
    if not isinstance(seq, yaml.SequenceNode) or not isinstance(items, list):
        return messages, variables
    for item_node, item in zip(seq.value, items, strict=False):
        line = document.first_line + item_node.start_mark.line
        if not isinstance(item, dict):
            notices.append(Notice("bad-message", "a message is not a mapping; ignored", line))
            continue
        role = str(item.get("role") or DEFAULT_ROLE)
        text = _content_text(item.get("content"))
        content_node = _mapping_child(item_node, "content")
        if text is None or content_node is None:
            notices.append(Notice("bad-message", f"the {role} message has no text content", line))
            continue
        span = (
            _span(content_node, lines, document.first_line)
            if isinstance(content_node, yaml.ScalarNode)
            else TextSpan(text, document.first_line + content_node.start_mark.line)
        )
        span = TextSpan(text, span.line, span.column, span.indent)
        variables.extend(_located_variables(span, content_node, len(messages)))
        notices.extend(template_notices(text, span.line, "double-brace"))
        messages.append(Message(role, text, span.line))
    return messages, variables


def _semantic_kernel(path: str, document: YamlDocument, lines: list[str]) -> ParsedPrompt:
    node = _mapping_child(document.node, "template")
    template = document.data.get("template")
    assert node is not None and isinstance(template, str)
    span = _span(node, lines, document.first_line)
    span = TextSpan(template, span.line, span.column, span.indent)
    syntax = str(document.data.get("template_format") or "semantic-kernel")
    notices = [
        Notice(
            "semantic-kernel",
            f"Semantic Kernel prompt ({syntax} template), not a GitHub Models file: "
            "the template is counted as one message",
            document.first_line,
        )
    ]
    notices.extend(template_notices(template, span.line, "double-brace"))
    notices.extend(foreign_template_notices(template, span.line))
    model = document.first_string([("execution_settings", "default", "model_id")])
    max_tokens = document.first_int([("execution_settings", "default", "max_tokens")])
    return ParsedPrompt(
        path,
        "semantic-kernel",
        (Message(DEFAULT_ROLE, template, span.line),),
        tuple(_located_variables(span, node, 0)),
        model=model[0] if model else None,
        model_origin=model[1] if model else None,
        max_tokens=max_tokens[0] if max_tokens else None,
        max_tokens_origin=max_tokens[1] if max_tokens else None,
        notices=tuple(notices),
    )


def parse_prompt_yml(path: str, text: str) -> ParsedPrompt:
    document, problem = load_yaml(text, first_line=1)
    if document is None:
        if not text.strip():
            return ParsedPrompt(path, "prompt-yml", (), skip_reason="empty file")
        # Still an estimate: the file's text is what would be sent, near enough.
        fallback = [problem] if problem else []
        fallback.append(Notice("counted-as-text", "the whole file is counted as one message", 1))
        return ParsedPrompt(
            path, "prompt-yml", (Message(DEFAULT_ROLE, text, 1),), notices=tuple(fallback)
        )
    lines = text.split("\n")
    if "messages" not in document.data and isinstance(document.data.get("template"), str):
        return _semantic_kernel(path, document, lines)
    if not isinstance(document.data.get("messages"), list):
        return ParsedPrompt(
            path,
            "prompt-yml",
            (),
            skip_reason="YAML without a `messages` list: not a GitHub Models prompt file",
        )
    notices: list[Notice] = []
    messages, variables = _parse_messages(path, document, lines, notices)
    model = document.first_string([("model",)])
    max_tokens = document.first_int(_MAX_TOKENS_PATHS)
    description = document.data.get("description")
    return ParsedPrompt(
        path,
        "prompt-yml",
        tuple(messages),
        tuple(variables),
        model=model[0] if model else None,
        model_origin=model[1] if model else None,
        max_tokens=max_tokens[0] if max_tokens else None,
        max_tokens_origin=max_tokens[1] if max_tokens else None,
        notices=tuple(notices),
        skip_reason=None if messages else "the `messages` list has no text",
        description=description if isinstance(description, str) else None,
    )
