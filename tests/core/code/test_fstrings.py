"""Python 3.12 f-strings (PEP 701) in a file scanned by an older Python: the calls are read,
the f-string's expressions are variables; what the old tokenizer cannot split is reported."""

from __future__ import annotations

import sys
import textwrap

from llmcost_lsp.core.code import scan_text
from llmcost_lsp.core.code.fstrings import rewrite_fstrings

# gpt-researcher's backend/report_type/deep_research/example.py: a backslash inside an
# f-string expression, nested in a triple-quoted f-string
DEEP_RESEARCH = '''
from openai import OpenAI
client = OpenAI()

def research(query, questions, answers):
    combined = f"""
    Initial Query: {query}
    Follow-up Questions and Answers:
    {' '.join([f'Q: {q}\\nA: {a}' for q, a in zip(questions, answers)])}
    """
    lines = f"{'\\n'.join(answers)!r:>10}"
    return client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": combined + lines}],
    )
'''


def test_a_312_fstring_is_read_on_any_python() -> None:
    scan = scan_text("python", textwrap.dedent(DEEP_RESEARCH))
    assert scan.error is None
    (call,) = scan.calls
    assert call.key == "research" and call.line == 12  # lines do not move
    (message,) = call.messages
    assert "Initial Query: {query}" in message.text
    assert [h.name for h in message.holes] == [
        "query", "join_f_Q_q_nA_a_for_q_a_in_zip_questions_answers", "n_join_answers",
    ]  # fmt: skip


def test_only_the_fstrings_the_old_parser_rejects_are_rewritten_and_lines_stay() -> None:
    source = 'a = f"{x}"\nb = f"{\'\\\\n\'.join(y)}"\nc = 1\n'
    rewritten = rewrite_fstrings(source)
    if sys.version_info < (3, 12):
        assert rewritten == 'a = f"{x}"\nb = f"{n_join_y}"\nc = 1\n'
    else:  # 3.12's tokenizer splits f-strings: nothing to rewrite, ast reads them itself
        assert rewritten is None
    assert rewrite_fstrings("a = f'{x}'\n") is None  # nothing to rewrite


def test_a_quote_reused_inside_an_fstring_is_reported_not_crashed() -> None:
    source = 'import openai\nx = f"{d["k"]}"\n' if sys.version_info < (3, 12) else "def f(:\n"
    scan = scan_text("python", "import openai\n" + source)
    assert scan.error is not None and scan.error.startswith("parsing stopped at line")
