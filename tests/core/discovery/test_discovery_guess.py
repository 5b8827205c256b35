"""Zero-config guesses: prompts kept where real repositories keep them are found; READMEs,
changelogs, web pages and config templates in the same places are not (and say why)."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmcost_lsp.core.discovery import DiscoveryResult, discover, prompt_id_for
from llmcost_lsp.core.manifest import parse_manifest

SYSTEM = "# IDENTITY and PURPOSE\n\nYou extract surprising ideas from the input.\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def reasons(result: DiscoveryResult) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}


def test_prompts_where_teams_keep_them_are_found(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "data/patterns/extract_wisdom/system.md": SYSTEM,  # fabric
            "openhands/agent/prompts/system_prompt.j2": "Act on {{ task }}.\n",  # deep prompts/
            ".github/prompts/review.md": "Review the diff for bugs.\n",
            "templates/commands/checklist.md": "Your task is to write a checklist.\n",
            "flows/chat/chat.jinja2": "system:\nYou are helpful.\nuser:\n{{question}}\n",
            "Prompts/Role.md": "你是一位诗人。\n",  # any case, any language
            "plugins/Joke/skprompt.txt": "JOKE MUST BE: {{$style}}\n",
            "app/summarize.prompt.txt": "Summarize.\n",
            ".claude/agents/recruiter.md": "Find candidates.\n",
        },
    )
    result = discover(tmp_path)
    assert {p.path for p in result.prompts} == {
        "data/patterns/extract_wisdom/system.md",
        "openhands/agent/prompts/system_prompt.j2",
        ".github/prompts/review.md",
        "templates/commands/checklist.md",
        "flows/chat/chat.jinja2",
        "Prompts/Role.md",
        "plugins/Joke/skprompt.txt",
        "app/summarize.prompt.txt",
        ".claude/agents/recruiter.md",
    }
    assert result.skipped == ()
    assert result.by_id()["extract_wisdom/system"].path.startswith("data/patterns/")


def test_documentation_pages_and_config_templates_are_not_prompts(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "data/patterns/summarize/system.md": SYSTEM,
            "data/patterns/summarize/README.md": "You are reading the docs of this pattern.\n",
            "data/patterns/summarize/user.md": "",
            "prompts/CHANGELOG.md": "## 1.2.0\n- faster\n",
            "web/templates/index.html.j2": "<!doctype html>\n<p>{{ title }}</p>\n",
            "web/templates/page.md": "---\ntitle: x\n---\n{{Content}}\n",  # a blog template
            "roles/nginx/templates/nginx.conf.j2": "user  {{ nginx_user }};\npid {{ pid }};\n",
            "docs/prompting-guide.md": "This page lists the options of the CLI.\n",
            "chart/templates/NOTES.txt": (  # Helm: prose and Go template actions
                "1. Get the URL by running these commands:\n{{- if .Values.ingress }}\n"
                '  You can watch it with kubectl get svc {{ include "app.name" . }}\n{{- end }}\n'
            ),
            "src/prompts/loader.py": "print('x')\n",  # not a prompt format: not a candidate
        },
    )
    result = discover(tmp_path)
    assert [p.path for p in result.prompts] == ["data/patterns/summarize/system.md"]
    why = reasons(result)
    assert why["data/patterns/summarize/README.md"] == "documentation, not a prompt"
    assert why["prompts/CHANGELOG.md"] == "documentation, not a prompt"
    assert why["data/patterns/summarize/user.md"] == "empty file"
    assert why["web/templates/index.html.j2"] == "HTML/XML markup, not a prompt"
    no_prompt = "does not read like a prompt (no instructions to a model, no variables in prose)"
    for rel in ("web/templates/page.md", "roles/nginx/templates/nginx.conf.j2"):
        assert why[rel] == no_prompt, rel
    assert why["docs/prompting-guide.md"] == no_prompt
    assert why["chart/templates/NOTES.txt"] == "a Go/Helm template, not a prompt"
    assert "src/prompts/loader.py" not in why


def test_an_include_of_your_own_turns_the_guesses_off(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "data/patterns/a/system.md": SYSTEM,
            "llm/main.txt": "You are terse.\n",
            "llm/tools.py": "x = 1\n",
            "llm/schema.json": "{}\n",
        },
    )
    manifest = parse_manifest('[discovery]\ninclude = ["llm/**"]\n')
    result = discover(tmp_path, manifest)
    assert [p.path for p in result.prompts] == ["llm/main.txt"]
    # files it names that llm-cost cannot read as prompts are said, on the include line
    (issue,) = result.issues
    assert issue.code == "not-a-prompt-format" and issue.severity == "warning"
    assert str(issue.location) == "llm-cost.toml:2:1"
    assert "matches 2 files that llm-cost cannot read as a prompt" in issue.message
    assert "llm/schema.json, llm/tools.py" in issue.message
    # a manifest without an include of its own keeps the guesses
    guessed = discover(tmp_path, parse_manifest("[defaults]\nmodel = 'gpt-4o'\n"))
    assert "data/patterns/a/system.md" in {p.path for p in guessed.prompts}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("data/patterns/summarize/system.md", "summarize/system"),
        ("app/system_prompts/triage.txt", "triage"),
        ("templates/commands/checklist.md", "checklist"),
    ],
)
def test_prompt_folders_anchor_ids(path: str, expected: str) -> None:
    assert prompt_id_for(path) == expected
