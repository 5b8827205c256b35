"""TypeScript/JavaScript prompt text and models imported from the workspace's modules, and the
text a function returns (issue 15): the same rules as Python's (core/code/modules.py), with
relative specifiers, tsconfig `paths`, default and namespace imports and re-exports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from code_helpers import commit_all, disk, pr_comment, write_files

from llmcost_lsp.core.code.model import CallSite
from llmcost_lsp.core.code.scan import scan_text
from llmcost_lsp.core.code.typescript import available
from llmcost_lsp.core.workspace import Workspace

pytestmark = pytest.mark.skipif(
    not available() and os.environ.get("CI") != "true",
    reason="tree-sitter not installed (pip install 'llm-cost[code]')",
)

SYSTEM = "You are the shop's assistant. Answer from the catalogue only, in two sentences."
PROMPTS = f"""\
export const SYSTEM = `{SYSTEM}`;
export const MODEL = "gpt-4o";
export const greeting = (name: string) => `Hello ${{name}}, how can I help?`;
export function instructions({{ city }}: {{ city: string }}) {{
  if (!city) {{
    return "Be brief.";
  }}
  return `Answer for a reader in ${{city}}. ${{SYSTEM}}`;
}}
export default {{ triage: "Route the ticket to billing, shipping or returns." }};
"""


def app(imports: str, system: str, model: str = '"gpt-4o-mini"', prompt: str = "q") -> str:
    return (
        'import { generateText } from "ai";\n'
        'import { openai } from "@ai-sdk/openai";\n'
        f"{imports}\n\n"
        "export async function answer(q: string) {\n"
        f"  return generateText({{ model: openai({model}), system: {system}, "
        f"prompt: {prompt} }});\n"
        "}\n"
    )


def scan(root: Path, rel: str) -> tuple[CallSite, tuple[str, ...]]:
    found = scan_text("typescript", (root / rel).read_text(), rel, disk(root))
    assert found.error is None, found.error
    (call,) = found.calls
    return call, tuple(path for path, _ in found.deps)


@pytest.mark.parametrize(
    ("imports", "system", "module"),
    [
        ('import { SYSTEM } from "./prompts";', "SYSTEM", "app/prompts.ts"),
        ('import { SYSTEM as S } from "./prompts.js";', "S", "app/prompts.ts"),  # ESM style
        ('import * as prompts from "./prompts";', "prompts.SYSTEM", "app/prompts.ts"),
        ('import { SYSTEM } from "@/lib/prompts";', "SYSTEM", "lib/prompts/index.ts"),
        ('import { SYSTEM } from "../lib/prompts";', "SYSTEM", "lib/prompts/index.ts"),
    ],
)
def test_an_imported_constant_is_read_as_the_prompt(
    tmp_path: Path, imports: str, system: str, module: str
) -> None:
    root = write_files(
        tmp_path,
        {
            # the tsconfig of a Next.js app (comments and trailing commas are JSON with comments)
            "tsconfig.json": (
                '{\n  // aliases\n  "compilerOptions": { "paths": { "@/*": ["./*"], } }\n}\n'
            ),
            "app/prompts.ts": PROMPTS,
            "lib/prompts/index.ts": 'export * from "./system";\n',
            "lib/prompts/system.ts": f"export const SYSTEM = `{SYSTEM}`;\n",
            "app/route.ts": app(imports, system),
        },
    )
    call, deps = scan(root, "app/route.ts")
    assert call.messages[0].text == SYSTEM
    assert module in deps  # a change to the module the text came from re-reads the call


def test_default_exports_functions_and_their_parameters(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "app/prompts.ts": PROMPTS,
            "app/route.ts": app(
                'import prompts, { greeting, instructions } from "./prompts";',
                "instructions({ city })",
                prompt="greeting(q) + prompts.triage",
            ),
        },
    )
    call, _ = scan(root, "app/route.ts")
    system, user = call.messages
    # the longest return; the function's parameters are variables, located at the call
    assert system.text == f"Answer for a reader in {{city}}. {SYSTEM}"
    assert user.text == (
        "Hello {name}, how can I help?Route the ticket to billing, shipping or returns."
    )
    assert {(h.name, h.line) for h in (*system.holes, *user.holes)} == {("city", 6), ("name", 6)}


def test_an_imported_model_names_its_module_and_offers_no_literal_to_edit(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "app/prompts.ts": PROMPTS,
            "app/route.ts": app('import { MODEL, SYSTEM } from "./prompts";', "SYSTEM", "MODEL"),
        },
    )
    call, _ = scan(root, "app/route.ts")
    assert call.model is not None
    assert (call.model.value, call.model.line) == ("gpt-4o", 0)
    assert call.model.how == "openai(…) ← MODEL in app/prompts.ts:2"


def test_cycles_packages_and_missing_modules_stop_with_a_variable(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "app/a.ts": 'export { SYSTEM } from "./b";\n',
            "app/b.ts": 'export { SYSTEM } from "./a";\n',
            "app/route.ts": app(
                'import { SYSTEM } from "./a";\nimport { OTHER } from "some-package";\n'
                'import { GONE } from "./gone";',
                "`${SYSTEM} ${OTHER} ${GONE}`",
            ),
        },
    )
    call, deps = scan(root, "app/route.ts")
    assert call.messages[0].text == "{SYSTEM} {OTHER} {GONE}"
    assert set(deps) == {"app/a.ts", "app/b.ts"}


def test_an_edit_of_the_imported_module_refreshes_the_call_in_the_editor(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "llm-cost.toml": "[defaults]\ncalls_per_month = 1000\noutput_tokens = 10\n",
            "app/prompts.ts": PROMPTS,
            "app/route.ts": app('import { SYSTEM } from "./prompts";', "SYSTEM"),
        },
    )
    workspace = Workspace(root, use_persistent_cache=False)
    workspace.load()
    prompt_id = "app/route.ts::answer"
    assert workspace.parsed(prompt_id).messages[0].text == SYSTEM
    longer = SYSTEM + " Quote the passage you rely on." * 10
    changed = workspace.apply_change(root / "app/prompts.ts", PROMPTS.replace(SYSTEM, longer))
    assert changed == {prompt_id}
    assert workspace.parsed(prompt_id).messages[0].text == longer


def test_diff_shows_a_call_whose_imported_prompt_changed(tmp_path: Path) -> None:
    """The PR comment: only app/prompts.ts changed, and the call that sends it is listed."""
    root = write_files(
        tmp_path,
        {
            "llm-cost.toml": "[defaults]\ncalls_per_month = 1000\noutput_tokens = 10\n"
            '[prompts."app/route.ts::answer"]\nvariables = { q = 20 }\n',
            "app/prompts.ts": PROMPTS,
            "app/route.ts": app('import { SYSTEM } from "./prompts";', "SYSTEM"),
        },
    )
    commit_all(root)
    (root / "app/prompts.ts").write_text(PROMPTS.replace(SYSTEM, SYSTEM + " Cite titles." * 20))
    assert "**`app/route.ts::answer`** (content-changed)" in pr_comment(root)


def test_where_a_specifier_is_looked_for() -> None:
    from llmcost_lsp.core.code.modules import Aliases, read_aliases, script_files

    assert script_files("web/app/route.ts", "./prompts.js", Aliases())[:3] == [
        "web/app/prompts.ts", "web/app/prompts.tsx", "web/app/prompts.js",
    ]  # fmt: skip
    assert script_files("web/route.ts", "../../outside", Aliases()) == []  # above the root
    assert script_files("route.ts", "openai", Aliases()) == []  # a package
    assert script_files("route.ts", "@/lib/p", Aliases())[0] == "lib/p.ts"  # no tsconfig
    nested = read_aliases(
        "web", '{"compilerOptions": {"baseUrl": "src", "paths": {"~/*": ["app/*"]}}}'
    )
    assert script_files("web/src/x.ts", "~/p", nested)[0] == "web/src/app/p.ts"
    assert script_files("web/src/x.ts", "lib/p", nested)[0] == "web/src/lib/p.ts"  # baseUrl
    broken = read_aliases("", "{ not json")
    assert broken == Aliases(found=True)  # read, unreadable: no aliases, no guessing
    assert script_files("x.ts", "@/lib/p", broken) == []
