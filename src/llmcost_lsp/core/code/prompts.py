"""A call site as a prompt: the messages, variables and model every shell estimates."""

from __future__ import annotations

from llmcost_lsp.core.code.model import CallSite, Language, SourceScan
from llmcost_lsp.core.code.modules import ModuleSource
from llmcost_lsp.core.code.scan import scan_text
from llmcost_lsp.core.formats import parse_prompt
from llmcost_lsp.core.formats.model import Message, Notice, Origin, ParsedPrompt, VariableRef

CODE_FORMATS = frozenset({"python", "typescript"})
SEPARATOR = "::"


def call_id(path: str, key: str) -> str:
    """`app/search.py::answer`: the file and the enclosing function, not the line."""
    return f"{path}{SEPARATOR}{key}"


def sends_text(call: CallSite) -> bool:
    """Whether the call has text of its own; a call that only sends prompt files is those
    files' prompts (they take its model) and no prompt of its own."""
    return (
        call.not_sized is not None or any(m.text.strip() for m in call.messages) or (not call.files)
    )


def find_call(scan: SourceScan, key: str) -> CallSite | None:
    return next((call for call in scan.calls if call.key == key), None)


def parse_any(
    path: str, text: str, fmt: str, site: str = "", modules: ModuleSource | None = None
) -> ParsedPrompt:
    """A prompt file's parse, or a call-site prompt's (`site`: its call key; empty: taken
    from the id's `::` part, which the caller passes as `path::key` ids do). `modules` reads
    the workspace's other modules, for prompts and models imported from them."""
    if fmt not in CODE_FORMATS:
        return parse_prompt(path, text, fmt)  # type: ignore[arg-type]
    language: Language = "python" if fmt == "python" else "typescript"
    return parsed_call(path, text, site, language, modules)


def parsed_call(
    path: str, text: str, key: str, language: Language, modules: ModuleSource | None = None
) -> ParsedPrompt:
    """The ParsedPrompt of the call `key` in a source text (cached scan)."""
    scan = scan_text(language, text, path, modules)
    call = find_call(scan, key)
    if call is None:
        where = f" ({scan.error})" if scan.error else ""
        return ParsedPrompt(
            path, language, (), skip_reason=f"the call {key} is no longer in the file{where}"
        )
    return call_prompt(path, call, language)


def call_prompt(path: str, call: CallSite, language: Language) -> ParsedPrompt:
    notices = [Notice("code-unread", f"not read: {reason}", call.line) for reason in call.unread]
    for read in call.files:
        notices.append(
            Notice(
                "code-prompt-file",
                f"{read.path} is sent here; it is estimated as its own prompt, on this model",
                read.line,
            )
        )
    model = call.model
    origin = (
        Origin(
            f"{model.how} at {path}:{model.line}" if model.line else model.how,
            model.line or call.line,
            model.column,
            model.end_column,
        )
        if model is not None
        else None
    )
    if model is None and call.model_problem:
        notices.append(Notice("code-model", f"model not read: {call.model_problem}", call.line))
    if call.not_sized is not None:
        return ParsedPrompt(
            path, language, (), model=model.value if model else None, model_origin=origin,
            notices=tuple(notices), skip_reason=f"found, not sized: {call.not_sized}",
            anchor_line=call.line,
        )  # fmt: skip
    messages = tuple(Message(m.role, m.text, m.line) for m in call.messages if m.text)
    variables = tuple(
        VariableRef(hole.name, hole.line, hole.column + 1, "single-brace", index, start, length)
        for index, message in enumerate(m for m in call.messages if m.text)
        for hole, (start, length) in zip(message.holes, message.offsets, strict=True)
    )
    skip = None if messages else "found, not sized: the call sends no text we can read"
    return ParsedPrompt(
        path,
        language,
        messages,
        variables,
        model=model.value if model else None,
        model_origin=origin,
        max_tokens=call.max_tokens,
        max_tokens_origin=Origin("max_tokens", call.max_tokens_line) if call.max_tokens else None,
        notices=tuple(notices),
        skip_reason=skip,
        description=f"{call.api} call",
        anchor_line=call.line,
    )
