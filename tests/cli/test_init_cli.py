from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main
from llmcost_lsp.core.discovery import discover
from llmcost_lsp.core.manifest import load_manifest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

EXISTING = """\
# Our prompts. Ask #ml-platform before changing volumes.
[defaults]
model = "gpt-4o-mini"   # evals pass with mini
calls_per_month = 10_000

[prompts.triage]        # renamed from support/triage on purpose
path = "prompts/support/triage.txt"
output_tokens = 120

# Budgets agreed for Q4
[budgets]
monthly_usd = "900"     # hard cap
"""

GOLDEN = """\
# Our prompts. Ask #ml-platform before changing volumes.
[defaults]
model = "gpt-4o-mini"   # evals pass with mini
calls_per_month = 10_000

[prompts.triage]        # renamed from support/triage on purpose
path = "prompts/support/triage.txt"
output_tokens = 120
# variables.plan = 100    # not sized yet: tokens per call
# variables.history = 100    # not sized yet: tokens per call
# variables.message = 100    # not sized yet: tokens per call

[prompts.classify]
path = "prompts/classify.prompt"
# model = "gpt-4o-mini"    # from [defaults]; set to override
# calls_per_month = 10_000    # from [defaults]
# output_tokens = 300    # output tokens per call
# [prompts.classify.variables]    # tokens per call of each template variable
# review = 100

[prompts."search/answer"]
path = "prompts/search/answer.prompt.md"
# model = "gpt-4o"    # named in the prompt file; set to override
# calls_per_month = 10_000    # from [defaults]
# output_tokens = 300    # output tokens per call
# [prompts."search/answer".variables]    # tokens per call of each template variable
# passages = 100
# question = 100

[prompts."search/rewrite_query"]
path = "prompts/search/rewrite_query.prompt.yml"
# model = "openai/gpt-4o-mini"    # named in the prompt file; set to override
# calls_per_month = 10_000    # from [defaults]
# output_tokens = 40    # the file's max_tokens: an upper bound, replies are often shorter
# [prompts."search/rewrite_query".variables]    # tokens per call of each template variable
# question = 100

[prompts.summarize]
path = "src/app/summarize.prompty"
# model = "gpt-4o"    # named in the prompt file; set to override
# calls_per_month = 10_000    # from [defaults]
# output_tokens = 400    # the file's max_tokens: an upper bound, replies are often shorter
# [prompts.summarize.variables]    # tokens per call of each template variable
# timeline = 100

# Budgets agreed for Q4
[budgets]
monthly_usd = "900"     # hard cap
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    # examples/code-app is a workspace of its own (the examples manifest excludes it)
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("llm-cost.toml", "code-app"))
    return root


def test_init_writes_a_manifest_and_prints_the_mapping(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(workspace)]) == 0
    out = capsys.readouterr().out
    assert "mapped 'prompts/support/triage.txt' -> id: 'support/triage'" in out
    assert "mapped 'src/app/summarize.prompty' -> id: 'summarize'" in out
    manifest = load_manifest(workspace / "llm-cost.toml")
    assert manifest.prompts["support/triage"].path == "prompts/support/triage.txt"
    assert manifest.defaults.calls_per_month is None  # volumes are the user's to state
    text = (workspace / "llm-cost.toml").read_text()
    assert "# calls_per_month = 10_000" in text
    # the same ids come back, now explicit
    result = discover(workspace, manifest)
    assert all(p.explicit_id for p in result.prompts)
    assert main(["init", str(workspace)]) == 0
    assert "llm-cost.toml is up to date" in capsys.readouterr().out


def test_init_on_a_commented_manifest_only_adds_missing_prompts(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = workspace / "llm-cost.toml"
    manifest.write_text(EXISTING)
    assert main(["init", str(workspace)]) == 0
    out = capsys.readouterr().out
    assert "kept   'prompts/support/triage.txt' -> id: 'triage'" in out
    assert manifest.read_text() == GOLDEN


def test_dry_run_prints_a_diff_and_writes_nothing(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = workspace / "llm-cost.toml"
    manifest.write_text(EXISTING)
    assert main(["init", str(workspace), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "--- a/llm-cost.toml\n+++ b/llm-cost.toml\n" in out
    assert '+[prompts.summarize]\n+path = "src/app/summarize.prompty"\n' in out
    assert out.rstrip().endswith("dry run: nothing written")
    assert manifest.read_text() == EXISTING


def test_dry_run_without_a_manifest_writes_nothing(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(workspace), "--dry-run"]) == 0
    assert "+++ b/llm-cost.toml" in capsys.readouterr().out
    assert not (workspace / "llm-cost.toml").exists()


def test_invalid_manifest_exits_2_with_file_line(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "llm-cost.toml").write_text("[defaults]\ncalls_per_mnth = 5\n")
    assert main(["init", str(workspace)]) == 2
    err = capsys.readouterr().err
    assert "llm-cost.toml:2:1: unknown key 'calls_per_mnth' in [defaults]" in err
    assert "did you mean 'calls_per_month'?" in err


def test_missing_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_skips_are_explained(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workspace / "prompts/logo.png").write_bytes(b"\x89PNG\x00")
    assert main(["init", str(workspace), "--dry-run"]) == 0
    assert "skipped 'prompts/logo.png': not a prompt format (extension .png)" in (
        capsys.readouterr().out
    )


def test_core_plan_uses_an_unsaved_editor_buffer(workspace: Path) -> None:
    from llmcost_lsp.core.init import apply_init, plan_init

    (workspace / "llm-cost.toml").write_text("# on disk\n")
    buffer = EXISTING.replace("\n", "\r\n")  # what the editor holds, with CRLF
    plan = plan_init(workspace, manifest_text=buffer)
    assert plan.old_text == buffer
    kept = iter(plan.new_text.split("\r\n"))  # every old line, in order, all CRLF
    assert all(line in kept for line in buffer.split("\r\n"))
    assert "\n" not in plan.new_text.replace("\r\n", "")
    assert '[prompts.summarize]\r\npath = "src/app/summarize.prompty"\r\n' in plan.new_text
    assert [m.id for m in plan.added] == [
        "classify",
        "search/answer",
        "search/rewrite_query",
        "summarize",
    ]
    assert apply_init(plan)
    assert (workspace / "llm-cost.toml").read_bytes().decode() == plan.new_text


def test_a_manifest_with_lone_cr_line_ends_is_updated_keeping_them(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A classic-Mac manifest (CR alone ends each line) was refused as a TOML syntax error."""
    manifest = workspace / "llm-cost.toml"
    manifest.write_bytes(EXISTING.replace("\n", "\r").encode())
    assert main(["init", str(workspace)]) == 0
    written = manifest.read_bytes().decode()
    assert "\n" not in written
    kept = iter(written.split("\r"))  # every old line, in order, comments kept
    assert all(line in kept for line in EXISTING.split("\n"))
    assert '[prompts.summarize]\rpath = "src/app/summarize.prompty"\r' in written
    assert set(load_manifest(manifest).prompts) >= {"triage", "summarize", "classify"}
    capsys.readouterr()
    assert main(["init", str(workspace)]) == 0
    assert "is up to date" in capsys.readouterr().out
    assert manifest.read_bytes().decode() == written


