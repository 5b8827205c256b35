"""`.prompty` files (v1 and v2): YAML front matter, a body split by `system:`/`user:` lines."""

from __future__ import annotations

import re

from llmcost_lsp.core.formats.frontmatter import YamlDocument, split_front_matter
from llmcost_lsp.core.formats.model import Message, Notice, Origin, ParsedPrompt, VariableRef
from llmcost_lsp.core.formats.templates import TextSpan, find_variables, template_notices
from llmcost_lsp.core.formats.text import foreign_template_notices

# Role lines as the Prompty runtime reads them: `system:`, `# user:`, `assistant[name="x"]:`.
_ROLE = re.compile(
    r"^\s*#?\s*(system|user|assistant|developer|function|tool)(\[[^\]\n]*\])?\s*:\s*$",
    re.IGNORECASE,
)
_MODEL_PATHS = [
    ("model",),
    ("model", "id"),
    ("model", "configuration", "azure_deployment"),
    ("model", "configuration", "name"),
    ("model", "configuration", "model"),
    ("model", "connection", "azure_deployment"),
]
_MAX_TOKENS_PATHS = [
    ("model", "parameters", "max_tokens"),
    ("model", "parameters", "max_completion_tokens"),
    ("model", "options", "max_tokens"),
    ("model", "options", "maxOutputTokens"),
    ("model", "options", "max_completion_tokens"),
]


def split_roles(body: str, body_line: int) -> list[Message]:
    """Messages from role marker lines; text before the first marker is a system message."""
    messages: list[Message] = []
    role, start = "system", body_line
    chunk: list[str] = []
    for index, line in enumerate(body.split("\n")):
        match = _ROLE.match(line)
        if match:
            if "".join(chunk).strip():
                messages.append(Message(role, "\n".join(chunk).strip("\n"), start))
            role, start, chunk = match.group(1).lower(), body_line + index + 1, []
            continue
        if not chunk and not line.strip():
            start = body_line + index + 1  # the message starts at its first non-blank line
            continue
        chunk.append(line)
    if "".join(chunk).strip():
        messages.append(Message(role, "\n".join(chunk).strip("\n"), start))
    return messages


def read_model(
    document: YamlDocument | None, notices: list[Notice]
) -> tuple[str | None, Origin | None]:
    """The model named in front matter; `${env:…}` references are not model names."""
    if document is None:
        return None, None
    found = document.first_string(_MODEL_PATHS)
    if found is None:
        return None, None
    model, origin = found
    if model.startswith("${"):
        notices.append(
            Notice(
                "model-reference",
                f"the model comes from a reference ({model}) this tool cannot resolve; "
                "set `model` in llm-cost.toml",
                origin.line,
            )
        )
        return None, None
    return model, origin


def parse_prompty(path: str, text: str) -> ParsedPrompt:
    front = split_front_matter(text)
    notices = list(front.notices)
    model, model_origin = read_model(front.document, notices)
    max_tokens = front.document.first_int(_MAX_TOKENS_PATHS) if front.document else None
    description = front.document.get("description") if front.document else None
    messages = split_roles(front.body, front.body_line)
    if not messages:
        reason = "empty file" if not text.strip() else "the prompt body is empty"
        return ParsedPrompt(path, "prompty", (), notices=tuple(notices), skip_reason=reason)
    variables: list[VariableRef] = []
    for index, message in enumerate(messages):
        variables.extend(
            find_variables(TextSpan(message.text, message.start_line), "double-brace", index)
        )
    notices.extend(template_notices(front.body, front.body_line, "double-brace"))
    notices.extend(foreign_template_notices(front.body, front.body_line))
    return ParsedPrompt(
        path,
        "prompty",
        tuple(messages),
        tuple(variables),
        model=model,
        model_origin=model_origin,
        max_tokens=max_tokens[0] if max_tokens else None,
        max_tokens_origin=max_tokens[1] if max_tokens else None,
        notices=tuple(notices),
        description=description[0] if description and isinstance(description[0], str) else None,
    )
