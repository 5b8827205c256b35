"""LLM calls in Python: each shape real code uses, the model and text we read, what we cannot."""

from __future__ import annotations

import textwrap

from llmcost_lsp.core.code import call_prompt, scan_text
from llmcost_lsp.core.code.model import CallSite


def calls(source: str) -> dict[str, CallSite]:
    scan = scan_text("python", textwrap.dedent(source))
    assert scan.error is None, scan.error
    return {call.key: call for call in scan.calls}


def texts(call: CallSite) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in call.messages]


def test_openai_chat_with_constants_fstring_and_default_model() -> None:
    found = calls('''
        from openai import OpenAI
        MODEL = "gpt-4o-mini"
        SYSTEM_PROMPT = """You are a support agent.
        Be brief."""
        client = OpenAI()

        def answer(question: str, model: str = MODEL) -> str:
            response = client.chat.completions.create(
                model=model,
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": f"Question: {question.strip()}"},
                ],
                max_tokens=300,
            )
            return response.choices[0].message.content
    ''')
    call = found["answer"]
    assert call.api == "openai chat.completions"
    assert call.model is not None and call.model.value == "gpt-4o-mini"
    assert call.model.how == "default of parameter model ← MODEL"
    assert (call.model.line, call.model.column) == (3, 8)  # the constant's literal: the edit target
    assert texts(call) == [
        ("system", "You are a support agent.\nBe brief."),
        ("user", "Question: {question}"),  # `.strip()` of a parameter is still it
    ]
    assert call.max_tokens == 300
    assert call.line == 9


def test_async_openai_and_responses_api() -> None:
    found = calls("""
        from openai import AsyncOpenAI
        client = AsyncOpenAI()

        async def summarize(doc):
            return await client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "Summarize:\\n" + doc}]
            )

        def classify(ticket):
            return client.responses.create(
                model="gpt-4.1-mini", instructions="Classify the ticket.", input=ticket
            )
    """)
    assert texts(found["summarize"]) == [("user", "Summarize:\n{doc}")]
    responses = found["classify"]
    assert responses.api == "openai responses"
    assert responses.model is not None and responses.model.value == "gpt-4.1-mini"
    assert texts(responses) == [("system", "Classify the ticket."), ("user", "{ticket}")]


def test_anthropic_system_blocks_and_self_model_from_env_default() -> None:
    found = calls("""
        import os
        import anthropic

        class Triage:
            def __init__(self):
                self.client = anthropic.Anthropic()
                self.model = os.environ.get("TRIAGE_MODEL", "claude-haiku-4-5")

            def run(self, ticket):
                return self.client.messages.create(
                    model=self.model,
                    max_tokens=200,
                    system=[{"type": "text", "text": "You route tickets."}],
                    messages=[{"role": "user", "content": [{"type": "text", "text": ticket}]}],
                )
    """)
    call = found["Triage.run"]
    assert call.model is not None
    assert (call.model.value, call.model.how) == (
        "claude-haiku-4-5",
        "self.model ← default of $TRIAGE_MODEL",
    )
    assert texts(call) == [("system", "You route tickets."), ("user", "{ticket}")]


def test_google_genai_and_litellm() -> None:
    found = calls("""
        from google import genai
        from google.genai import types
        import litellm
        from litellm import acompletion

        client = genai.Client()

        def extract(text):
            return client.models.generate_content(
                model="gemini-2.5-flash",
                contents=f"Extract the names in: {text}",
                config=types.GenerateContentConfig(system_instruction="Reply in JSON."),
            )

        def fallback(q):
            return litellm.completion(
                model="gpt-4o-mini", messages=[{"role": "user", "content": q}]
            )

        async def fast(q):
            return await acompletion(model="claude-haiku-4-5", messages=[("user", q)])
    """)
    assert texts(found["extract"]) == [
        ("system", "Reply in JSON."),
        ("user", "Extract the names in: {text}"),
    ]
    assert found["fallback"].api == "litellm completion"
    assert found["fast"].model is not None and found["fast"].model.value == "claude-haiku-4-5"


