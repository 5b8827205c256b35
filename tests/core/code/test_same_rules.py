"""Python and TypeScript read a call's parts by one set of rules (core/code/assemble.py): the
same API call written in either language gives the same messages, variables and reasons."""

from __future__ import annotations

import os
import textwrap

import pytest

from llmcost_lsp.core.code import scan_text
from llmcost_lsp.core.code.model import CallSite, Language
from llmcost_lsp.core.code.typescript import available

needs_tree_sitter = pytest.mark.skipif(
    not available() and os.environ.get("CI") != "true",
    reason="tree-sitter not installed (pip install 'llm-cost[code]')",
)


def only_call(language: Language, source: str) -> CallSite:
    scan = scan_text(language, textwrap.dedent(source))
    assert scan.error is None, scan.error
    (call,) = scan.calls
    return call


def texts(call: CallSite) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in call.messages]


RESPONSES = {
    "python": """
        from openai import OpenAI
        client = OpenAI()
        def reply(history):
            return client.responses.create(
                model="gpt-4o", instructions="You are terse.", input=history.load())
    """,
    "typescript": """
        import OpenAI from "openai";
        const client = new OpenAI();
        export function reply(history) {
          return client.responses.create({
            model: "gpt-4o", instructions: "You are terse.", input: history.load() });
        }
    """,
}
GOOGLE = {
    "python": """
        from google import genai
        client = genai.Client()
        def ask(question):
            turns = [{"role": "user", "parts": [{"text": "Answer: " + question}]}]
            return client.models.generate_content(model="gemini-2.5-flash", contents=turns)
    """,
    "typescript": """
        import { GoogleGenAI } from "@google/genai";
        const ai = new GoogleGenAI({});
        export function ask(question) {
          const turns = [{ role: "user", parts: [{ text: "Answer: " + question }] }];
          return ai.models.generateContent({ model: "gemini-2.5-flash", contents: turns });
        }
    """,
}
NOTHING_READ = {
    "python": """
        import anthropic
        client = anthropic.Anthropic()
        def chat(history):
            return client.messages.create(model="claude-haiku-4-5", messages=history.all())
    """,
    "typescript": """
        import Anthropic from "@anthropic-ai/sdk";
        const client = new Anthropic();
        export function chat(history) {
          return client.messages.create({ model: "claude-haiku-4-5", messages: history.all() });
        }
    """,
}
LANGUAGES = [pytest.param("python"), pytest.param("typescript", marks=needs_tree_sitter)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_run_time_input_beside_instructions_is_a_variable_named_after_it(
    language: Language,
) -> None:
    call = only_call(language, RESPONSES[language])
    assert call.not_sized is None
    assert texts(call) == [("system", "You are terse."), ("user", "{history_load}")]
    assert call.unread == (
        "user message: `history.load()` is a call whose result is known only at run time",
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_message_list_in_a_name_with_google_parts_is_read(language: Language) -> None:
    call = only_call(language, GOOGLE[language])
    assert texts(call) == [("user", "Answer: {question}")]
    assert call.model is not None and call.model.value == "gemini-2.5-flash"


@pytest.mark.parametrize("language", LANGUAGES)
def test_nothing_readable_is_found_not_sized_with_the_reason(language: Language) -> None:
    call = only_call(language, NOTHING_READ[language])
    assert call.messages == ()
    assert call.not_sized == "the messages are `history.all()`, built at run time"
