"""LLM calls in TypeScript and JavaScript, read with tree-sitter."""

from __future__ import annotations

import os
import textwrap

import pytest

from llmcost_lsp.core.code import scan_text
from llmcost_lsp.core.code.model import CallSite
from llmcost_lsp.core.code.typescript import available

pytestmark = pytest.mark.skipif(
    not available() and os.environ.get("CI") != "true",
    reason="tree-sitter not installed (pip install 'llm-cost[code]')",
)


def calls(source: str) -> dict[str, CallSite]:
    scan = scan_text("typescript", textwrap.dedent(source))
    assert scan.error is None, scan.error
    return {call.key: call for call in scan.calls}


def texts(call: CallSite) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in call.messages]


def test_openai_node_sdk_with_constants_and_template_literals() -> None:
    found = calls("""
        import OpenAI from "openai";

        const MODEL = "gpt-4o-mini";
        const SYSTEM_PROMPT = `You are the search assistant.
        Answer in one sentence.`;
        const client = new OpenAI();

        export async function answer(question: string, excerpt: string): Promise<string> {
          const completion = await client.chat.completions.create({
            model: MODEL,
            messages: [
              { role: "system", content: SYSTEM_PROMPT },
              { role: "user", content: `Context:\\n${excerpt}\\n\\nQuestion: ${question}` },
            ],
            max_tokens: 200,
          });
          return completion.choices[0].message.content ?? "";
        }
    """)
    call = found["answer"]
    assert call.model is not None
    assert (call.model.value, call.model.how, call.model.line, call.model.column) == (
        "gpt-4o-mini", "MODEL", 4, 14,
    )  # fmt: skip
    assert texts(call) == [
        ("system", "You are the search assistant.\nAnswer in one sentence."),
        ("user", "Context:\n{excerpt}\n\nQuestion: {question}"),
    ]
    assert [(h.name, h.line) for m in call.messages for h in m.holes] == [
        ("excerpt", 14), ("question", 14),
    ]  # fmt: skip
    assert (call.line, call.max_tokens) == (10, 200)


def test_vercel_ai_sdk_generate_text_with_provider_model_and_prompt_file() -> None:
    found = calls("""
        import { generateText, streamText } from "ai";
        import { openai } from "@ai-sdk/openai";
        import { anthropic } from "@ai-sdk/anthropic";
        import fs from "node:fs";
        import path from "node:path";

        const TRIAGE = fs.readFileSync(path.join(__dirname, "prompts", "triage.txt"), "utf8");

        export const summarize = async (doc: string) => {
          const { text } = await generateText({
            model: openai("gpt-4o"),
            system: "Summarize the document in three bullet points.",
            prompt: doc,
          });
          return text;
        };

        export function triage(ticket: string) {
          const model = anthropic("claude-haiku-4-5");
          return streamText({ model, system: TRIAGE, prompt: ticket });
        }
    """)
    summarize = found["summarize"]
    assert summarize.api == "ai sdk generateText"
    assert summarize.model is not None
    assert (summarize.model.value, summarize.model.how) == ("gpt-4o", "openai(…)")
    assert texts(summarize) == [
        ("system", "Summarize the document in three bullet points."),
        ("user", "{doc}"),
    ]
    triage = found["triage"]
    assert [(f.path, f.base) for f in triage.files] == [("prompts/triage.txt", "file")]
    assert texts(triage) == [("user", "{ticket}")]


def test_anthropic_and_google_in_javascript() -> None:
    found = calls("""
        const Anthropic = require("@anthropic-ai/sdk");
        const { GoogleGenAI } = require("@google/genai");
        const anthropic = new Anthropic();
        const ai = new GoogleGenAI({});

        class Router {
          async route(ticket, model = "claude-sonnet-4-5") {
            return anthropic.messages.create({
              model,
              max_tokens: 100,
              system: "Route the ticket to billing, bugs or sales.",
              messages: [{ role: "user", content: ticket }],
            });
          }
        }

        async function extract(text) {
          return ai.models.generateContent({
            model: "gemini-2.5-flash",
            contents: "Extract every date from: " + text,
            config: { systemInstruction: "Reply with JSON." },
          });
        }
    """)
    route = found["Router.route"]
    assert route.model is not None and route.model.how == "default of parameter model"
    assert texts(route) == [
        ("system", "Route the ticket to billing, bugs or sales."),
        ("user", "{ticket}"),
    ]
    assert texts(found["extract"]) == [
        ("system", "Reply with JSON."),
        ("user", "Extract every date from: {text}"),
    ]


def test_unreadable_messages_are_found_not_sized() -> None:
    found = calls("""
        import OpenAI from "openai";
        import { buildMessages } from "./messages";
        const client = new OpenAI();
        export async function chat(history: string[]) {
          return client.chat.completions.create({
            model: "gpt-4o",
            messages: buildMessages(history),
          });
        }
    """)
    assert found["chat"].not_sized == "the messages are `buildMessages(history)`, built at run time"


def test_half_written_minified_and_deep_code_never_crash() -> None:
    broken = scan_text("typescript", 'import OpenAI from "openai";\nfunction f( {\n')
    assert broken.calls == () and broken.error is not None
    assert broken.error.startswith("parsing stopped at line 2")
    minified = (
        'import OpenAI from "openai";const c=new OpenAI();'
        + "".join(f"function f{i}(a){{return a+{i}}}" for i in range(5000))
        + 'async function g(q){return c.chat.completions.create({model:"gpt-4o",'
        'messages:[{role:"user",content:q}]})}'
    )
    assert [call.key for call in scan_text("typescript", minified).calls] == ["g"]
    deep = 'import OpenAI from "openai";\nconst x = ' + "(" * 3000 + "1" + ")" * 3000 + ";\n"
    scan_text("typescript", deep)  # parsed or reported, never an exception
    chain = " + ".join(['"a"'] * 2000)
    long_sum = (
        f'import OpenAI from "openai";\nconst P = {chain};\n'
        'new OpenAI().chat.completions.create({model: "gpt-4o", '
        'messages: [{role: "user", content: P}]});\n'
    )
    scan = scan_text("typescript", long_sum)
    assert len(scan.calls) == 1 or scan.error is not None


def test_request_values_and_runtime_history_beside_a_system_prompt() -> None:
    found = calls("""
        import Anthropic from "@anthropic-ai/sdk";
        const anthropic = new Anthropic();
        export async function POST(req: Request) {
          const { messages, model } = await req.json();
          const systemPrompt = `You are a support agent for Acme. Answer from the knowledge base.`;
          return anthropic.beta.messages.create({
            model: model,
            max_tokens: 1000,
            messages: messages.map((m: any) => ({ role: m.role, content: m.content })),
            system: systemPrompt,
          });
        }
    """)
    call = found["POST"]
    assert call.model is None and call.model_problem == (
        "the model is `req.json()`, computed at run time"
    )
    assert texts(call) == [
        ("system", "You are a support agent for Acme. Answer from the knowledge base."),
        ("user", "{messages}"),
    ]
