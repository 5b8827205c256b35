"""`diff --base` sees a changed prompt literal or model in source code, as the PR comment does."""

from __future__ import annotations

import textwrap
from pathlib import Path

from code_helpers import commit_all, pr_comment

APP = textwrap.dedent("""\
    from pathlib import Path
    from openai import OpenAI

    client = OpenAI()
    SYSTEM = "You answer questions about our return policy in two sentences."


    def answer(question):
        return client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}],
        )


    def triage(ticket):
        system = Path("prompts/triage.txt").read_text()
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "system", "content": system}]
        )
""")
MANIFEST = """\
[defaults]
calls_per_month = 10000
output_tokens = 100

[prompts."app.py::answer"]
variables = { question = 50 }
"""


def test_a_changed_literal_and_model_in_code_show_in_the_pr_comment(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "triage.txt").write_text("Sort the ticket into billing or bug.\n")
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "llm-cost.toml").write_text(MANIFEST)
    commit_all(tmp_path)
    assert "### ✅ LLM cost: no change" in pr_comment(tmp_path)
    (tmp_path / "app.py").write_text(
        APP.replace("in two sentences.", "in two sentences. " + "Quote the policy. " * 30)
        .replace('model="gpt-4o-mini", messages=[{"role": "system", "content": system}]',
                 'model="gpt-4o", messages=[{"role": "system", "content": system}]')
    )  # fmt: skip
    comment = pr_comment(tmp_path)
    assert "| `app.py::answer` | +121 tok |" in comment  # why it changed
    assert "| input tokens | 72 | 193 |" in comment
    # the prompt file is sent by a call whose model changed: it now costs gpt-4o's price
    assert "| `triage` | gpt-4o-mini → gpt-4o |" in comment
    assert "| model | gpt-4o-mini | gpt-4o |" in comment
