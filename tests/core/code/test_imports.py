"""Prompt text and models imported from another module of the workspace (issue 15): absolute
and relative imports, module attributes, re-exports through `__init__`, a bounded number of
hops, cycles; a change to the module reaches the scan cache, the editor and `diff`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from code_helpers import commit_all, disk, pr_comment, write_files

from llmcost_lsp.core.code.modules import module_files
from llmcost_lsp.core.code.python import scan_python
from llmcost_lsp.core.code.scan import scan_text
from llmcost_lsp.core.init import plan_init
from llmcost_lsp.core.workspace import Workspace

SYSTEM = "You are a careful research assistant. Cite a source for every claim you make."
PROMPTS = f'SYSTEM_PROMPT = """{SYSTEM}"""\nMODEL = "gpt-4o"\nGREETING = "Hello " + "{{name}}"\n'


def _call(system: str, model: str = '"gpt-4o-mini"') -> str:
    return (
        f"    return client.chat.completions.create(model={model}, messages=[\n"
        f'        {{"role": "system", "content": {system}}}, {{"role": "user", "content": q}}])\n'
    )


def _app(imports: str, system: str, model: str = '"gpt-4o-mini"') -> str:
    return f"from openai import OpenAI\n{imports}\nclient = OpenAI()\n\ndef answer(q):\n" + _call(
        system, model
    )


def _scan(root: Path, rel: str) -> tuple[str, object, tuple[str, ...]]:
    scan = scan_python((root / rel).read_text(), rel, disk(root))
    (call,) = scan.calls
    system = call.messages[0].text
    return system, call.model, tuple(path for path, _ in scan.deps)


@pytest.mark.parametrize(
    ("imports", "system"),
    [
        ("from app.prompts import SYSTEM_PROMPT", "SYSTEM_PROMPT"),
        ("from .prompts import SYSTEM_PROMPT", "SYSTEM_PROMPT"),
        ("from app.prompts import SYSTEM_PROMPT as S", "S"),
        ("from . import prompts", "prompts.SYSTEM_PROMPT"),
        ("from app import prompts", "prompts.SYSTEM_PROMPT"),
        ("import app.prompts as p", "p.SYSTEM_PROMPT"),
        ("import app.prompts", "app.prompts.SYSTEM_PROMPT"),
        ("from app import SYSTEM", "SYSTEM"),  # re-exported by app/__init__.py
    ],
)
def test_an_imported_constant_is_read_as_the_prompt(
    tmp_path: Path, imports: str, system: str
) -> None:
    root = write_files(
        tmp_path,
        {
            "app/__init__.py": "from .prompts import SYSTEM_PROMPT as SYSTEM\n",
            "app/prompts.py": PROMPTS,
            "app/search.py": _app(imports, system),
        },
    )
    text, _, deps = _scan(root, "app/search.py")
    assert text == SYSTEM
    assert "app/prompts.py" in deps


def test_an_imported_model_names_its_module_and_offers_no_literal_to_edit(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "app/prompts.py": PROMPTS,
            "app/search.py": _app("from app.prompts import MODEL", '"Be brief."', "MODEL"),
        },
    )
    _, model, _ = _scan(root, "app/search.py")
    assert model is not None
    assert (model.value, model.how, model.line) == ("gpt-4o", "MODEL in app/prompts.py:2", 0)


def test_src_layout_and_a_service_folder_are_import_roots(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "src/app/prompts.py": PROMPTS,
            "src/app/search.py": _app("from app.prompts import SYSTEM_PROMPT", "SYSTEM_PROMPT"),
            "backend/server/prompts.py": PROMPTS,
            "backend/server/main.py": _app(
                "from server.prompts import SYSTEM_PROMPT", "SYSTEM_PROMPT"
            ),
        },
    )
    assert _scan(root, "src/app/search.py")[0] == SYSTEM
    assert _scan(root, "backend/server/main.py")[0] == SYSTEM
    assert module_files("a/b/c.py", 3, "x") == ["x.py", "x/__init__.py"]  # the root
    assert module_files("a/b/c.py", 4, "x") == []  # above the workspace root: nothing


def test_cycles_and_long_re_export_chains_stop_with_a_hole(tmp_path: Path) -> None:
    chain = {f"app/m{n}.py": f"from .m{n + 1} import X\n" for n in range(8)}
    root = write_files(
        tmp_path,
        {
            "app/a.py": "from .b import X\n",
            "app/b.py": "from .a import X\n",
            **chain,
            "app/m8.py": 'X = "deep"\n',
            "app/one.py": _app("from .a import X", "X"),
            "app/two.py": _app("from .m0 import X", "X"),
        },
    )
    assert _scan(root, "app/one.py")[0] == "{X}"  # a cycle: a template variable, no hang
    assert _scan(root, "app/two.py")[0] == "{X}"  # more hops than MAX_IMPORT_HOPS


def test_a_package_outside_the_workspace_is_not_read_and_says_so(tmp_path: Path) -> None:
    root = write_files(
        tmp_path, {"app/search.py": _app("from langchain_prompts import SYSTEM", "SYSTEM")}
    )
    scan = scan_python((root / "app/search.py").read_text(), "app/search.py", disk(root))
    assert scan.calls[0].messages[0].text == "{SYSTEM}"
    assert scan.deps == ()


def test_the_scan_cache_rescans_when_an_imported_module_changes(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "app/prompts.py": PROMPTS,
            "app/search.py": _app("from .prompts import SYSTEM_PROMPT", "SYSTEM_PROMPT"),
        },
    )
    text = (root / "app/search.py").read_text()
    first = scan_text("python", text, "app/search.py", disk(root))
    assert scan_text("python", text, "app/search.py", disk(root)) is first  # cached
    (root / "app/prompts.py").write_text(PROMPTS.replace("Cite", "Always cite"))
    second = scan_text("python", text, "app/search.py", disk(root))
    assert second.calls[0].messages[0].text == SYSTEM.replace("Cite", "Always cite")


def test_an_edit_of_the_imported_module_refreshes_the_call_in_the_editor(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "llm-cost.toml": "[defaults]\ncalls_per_month = 1000\noutput_tokens = 10\n",
            "app/prompts.py": PROMPTS,
            "app/search.py": _app("from .prompts import SYSTEM_PROMPT", "SYSTEM_PROMPT"),
        },
    )
    workspace = Workspace(root, use_persistent_cache=False)
    workspace.load()
    prompt_id = "app/search.py::answer"
    before = workspace.prompt(prompt_id)
    assert before is not None and workspace.parsed(prompt_id).messages[0].text == SYSTEM
    longer = SYSTEM + " Quote the passage you rely on." * 10
    changed = workspace.apply_change(root / "app/prompts.py", PROMPTS.replace(SYSTEM, longer))
    assert changed == {prompt_id}
    assert workspace.parsed(prompt_id).messages[0].text == longer
    after = workspace.prompt(prompt_id)
    assert after is not None and after.content_hash != before.content_hash
    assert workspace.apply_change(root / "app/prompts.py", None) == {prompt_id}  # closed: disk
    assert workspace.parsed(prompt_id).messages[0].text == SYSTEM


def test_init_sizes_the_variables_and_names_the_model_an_imported_prompt_brings(
    tmp_path: Path,
) -> None:
    """`init`'s next step for a call reads through imports as the estimate does: the model
    imported from app/prompts.py and the `{name}` of the imported template are listed."""
    root = write_files(
        tmp_path,
        {
            "app/prompts.py": PROMPTS,
            "app/search.py": _app(
                "from .prompts import GREETING, MODEL", "GREETING.format(name=q)", "MODEL"
            ),
        },
    )
    plan = plan_init(root)
    entry = plan.new_text[plan.new_text.index('[prompts."app/search.py::answer"]') :]
    assert 'model = "gpt-4o"    # named at the call; set to override' in entry
    assert "# name = 100" in entry  # the imported template's variable, to size
    assert "# GREETING" not in entry  # not an unread name any more


def test_diff_shows_a_call_whose_imported_prompt_changed(tmp_path: Path) -> None:
    """The PR comment: only app/prompts.py changed, and the call that sends it is listed."""
    root = write_files(
        tmp_path,
        {
            "llm-cost.toml": "[defaults]\ncalls_per_month = 1000\noutput_tokens = 10\n"
            '[prompts."app/search.py::answer"]\nvariables = { q = 20 }\n',
            "app/prompts.py": PROMPTS,
            "app/search.py": _app("from .prompts import SYSTEM_PROMPT", "SYSTEM_PROMPT"),
        },
    )
    commit_all(root)
    longer = SYSTEM + " Quote the passage you rely on." * 10
    (root / "app/prompts.py").write_text(PROMPTS.replace(SYSTEM, longer))
    assert "**`app/search.py::answer`** (content-changed)" in pr_comment(root)


def test_a_real_world_shape_reads_through(tmp_path: Path) -> None:
    """gpt-researcher's shape: a prompt function's module beside a constants module."""
    root = write_files(
        tmp_path,
        {
            "pkg/config.py": 'SMART_LLM = "gpt-4o"\n',
            "pkg/prompts.py": textwrap.dedent('''\
                from .config import SMART_LLM
                AUTO_AGENT = """You are a research agent. Pick the agent for the task."""
                '''),
            "pkg/agent.py": _app("from .prompts import AUTO_AGENT, SMART_LLM", "AUTO_AGENT",
                                 "SMART_LLM"),
        },
    )  # fmt: skip
    text, model, deps = _scan(root, "pkg/agent.py")
    assert text.startswith("You are a research agent")
    assert model is not None and model.value == "gpt-4o"
    assert deps == ("pkg/config.py", "pkg/prompts.py")


FAMILY = textwrap.dedent('''\
    class PromptFamily:
        @staticmethod
        def intro(question, language="english"):
            return f"Write an introduction about {question} in {language}. Cite sources."

        @staticmethod
        def agent():
            if True:
                return "short"
            return """You are the agent chooser. Pick the best expert for the task."""


    def make_prompt(topic):
        header = "Research brief. "
        return header + f"Topic: {topic}."


    def loop(x):
        return loop(x)
    ''')


@pytest.mark.parametrize(
    ("imports", "system", "expected"),
    [
        ("from .family import make_prompt", "make_prompt(q)", "Research brief. Topic: {topic}."),
        ("from .family import PromptFamily", "PromptFamily.intro(q)",
         "Write an introduction about {question} in {language}. Cite sources."),
        ("from .family import PromptFamily\npf = PromptFamily()", "pf.agent()",
         "You are the agent chooser. Pick the best expert for the task."),
        ("from .family import loop", "loop(q)", "{loop_q}"),  # recursion: a variable, no hang
        ("from .family import missing", "missing(q)", "{missing_q}"),
    ],
    ids=["function", "static-method", "instance", "recursion", "not-defined"],
)  # fmt: skip
def test_the_text_a_workspace_function_returns_is_read(
    tmp_path: Path, imports: str, system: str, expected: str
) -> None:
    """gpt-researcher builds every prompt in `PromptFamily` methods (`prompt_family.intro(…)`,
    the family a parameter's default): the returned template is counted, its parameters are
    variables located at the call."""
    root = write_files(tmp_path, {"app/family.py": FAMILY, "app/search.py": _app(imports, system)})
    scan = scan_python((root / "app/search.py").read_text(), "app/search.py", disk(root))
    message = scan.calls[0].messages[0]
    assert message.text == expected
    call_line = next(
        n for n, line in enumerate((root / "app/search.py").read_text().splitlines(), 1)
        if system in line
    )  # fmt: skip
    assert all(hole.line == call_line for hole in message.holes)


def test_a_parameter_default_names_the_class_whose_method_builds_the_prompt(
    tmp_path: Path,
) -> None:
    app = _app("from .family import PromptFamily", "prompt_family.agent()").replace(
        "def answer(q):", "def answer(q, prompt_family=PromptFamily):"
    )
    root = write_files(tmp_path, {"app/family.py": FAMILY, "app/search.py": app})
    scan = scan_python(app, "app/search.py", disk(root))
    assert scan.calls[0].messages[0].text.startswith("You are the agent chooser.")


def test_scans_are_kept_across_runs_and_a_changed_import_is_scanned_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CLI run is a new process: the persistent scan cache spares the parse of unchanged
    calling files, and a scan whose imported module changed is not used."""
    from llmcost_lsp.core.code import scan as scan_module
    from llmcost_lsp.core.settings import Settings

    root = write_files(
        tmp_path / "ws",
        {
            "app/prompts.py": PROMPTS,
            "app/search.py": _app("from .prompts import SYSTEM_PROMPT", "SYSTEM_PROMPT"),
            "app/other.py": _app("", '"Be brief."'),
        },
    )
    settings = Settings(cache_dir=tmp_path / "cache", config_dir=tmp_path / "config")
    parsed: list[str] = []
    real = scan_module.scan_python

    def counting(text: str, path: str = "", modules: object = None) -> object:
        parsed.append(path)
        return real(text, path, modules)  # type: ignore[arg-type]

    monkeypatch.setattr(scan_module, "scan_python", counting)

    def run() -> Workspace:
        scan_module.clear_cache()  # a new process
        workspace = Workspace(root, settings=settings)
        workspace.load()
        return workspace

    first = run()
    assert sorted(parsed) == ["app/other.py", "app/search.py"]
    parsed.clear()
    second = run()
    assert parsed == []
    assert second.parsed("app/search.py::answer") == first.parsed("app/search.py::answer")
    (root / "app/prompts.py").write_text(PROMPTS.replace("Cite", "Always cite"))
    third = run()
    assert parsed == ["app/search.py"]  # other.py reads no module: still from the store
    assert third.parsed("app/search.py::answer").messages[0].text.startswith("You are a careful")
    assert "Always cite" in third.parsed("app/search.py::answer").messages[0].text
