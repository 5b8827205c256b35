from __future__ import annotations

from pathlib import Path

import pytest

from llmcost_lsp.core.formats import ParsedPrompt, detect_format, parse_prompt
from llmcost_lsp.core.textfile import read_text_file

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def parse_file(path: Path) -> ParsedPrompt:
    return parse_prompt(path.name, read_text_file(path).text)


def one(corpus: Path, fragment: str) -> Path:
    """The corpus file whose name contains `fragment` (names there are long)."""
    [path] = [p for p in corpus.rglob("*") if fragment in p.name]
    return path


def test_prompty_splits_roles_and_reads_model_and_max_tokens() -> None:
    text = (EXAMPLES / "src/app/summarize.prompty").read_text()
    parsed = parse_prompt("src/app/summarize.prompty", text)
    assert parsed.format == "prompty"
    assert [m.role for m in parsed.messages] == ["system", "user"]
    assert parsed.messages[0].text.startswith("You write customer-facing incident summaries")
    assert "azure_deployment" not in "".join(m.text for m in parsed.messages)
    assert parsed.model == "gpt-4o"
    assert parsed.model_origin is not None
    assert parsed.model_origin.key == "model.configuration.azure_deployment"
    assert parsed.model_origin.line == 8
    assert parsed.max_tokens == 400
    lines = text.split("\n")
    [ref] = parsed.variables
    assert ref.name == "timeline"
    assert lines[ref.line - 1][ref.column - 1 :].startswith("{{timeline}}")
    assert parsed.messages[1].start_line == lines.index("Incident timeline:") + 1


def test_prompty_v2_shape(corpus: Path) -> None:
    parsed = parse_file(corpus / "prompty/microsoft__prompty__spec__fixtures__basic.prompty")
    assert parsed.model == "gpt-4"
    assert parsed.max_tokens == 1000
    assert parsed.variable_names == ("firstName", "lastName", "question")


def test_prompty_model_from_environment_is_not_a_model_name(corpus: Path) -> None:
    name = (
        "prompty/microsoft__promptflow__src__promptflow-evals__promptflow__evals__evaluators"
        "___similarity__similarity.prompty"
    )
    parsed = parse_file(corpus / name)
    assert parsed.model is None
    assert any(n.code == "model-reference" for n in parsed.notices)


def test_prompty_without_front_matter_is_one_system_message() -> None:
    parsed = parse_prompt("a.prompty", "You are helpful.\n")
    assert [(m.role, m.text) for m in parsed.messages] == [("system", "You are helpful.")]


def test_prompt_yml_messages_model_and_max_tokens() -> None:
    path = EXAMPLES / "prompts/search/rewrite_query.prompt.yml"
    text = path.read_text()
    parsed = parse_prompt(str(path), text)
    assert parsed.format == "prompt-yml"
    assert parsed.model == "openai/gpt-4o-mini"
    assert parsed.max_tokens == 40
    assert [m.role for m in parsed.messages] == ["system", "user"]
    assert parsed.messages[0].text.startswith("Rewrite the user's question")
    [ref] = parsed.variables
    line = text.split("\n")[ref.line - 1]
    assert line[ref.column - 1 :].startswith("{{question}}")


def test_prompt_yml_block_scalar_variable_columns_are_exact() -> None:
    text = "messages:\n  - role: user\n    content: |\n      Hi\n      Q: {{q}}\n"
    parsed = parse_prompt("x.prompt.yml", text)
    [ref] = parsed.variables
    assert (ref.line, ref.column) == (5, 10)
    assert parsed.messages[0].start_line == 4


def test_prompt_yml_camel_case_max_tokens(corpus: Path) -> None:
    parsed = parse_file(corpus / "prompt-yml/github__gh-models__examples__sample_prompt.yml")
    assert parsed.max_tokens == 50


def test_semantic_kernel_yaml_is_not_a_github_models_file(corpus: Path) -> None:
    parsed = parse_file(one(corpus, "getIntent.prompt.yaml"))
    assert parsed.format == "semantic-kernel"
    assert parsed.max_tokens == 10
    assert len(parsed.messages) == 1
    assert any(n.code == "semantic-kernel" for n in parsed.notices)


def test_yaml_without_messages_is_skipped_with_a_reason() -> None:
    parsed = parse_prompt("ci.yml", "on: push\njobs: {}\n")
    assert parsed.messages == ()
    assert parsed.skip_reason is not None and "messages" in parsed.skip_reason


def test_broken_prompt_yml_is_counted_as_text_with_a_located_notice() -> None:
    text = "model: gpt-4o\nmessages:\n  - role: user\n    content: [unclosed\n"
    parsed = parse_prompt("bad.prompt.yml", text)
    assert parsed.messages[0].text == text
    problem = next(n for n in parsed.notices if n.code == "yaml-error")
    assert problem.line is not None and problem.line >= 4


