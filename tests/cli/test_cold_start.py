"""Start-up: a command imports only what it uses, and the vocabulary cache never changes a count.

Speed itself is measured in benchmarks/bench_cold_start.py; these tests pin what the speed rests
on, in fresh processes, as a user runs them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import COMMANDS, SUMMARIES, build_parser
from llmcost_lsp.core.tokens import rank_cache, vocab

RUN = "import sys; from llmcost_lsp.cli.main import main; sys.exit(main())"
REPORT_MODULES = (
    "import atexit, sys; atexit.register(lambda: print('MODULES', ' '.join(sorted(sys.modules)),"
    " file=sys.stderr)); "
)
PROMPT = "You are a helpful assistant.\nSummarise the text below in three bullet points.\n" * 50


def _run(
    cache: Path, *argv: str, modules: bool = False
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {**os.environ, "LLMCOST_CACHE_DIR": str(cache), "CI": "true"}
    code = (REPORT_MODULES if modules else "") + RUN
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, check=False
    )
    loaded: set[str] = set()
    for line in done.stderr.splitlines():
        if line.startswith("MODULES "):
            loaded = set(line.split()[1:])
    return done, loaded


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["tokens", "--help"]])
def test_version_and_help_import_no_heavy_library(tmp_path: Path, argv: list[str]) -> None:
    done, loaded = _run(tmp_path, *argv, modules=True)
    assert done.returncode == 0, done.stderr
    assert loaded, "the child did not report its modules"
    heavy = {"pydantic", "tiktoken", "nacl", "sqlite3", "llmcost_lsp.core.pricing.db"}
    assert not heavy & loaded
    if argv == ["--version"]:  # answered before any parsing
        assert done.stdout.startswith("llm-cost ") and "argparse" not in loaded


def test_tokens_on_the_bundled_db_loads_no_signature_code(tmp_path: Path) -> None:
    prompt = tmp_path / "p.txt"
    prompt.write_text(PROMPT)
    done, loaded = _run(tmp_path / "cache", "tokens", str(prompt), "-m", "gpt-4o", modules=True)
    assert done.returncode == 0, done.stderr
    assert "tiktoken" in loaded  # it did count
    assert not {"nacl", "llmcost_lsp.core.pricing.trust"} & loaded


def test_tokens_count_the_same_with_a_fresh_a_warm_and_a_damaged_vocabulary_cache(
    tmp_path: Path,
) -> None:
    prompt = tmp_path / "p.txt"
    prompt.write_text(PROMPT)
    expected = len(vocab.get_encoding("o200k_base").encode_ordinary(PROMPT))
    cache = tmp_path / "cache"
    o200k = vocab.VOCABULARIES["o200k_base"]
    ranks = rank_cache.cache_file(cache / "vocab", o200k.encoding, o200k.sha256)
    argv = ("tokens", str(prompt), "-m", "gpt-4o", "--no-cache", "--format", "json")

    def count() -> int:
        done, _ = _run(cache, *argv)
        assert done.returncode == 0, done.stderr
        return int(json.loads(done.stdout)["tokens"])

    assert count() == expected  # first run: parses the shipped file, writes the cache
    written = ranks.read_bytes()
    assert count() == expected  # from the cache
    damaged = bytearray(written)
    damaged[len(damaged) // 2] ^= 0xFF
    ranks.write_bytes(bytes(damaged))
    assert count() == expected  # the damage is seen, the cache rebuilt
    assert ranks.read_bytes() == written


def test_the_help_listing_without_the_modules_is_the_full_one() -> None:
    assert set(SUMMARIES) == set(COMMANDS), "give the new command its --help line in SUMMARIES"
    # every command registered by its module vs the summaries alone: the same listing
    assert build_parser(["--help"]).format_help() == build_parser().format_help()


@pytest.mark.parametrize("command", ["tokens", "estimate", "pricing"])
def test_a_command_gets_its_full_parser_and_only_its_module(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", REPORT_MODULES + RUN, command, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"usage: llm-cost {command}" in done.stdout
    loaded = next(line for line in done.stderr.splitlines() if line.startswith("MODULES "))
    others = {f"llmcost_lsp.cli.{name}" for name in ("init", "calibrate", "export")}
    assert not others & set(loaded.split())
    argv = {"tokens": ["tokens", "p.txt", "-m", "gpt-4o"], "estimate": ["estimate", "."]}
    argv["pricing"] = ["pricing", "list"]
    assert callable(build_parser(argv[command]).parse_args(argv[command]).run)