def test_langchain_prompt_pipe_model_invoke() -> None:
    found = calls("""
        from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
        from langchain_openai import ChatOpenAI
        from langchain.chat_models import init_chat_model

        llm = ChatOpenAI(model="gpt-4o", temperature=0)
        prompt = ChatPromptTemplate.from_messages(
            [("system", "Answer from the context:\\n{context}"), ("human", "{question}")]
        )
        chain = prompt | llm

        def ask(question, context):
            return chain.invoke({"question": question, "context": context})

        def title(text):
            model = init_chat_model("anthropic:claude-haiku-4-5")
            template = PromptTemplate.from_template("Give a title for: {text}. Use {{braces}}.")
            return (template | model).invoke({"text": text})

        def direct(q):
            return llm.invoke(q)
    """)
    ask = found["ask"]
    assert ask.model is not None and ask.model.value == "gpt-4o"
    assert texts(ask) == [("system", "Answer from the context:\n{context}"), ("user", "{question}")]
    assert [h.name for m in ask.messages for h in m.holes] == ["context", "question"]
    title = found["title"]
    assert title.model is not None and title.model.value == "anthropic:claude-haiku-4-5"
    assert texts(title) == [("user", "Give a title for: {text}. Use {braces}.")]
    assert texts(found["direct"]) == [("user", "{q}")]


def test_prompt_files_read_by_the_call() -> None:
    found = calls("""
        from pathlib import Path
        from openai import OpenAI
        HERE = Path(__file__).parent

        def triage(ticket):
            system = (HERE / "prompts" / "triage.txt").read_text()
            return OpenAI().chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "system", "content": system}],
            )

        def legacy(ticket):
            with open("prompts/legacy.txt") as handle:
                text = handle.read()
            return OpenAI().chat.completions.create(model="gpt-4o", messages=[
                {"role": "system", "content": text}, {"role": "user", "content": ticket}])
    """)
    assert [(f.path, f.base) for f in found["triage"].files] == [("prompts/triage.txt", "file")]
    assert found["triage"].messages == ()
    assert [(f.path, f.base) for f in found["legacy"].files] == [("prompts/legacy.txt", "root")]
    assert texts(found["legacy"]) == [("user", "{ticket}")]


def test_what_cannot_be_read_is_said_not_dropped() -> None:
    found = calls("""
        from openai import OpenAI
        from app.prompts import SYSTEM
        from app.models import pick_model
        client = OpenAI()

        def built(history):
            return client.chat.completions.create(model=pick_model(), messages=build(history))

        def imported(q):
            return client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "system", "content": SYSTEM}, *q]
            )
    """)
    built = found["built"]
    assert built.model is None and built.model_problem == (
        "the model is `pick_model()`, computed at run time"
    )
    assert built.not_sized == "the messages are `build(history)`, built at run time"
    parsed = call_prompt("app/x.py", built, "python")
    assert (
        parsed.skip_reason
        == "found, not sized: the messages are `build(history)`, built at run time"
    )
    imported = found["imported"]
    assert imported.unread == (
        "system message: SYSTEM is imported from app.prompts",
        "`*q` adds messages known only at run time",
    )
    assert texts(imported) == [("system", "{SYSTEM}")]


def test_ids_are_function_names_not_lines() -> None:
    found = calls("""
        import openai
        def a():
            openai.chat.completions.create(model="gpt-4o", messages=[("user", "x")])
            openai.chat.completions.create(model="gpt-4o", messages=[("user", "y")])
        class C:
            def m(self):
                def inner():
                    return openai.chat.completions.create(model="gpt-4o", messages=[])
    """)
    assert sorted(found) == ["C.m.inner", "a", "a#2"]


def test_twilio_messages_create_is_not_an_llm_call() -> None:
    assert (
        calls("""
        from twilio.rest import Client
        Client().messages.create(body="hi", to="+1", from_="+2")
    """)
        == {}
    )


def test_half_written_code_says_where_parsing_stopped() -> None:
    scan = scan_text("python", "from openai import OpenAI\ndef f(:\n    pass\n")
    assert scan.calls == ()
    assert scan.error == "parsing stopped at line 2: invalid syntax" and scan.error_line == 2


def test_deep_nesting_and_huge_files_do_not_crash() -> None:
    deep = "import openai\nx = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    assert scan_text("python", deep).error is not None
    for terms, read in ((150, True), (5000, False)):
        chain = " + ".join(['"a"'] * terms)
        source = (
            f"import openai\nP = {chain}\n"
            "openai.chat.completions.create(model='gpt-4o', "
            "messages=[{'role': 'user', 'content': P}])\n"
        )
        scan = scan_text("python", source)
        if read:
            assert [m.text for m in scan.calls[0].messages] == ["a" * terms]
        else:  # too deep for Python's own parser: said so, never an exception
            assert scan.error is not None and "nested too deeply" in scan.error
    generated = "import openai\n" + "".join(f"def f{i}():\n    return {i}\n" for i in range(20000))
    assert scan_text("python", generated).calls == ()


