"""The manifest, from anywhere: found by walking up from a subfolder, named on every run, and a
manifest with an error stops the command (exit 2) instead of a silent run without it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main

REPO = Path(__file__).resolve().parents[2]
PRICE_DATE = "2026-11-23"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "examples", root)
    (root / ".git").mkdir()  # the repository's top: the upward search stops here
    monkeypatch.chdir(root / "prompts" / "support")
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args, "--price-date", PRICE_DATE])
    out, err = capsys.readouterr()
    return code, out, err


def test_estimate_from_a_subfolder_uses_the_repositorys_manifest(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "estimate")
    assert code == 0
    assert f"llm-cost: using {example / 'llm-cost.toml'} (found above .)" in err
    # the manifest's volumes apply: monthly totals are known, every prompt of the repo is there
    _, whole, _ = run(capsys, "estimate", str(example))
    assert out == whole
    assert "Total: $1,481.80/month" in out


def test_every_run_names_its_manifest(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, err = run(capsys, "check", str(example))
    assert f"llm-cost: manifest {example / 'llm-cost.toml'}" in err
    bare = tmp_path / "bare"
    (bare / "prompts").mkdir(parents=True)
    (bare / "prompts" / "a.txt").write_text("You are terse.")
    _, _, err = run(capsys, "estimate", str(bare))
    assert "no llm-cost.toml in" in err and "zero-config" in err


def test_the_search_stops_at_the_repository_top(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "llm-cost.toml").write_text("[defaults]\nmodel = 'nope'\n")  # someone else's
    inner = tmp_path / "inner"
    (inner / ".git").mkdir(parents=True)
    (inner / "prompts").mkdir()
    (inner / "prompts" / "a.txt").write_text("You are terse.")
    monkeypatch.chdir(inner)
    code, out, err = run(capsys, "estimate")
    assert code == 0 and "found above" not in err
    assert "nope" not in out and "(assumed)" in out  # the default model, not the outer 'nope'


def test_a_manifest_error_stops_estimate_with_exit_2_and_every_error(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = example / "llm-cost.toml"
    text = manifest.read_text().replace("calls_per_month", "calls_per_mnth", 1)
    manifest.write_text(text + '\n[scenarios.bad]\ncache_hit_ratio = "lots"\n')
    code, out, err = run(capsys, "estimate", str(example))
    assert code == 2
    assert out == ""  # no table computed without the manifest
    assert "unknown key 'calls_per_mnth'" in err and "did you mean 'calls_per_month'?" in err
    assert "scenarios.bad.cache_hit_ratio" in err
    assert "has 2 errors (above); nothing is estimated without it" in err
    assert main(["export", "focus", str(example), "--period", "2026-11"]) == 2
    assert capsys.readouterr().out == ""
    code, out, _ = run(capsys, "check", str(example))
    assert code == 2 and "unknown-key" in out


def test_a_bad_discovery_glob_is_a_located_error_not_a_crash(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = example / "llm-cost.toml"
    text = manifest.read_text().replace('include = ["prompts/**/*"', 'include = ["[z-a]"')
    manifest.write_text(text)
    code, _, err = run(capsys, "estimate", str(example))
    assert code == 2
    assert "error: schema: discovery.include '[z-a]' is not a valid glob" in err


def test_init_from_a_subfolder_extends_the_manifest_above(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (example / "prompts" / "support" / "escalate.txt").write_text("You are on call. {{ticket}}")
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert f"updated {example / 'llm-cost.toml'}" in out
    assert not (Path(os.getcwd()) / "llm-cost.toml").exists()
    assert "[prompts.support/escalate]" in (example / "llm-cost.toml").read_text() or (
        '[prompts."support/escalate"]' in (example / "llm-cost.toml").read_text()
    )