def test_prompt_md_front_matter_is_not_sent_and_placeholder_model_is_surfaced() -> None:
    text = (
        "---\nmode: agent\nmodel: GPT-5 mini (copilot)\ntools: ['codebase']\n---\n"
        "Refactor ${input:methodName:the method} below.\nStyle guide: {{guide}}\n"
    )
    parsed = parse_prompt(".github/prompts/refactor.prompt.md", text)
    assert parsed.format == "prompt-md"
    assert parsed.model == "GPT-5 mini (copilot)"
    assert parsed.model_origin is not None and parsed.model_origin.line == 3
    [message] = parsed.messages
    assert message.start_line == 6
    assert "mode: agent" not in message.text
    assert [(v.name, v.line, v.syntax) for v in parsed.variables] == [
        ("methodName", 6, "copilot-input"),
        ("guide", 7, "double-brace"),
    ]


def test_front_matter_behind_a_code_fence(corpus: Path) -> None:
    name = "prompt-md/github__awesome-copilot__prompts__mcp-create-adaptive-cards.prompt.md"
    parsed = parse_file(corpus / name)
    assert parsed.model == "gpt-4.1"
    assert any(n.code == "fenced-file" for n in parsed.notices)
    body = parsed.messages[0].text
    assert "````" not in body and "mode: 'agent'" not in body


def test_bom_and_cr_only_file(corpus: Path) -> None:
    parsed = parse_file(one(corpus, "togaf-enterprise-architecture-assessment"))
    assert parsed.model == "claude-sonnet-4"
    assert parsed.messages[0].text.lstrip().startswith("# TOGAF")


def test_malformed_front_matter_is_a_notice_and_the_body_still_counts() -> None:
    text = "---\nmodel: [gpt-4o\nmode: agent\n---\nSummarise {{doc}}.\n"
    parsed = parse_prompt("notes.md", text)
    assert parsed.messages[0].text == "Summarise {{doc}}.\n"
    notice = next(n for n in parsed.notices if n.code == "yaml-error")
    assert notice.line in (2, 3, 4)
    assert parsed.variable_names == ("doc",)


def test_unclosed_front_matter_counts_the_whole_file() -> None:
    text = "---\ntitle: x\nno closing line\n"
    parsed = parse_prompt("a.prompt.md", text)
    assert parsed.messages[0].text == text
    assert parsed.notices[0].code == "front-matter-unclosed"


def test_empty_file_is_skipped_with_a_reason(corpus: Path) -> None:
    name = (
        "plain/All-Hands-AI__OpenHands__openhands__agenthub__codeact_agent__prompts__user_prompt.j2"
    )
    parsed = parse_file(corpus / name)
    assert parsed.messages == ()
    assert parsed.skip_reason == "empty file"


def test_plain_text_python_format_variables() -> None:
    parsed = parse_prompt(
        "prompts/classify.prompt", (EXAMPLES / "prompts/classify.prompt").read_text()
    )
    assert parsed.variable_names == ("review",)
    assert parsed.messages[0].role == "user"


def test_large_chinese_and_replacement_character_files_parse(corpus: Path) -> None:
    big = one(corpus, "sanitize_broken_html_to_markdown")
    parsed = parse_file(big)
    assert len(parsed.messages[0].text) > 80_000
    assert "input" in parsed.variable_names
    chinese = parse_file(corpus / "plain/langgptai__LangGPT__Prompts__巴菲特AI分身.md")
    assert "巴菲特" in chinese.messages[0].text
    fffd = corpus / "prompt-md/github__awesome-copilot__prompts__postgresql-optimization.prompt.md"
    assert "\ufffd" in parse_file(fffd).messages[0].text


def test_semantic_kernel_text_variables_are_literal_with_a_notice(corpus: Path) -> None:
    name = (
        "plain/microsoft__semantic-kernel__prompt_template_samples__FunPlugin__Joke__skprompt.txt"
    )
    parsed = parse_file(corpus / name)
    assert parsed.variables == ()
    assert any(n.code == "foreign-template" for n in parsed.notices)


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("a/b.prompt.md", "prompt-md"),
        ("x.PROMPT.YML", "prompt-yml"),
        ("x.prompt.yaml", "prompt-yml"),
        ("x.prompty", "prompty"),
        ("README.md", "markdown"),
        ("t.j2", "text"),
        ("prompts/system", "text"),
        ("logo.png", None),
        ("main.py", None),
        (".gitignore", None),
    ],
)
def test_detect_format(path: str, fmt: str | None) -> None:
    assert detect_format(path) == fmt