def test_init_writes_the_next_step_of_each_prompt_and_it_is_valid_once_uncommented(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "prompts" / "support" / "triage.txt").write_text(
        "Triage {{ticket.id}} for {{ customer }}.\n"
    )
    assert main(["init", str(workspace)]) == 0
    out = capsys.readouterr().out
    assert "next: in each new [prompts.<id>] table, uncomment and fill in model" in out
    assert "reference: https://github.com/llm-cost/llm-cost/blob/main/docs/manifest.md" in out
    text = (workspace / "llm-cost.toml").read_text()
    assert "docs/manifest.md" not in text.replace("blob/main/docs/manifest.md", "")
    block = text.split('[prompts."support/triage"]\n', 1)[1].split("\n\n", 1)[0]
    assert block.splitlines()[1:] == [
        '# model = "gpt-4o-mini"    # no model in the file: pick one (llm-cost pricing list)',
        "# calls_per_month = 10_000    # calls per month: yours to state",
        "# output_tokens = 300    # output tokens per call",
        '# [prompts."support/triage".variables]    # tokens per call of each template variable',
        '# "ticket.id" = 100',
        "# customer = 100",
    ]
    rewrite = text.split('[prompts."search/rewrite_query"]\n', 1)[1]
    assert "# output_tokens = 40    # the file's max_tokens: an upper bound" in rewrite
    # every line of the next step is TOML once uncommented
    import re

    from llmcost_lsp.core.manifest import analyze_manifest

    toml_line = re.compile(r'^# (?=[A-Za-z_"][\w."-]* = |\[)', re.MULTILINE)
    uncommented = toml_line.sub("", text)

    analysis = analyze_manifest(uncommented)
    assert analysis.manifest is not None, analysis.issues
    sizes = analysis.manifest.prompts["support/triage"].variables
    assert {name: v.tokens for name, v in sizes.items()} == {"ticket.id": 100, "customer": 100}


def test_rerunning_init_keeps_every_comment_and_adds_what_is_new(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(workspace)]) == 0
    manifest = workspace / "llm-cost.toml"
    edited = manifest.read_text().replace(
        "# calls_per_month = 10_000    # calls per month: yours to state",
        "calls_per_month = 2_000    # measured in November",
        1,
    )
    manifest.write_text(edited)
    assert main(["init", str(workspace)]) == 0
    assert manifest.read_text() == edited
    (workspace / "prompts" / "new.txt").write_text("Say {{greeting}}.\n")
    assert main(["init", str(workspace)]) == 0
    again = manifest.read_text()
    assert again.startswith(edited.rstrip("\n"))
    assert "[prompts.new]" in again and "# greeting = 100" in again
    capsys.readouterr()


def test_a_rerun_adds_a_new_variable_of_a_mapped_prompt_under_its_entry(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    triage = workspace / "prompts" / "support" / "triage.txt"
    triage.write_text("Triage {{ticket}}.\n")
    assert main(["init", str(workspace)]) == 0
    manifest = workspace / "llm-cost.toml"
    first = manifest.read_text()
    triage.write_text("Triage {{ticket}} for {{customer.tier}}.\n")
    assert main(["init", str(workspace)]) == 0
    second = manifest.read_text()
    section = second.split('[prompts."support/triage"]', 1)[1].split("\n\n", 1)[0]
    assert section.endswith('# "customer.tier" = 100    # not sized yet: tokens per call')
    assert section.count("ticket = 100") == 1  # written once, not again
    # nothing else moved: the old text is the new text without the one added line
    added = '# "customer.tier" = 100    # not sized yet: tokens per call\n'
    assert second.replace(added, "") == first
    capsys.readouterr()