def test_raw_response_beta_calls_spread_arguments_and_runtime_history() -> None:
    found = calls("""
        import anthropic
        SYSTEM = "You operate a computer for the user. Take one action at a time."
        client = anthropic.Anthropic()

        def loop(messages, model):
            return client.beta.messages.with_raw_response.create(
                model=model, max_tokens=4096, system=[{"type": "text", "text": SYSTEM}],
                messages=history(messages),
            )

        def agent(params):
            return client.messages.create(**params)
    """)
    loop = found["loop"]
    assert loop.api == "anthropic messages"
    assert loop.model is None
    assert loop.model_problem == "the model is the parameter 'model', which has no default"
    # the system prompt is read; the history becomes one variable to size in the manifest
    assert texts(loop) == [("system", SYSTEM_TEXT), ("user", "{messages}")]
    assert loop.unread == (
        "the messages are `history(messages)`, built at run time: sized as the variable `messages`",
    )
    agent = found["agent"]
    assert agent.not_sized == "the arguments come from `**params`, built at run time"
    assert agent.model_problem == agent.not_sized


SYSTEM_TEXT = "You operate a computer for the user. Take one action at a time."


def test_the_apps_own_wrappers_and_chat_models_handed_in() -> None:
    found = calls("""
        from langchain_core.messages import HumanMessage
        from app.llm import create_chat_completion

        async def write_intro(query, cfg):
            messages = [
                {"role": "system", "content": "You write report introductions."},
                {"role": "user", "content": f"Topic: {query}"},
            ]
            return await create_chat_completion(model=cfg.smart_model, messages=messages)

        async def relay(prompt, model):
            return await create_chat_completion(model=model, messages=convert(prompt))

        class Provider:
            def __init__(self, llm):
                self.llm = llm

            async def ask(self, messages):
                return await self.llm.ainvoke(messages)

        def not_llm(items):
            return dict(messages=items)

        def grade(grader, tool, graph, report):
            tool.invoke({"query": report})  # a tool or a graph takes a dict: not an LLM call
            graph.ainvoke({"task": report})
            return grader.invoke([{"role": "user", "content": f"Grade this: {report}"}])
    """)
    assert sorted(found) == ["Provider.ask", "grade", "relay", "write_intro"]
    # messages passed through the app's own completion function: found, and why not sized
    assert found["relay"].not_sized == "the messages are `convert(prompt)`, built at run time"
    # a chat model handed in under any name: what it is sent says so
    assert texts(found["grade"]) == [("user", "Grade this: {report}")]
    intro = found["write_intro"]
    assert texts(intro) == [
        ("system", "You write report introductions."),
        ("user", "Topic: {query}"),
    ]
    assert intro.model_problem == "the model is `cfg.smart_model`, computed at run time"
    assert found["Provider.ask"].model_problem == "the chat model is `self.llm`, built at run time"


def test_self_referencing_and_exponential_text_stays_bounded() -> None:
    # p60 doubles p59 which doubles p58 …: 2**60 paths without the step budget
    chain = "".join(
        f"    p{i} = p{i - 1} + 'x' if flag else p{i - 1} + 'y'\n" for i in range(1, 61)
    )
    source = (
        "import openai\n"
        "def f(c):\n    p = p + 'again'\n    p0 = 'start'\n"
        + chain
        + "    openai.chat.completions.create(model='gpt-4o',"
        " messages=[('user', p60), ('user', p)])\n"
    )
    [call] = scan_text("python", source).calls  # in bounded time, never an exception
    assert [m.text for m in call.messages] == ["{p60}", "{p}"]


def test_gpt_researcher_shapes_a_thread_a_runtime_chain_model_and_invoke_without_imports() -> None:
    """Three of the calls gpt-researcher (5d84d2f) hid: the SDK function handed to
    `asyncio.to_thread`, a `prompt | model | parser` chain whose model is built at run time,
    and `llm_with_tools.ainvoke` in a file that imports no LangChain."""
    found = calls("""\
        import asyncio
        from google import genai
        from langchain_core.prompts import PromptTemplate

        async def image(client, prompt):
            return await asyncio.to_thread(
                client.models.generate_content, model="gemini-2.5-flash", contents=prompt
            )

        async def subtopics(provider, task):
            prompt = PromptTemplate.from_template("List subtopics of {task}.")
            model = provider.llm
            chain = prompt | model | parser
            return await chain.ainvoke({"task": task})
    """)
    assert sorted(found) == ["image", "subtopics"]
    assert found["image"].model is not None and found["image"].model.value == "gemini-2.5-flash"
    assert texts(found["image"]) == [("user", "{prompt}")]
    assert texts(found["subtopics"]) == [("user", "List subtopics of {task}.")]
    assert found["subtopics"].model_problem == "the chat model is `model`, built at run time"
    plain = calls("""\
        async def research(llm_with_tools, messages, tool):
            await tool.ainvoke({})
            return await llm_with_tools.ainvoke(messages)
    """)
    assert list(plain) == ["research"]
