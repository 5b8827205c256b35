"""Call-site prompts in a workspace: discovered beside prompt files, configured by id in the
manifest, estimated, and re-read after an edit like any prompt."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

from llmcost_lsp.core.init import plan_init
from llmcost_lsp.core.workspace import Workspace

SEARCH = '''\
import os
from pathlib import Path

from anthropic import Anthropic
from openai import OpenAI

MODEL = "gpt-4o-mini"
SYSTEM_PROMPT = """You are the search assistant of an online bookshop.
Answer from the catalogue excerpt only, in at most three sentences."""
PROMPTS = Path(__file__).parent / "prompts"
client = OpenAI()


def answer(question: str, excerpt: str) -> str:
    response = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Catalogue:\\n{excerpt}\\n\\nQuestion: {question}"},
        ],
    )
    return response.choices[0].message.content


class Triage:
    def __init__(self) -> None:
        self.client = Anthropic()
        self.model = os.getenv("TRIAGE_MODEL", "claude-haiku-4-5")

    def route(self, ticket: str) -> str:
        system = (PROMPTS / "triage.txt").read_text()
        reply = self.client.messages.create(
            model=self.model, system=system, max_tokens=50,
            messages=[{"role": "user", "content": ticket}],
        )
        return reply.content[0].text
'''

MANIFEST = """\
[defaults]
calls_per_month = 1000

