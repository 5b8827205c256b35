"""Every real prompt file: discovered and parsed into messages, or skipped with a reason."""

from __future__ import annotations

import os
from pathlib import Path

from llmcost_lsp.core.discovery import discover
from llmcost_lsp.core.formats import parse_prompt
from llmcost_lsp.core.manifest import parse_manifest


def test_whole_corpus_yields_messages_or_a_reason(corpus: Path) -> None:
    manifest = parse_manifest('[discovery]\ninclude = ["**/*"]\n')
    result = discover(corpus, manifest)
    on_disk = {
        Path(directory, name).relative_to(corpus).as_posix()
        for directory, _, names in os.walk(corpus)
        for name in names
    }
    accounted = {p.path for p in result.prompts} | {s.path for s in result.skipped}
    assert on_disk == accounted
    assert len(result.prompts) >= 150
    assert all(s.reason for s in result.skipped)

    reasons: dict[str, str] = {}
    for prompt in result.prompts:
        parsed = parse_prompt(prompt.path, prompt.text)
        if parsed.messages:
            assert all(isinstance(m.text, str) and m.start_line >= 1 for m in parsed.messages)
            lines = prompt.text.split("\n")
            for ref in parsed.variables:
                assert 1 <= ref.line <= len(lines), (prompt.path, ref)
                if parsed.format != "prompt-yml":  # YAML quoted strings: the string's first line
                    assert ref.name.split(".")[0] in lines[ref.line - 1], (prompt.path, ref)
        else:
            assert parsed.skip_reason, prompt.path
            reasons[prompt.path] = parsed.skip_reason
    empty = (
        "plain/All-Hands-AI__OpenHands__openhands__agenthub__codeact_agent__prompts__user_prompt.j2"
    )
    assert reasons.get(empty) == "empty file"
    assert len(reasons) <= 5


def test_corpus_formats_are_recognised(corpus: Path) -> None:
    result = discover(corpus, parse_manifest('[discovery]\ninclude = ["**/*"]\n'))
    formats = {p.format for p in result.prompts}
    assert {"prompt-md", "prompty", "prompt-yml", "text", "markdown"} <= formats