[prompts."app/search.py::answer"]
output_tokens = 200
variables = { question = 30, excerpt = 400 }
"""


def make(root: Path, manifest: str | None = MANIFEST) -> Path:
    (root / "app" / "prompts").mkdir(parents=True)
    (root / "app" / "search.py").write_text(SEARCH)
    (root / "app" / "prompts" / "triage.txt").write_text("Route the ticket: billing, bug, other.\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_search.py").write_text(
        "from openai import OpenAI\nOpenAI().chat.completions.create(model='gpt-4o', messages=[])\n"
    )
    (root / "app" / "util.py").write_text("def add(a, b):\n    return a + b\n")
    if manifest is not None:
        (root / "llm-cost.toml").write_text(manifest)
    return root


def loaded(root: Path) -> Workspace:
    workspace = Workspace(root, use_persistent_cache=False)
    workspace.load()
    return workspace


def test_calls_are_prompts_with_stable_ids_and_the_manifest_configures_them(
    tmp_path: Path,
) -> None:
    workspace = loaded(make(tmp_path))
    assert [p.id for p in workspace.prompts] == [
        "triage",
        "app/search.py::Triage.route",
        "app/search.py::answer",
    ]  # the test file calls an LLM too, but tests are not scanned
    report = workspace.report()
    answer = next(r for r in report.results if r.prompt_id == "app/search.py::answer")
    estimate = answer.estimate
    assert estimate is not None
    assert (estimate.model.value, estimate.model.source) == (
        "gpt-4o-mini",
        "code: MODEL at app/search.py:7",
    )
    messages = answer.parsed.messages
    assert [(m.role, m.start_line) for m in messages] == [("system", 18), ("user", 19)]
    # the holes are sized from the manifest: 30 + 400 tokens on top of the literal text
    assert answer.issues == ()
    assert estimate.input_tokens.tokens > 430
    assert estimate.monthly_usd == estimate.per_call_usd * 1000  # type: ignore[operator]
    assert answer.location.line == 15  # findings about it show at the `create(` line


def test_a_prompt_file_sent_by_a_call_takes_its_model(tmp_path: Path) -> None:
    workspace = loaded(make(tmp_path))
    triage = workspace.result("triage")
    assert triage.estimate is not None
    assert triage.estimate.model.value == "claude-haiku-4-5"
    assert triage.estimate.model.source == (
        "code: app/search.py::Triage.route (self.model ← default of $TRIAGE_MODEL)"
    )
    route = workspace.result("app/search.py::Triage.route")
    assert any("triage.txt is sent here" in n.message for n in route.parsed.notices)


def test_init_names_calls_by_id_without_a_path(tmp_path: Path) -> None:
    plan = plan_init(make(tmp_path, manifest=None))
    text = plan.new_text
    entry = text[text.index('[prompts."app/search.py::answer"]\n') :]
    assert "path =" not in entry.split("\n")[1]  # named by its id alone
    assert "# question = 100" in entry  # the next step: size the call's holes
    assert 'path = "app/search.py"' not in plan.new_text
    assert 'path = "app/prompts/triage.txt"' in plan.new_text


def test_excluded_ignored_unreadable_and_broken_sources_are_said(tmp_path: Path) -> None:
    root = make(tmp_path, manifest='[discovery]\nexclude = ["legacy/**"]\n')
    (root / "legacy").mkdir()
    (root / "legacy" / "old.py").write_text(SEARCH)
    (root / "vendor").mkdir()
    (root / "vendor" / "sdk.py").write_text(SEARCH)
    (root / ".gitignore").write_text("vendor/\n")
    (root / "app" / "draft.py").write_text("import openai\ndef f(:\n")
    (root / "app" / "latin1.py").write_bytes(b"import openai\n# caf\xe9\n")
    workspace = loaded(root)
    paths = {p.path for p in workspace.prompts}
    assert "legacy/old.py" not in paths and "vendor/sdk.py" not in paths
    skipped = {s.path: s.reason for s in workspace.discovery.skipped}
    assert skipped["app/draft.py"] == "calls not read: parsing stopped at line 2: invalid syntax"
    assert skipped["app/latin1.py"].startswith("calls not read:")
    assert "app/util.py" not in skipped  # no LLM library named: not even parsed


def test_a_call_that_cannot_be_read_is_found_not_sized(tmp_path: Path) -> None:
    root = make(tmp_path)
    (root / "app" / "chat.py").write_text(
        "from openai import OpenAI\n\n"
        "def chat(history):\n"
        "    return OpenAI().chat.completions.create(model='gpt-4o', messages=history.build())\n"
    )
    result = loaded(root).result("app/chat.py::chat")
    assert result.estimate is None
    assert [(i.code, i.message, i.location.line) for i in result.issues] == [
        (
            "not-estimated",
            "found, not sized: the messages are `history.build()`, built at run time",
            4,
        )
    ]


def test_an_edit_reprices_the_call_and_half_written_code_keeps_the_last_good_parse(
    tmp_path: Path,
) -> None:
    root = make(tmp_path)
    workspace = loaded(root)
    source = root / "app" / "search.py"
    before = workspace.result("app/search.py::answer").estimate
    assert before is not None
    longer = SEARCH.replace("three sentences.", "three sentences. " + "Cite the page. " * 40)
    changed = workspace.apply_change(source, "\n\n" + longer)
    assert changed == {"app/search.py::answer", "app/search.py::Triage.route"}
    after = workspace.result("app/search.py::answer").estimate
    assert after is not None and after.input_tokens.tokens > before.input_tokens.tokens + 150
    assert [s.line for s in workspace.code_sites(source)] == [17, 34]  # moved down two lines
    broken = "\n\n" + longer.replace("def route(self, ticket: str)", "def route(self, ticket: str")
    workspace.apply_change(source, broken)
    kept = workspace.result("app/search.py::answer")
    assert kept.estimate is not None
    assert kept.estimate.input_tokens == after.input_tokens
    assert kept.parsed.notices[0].message.startswith("parsing stopped at line 3")
    assert [s.line for s in workspace.code_sites(source)] == [17, 34]
    workspace.apply_change(source, SEARCH.replace('"gpt-4o-mini"', '"gpt-4o"'))
    repriced = workspace.result("app/search.py::answer").estimate
    assert repriced is not None and repriced.model.value == "gpt-4o"
    assert repriced.per_call_usd > before.per_call_usd  # type: ignore[operator]
    assert not workspace.result("app/search.py::answer").parsed.notices


def test_an_edit_that_adds_a_call_finds_it(tmp_path: Path) -> None:
    root = make(tmp_path)
    workspace = loaded(root)
    util = root / "app" / "util.py"
    assert workspace.apply_change(util, "def add(a, b):\n    return a + b  # openai\n") == set()
    code = textwrap.dedent("""\
        import litellm

        def summarize(text):
            return litellm.completion(model="gpt-4o-mini", messages=[("user", text)])
    """)
    util.write_text(code)
    assert workspace.apply_change(util, code) == {"app/util.py::summarize"}
    assert workspace.result("app/util.py::summarize").estimate is not None
    assert Decimal(0) < workspace.report().monthly_usd


def test_typescript_calls_are_prompts_too(tmp_path: Path) -> None:
    root = make(tmp_path)
    (root / "web").mkdir()
    (root / "web" / "answer.ts").write_text(
        'import { generateText } from "ai";\nimport { openai } from "@ai-sdk/openai";\n'
        "export async function answer(q: string) {\n"
        '  return generateText({ model: openai("gpt-4o-mini"), system: "Be brief.", prompt: q });\n'
        "}\n"
    )
    (root / "web" / "vendor.min.js").write_text('import OpenAI from "openai";' + "x" * 100)
    (root / "web" / "types.d.ts").write_text('import OpenAI from "openai";\n')
    workspace = loaded(root)
    result = workspace.result("web/answer.ts::answer")
    assert result.estimate is not None
    assert result.estimate.model.source == "code: openai(…) at web/answer.ts:4"
    assert "web/vendor.min.js" not in {p.path for p in workspace.prompts}


def test_a_calls_budgets_and_tags_come_from_its_manifest_entry(tmp_path: Path) -> None:
    """`check` fails on a call's own budget and on its tag's budget (at the manifest key, as
    for a prompt file; the editor shows it at the call too: tests/lsp/test_code_prompts.py);
    its tags reach the estimate and the FOCUS export like a prompt file's."""
    import json
    import subprocess
    import sys

    root = make(
        tmp_path,
        manifest=MANIFEST
        + 'budget_monthly_usd = "0.01"\ntags = { team = "search" }\n\n'
        + '[budgets.tags.team]\nsearch = "0.02"\n',
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "llmcost_lsp.cli.main", *args, "--allow-stale", str(root)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip

    check = cli("check", "--format", "json")
    assert check.returncode == 1, check.stderr
    found = {(i["code"], i["line"], i["message"]) for i in json.loads(check.stdout)["issues"]}
    budgets = sorted((line, message) for code, line, message in found if "budget" in code)
    assert [line for line, _ in budgets] == [7, 11], found  # budget_monthly_usd, tag budget
    assert "app/search.py::answer" in budgets[0][1] and "team=search" in budgets[1][1]
    estimate = json.loads(cli("estimate", "--format", "json").stdout)
    answer = next(p for p in estimate["prompts"] if p["id"] == "app/search.py::answer")
    assert answer["tags"] == {"team": "search"}
    focus = tmp_path / "focus.csv"
    assert cli("export", "focus", "--period", "2026-11", "-o", str(focus)).returncode == 0
    rows = [row for row in focus.read_text().splitlines() if "app/search.py::answer" in row]
    assert rows and all('""team"":""search""' in row for row in rows)
