from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.cli.main import main
from llmcost_lsp.core import textfile
from llmcost_lsp.core.pricing.db import load_price_db
from llmcost_lsp.core.tokens import vocab

PROMPT = "You are a helpful assistant.\nSummarise the following text in three bullet points.\n"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["tokens", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _write(tmp_path: Path, data: bytes, name: str = "prompt.txt") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _approximate_model() -> str:
    db = load_price_db()
    for entry in db.models():
        spec = db.tokenizer_for(entry)
        if spec.exact_backend is None and spec.ratio is not None:
            return entry.id
    pytest.skip("the price DB has no approximate-only model")


def test_table_shows_tokens_method_tokenizer_and_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = len(vocab.get_encoding("o200k_base").encode_ordinary(PROMPT))
    code, out, _ = _run(capsys, _write(tmp_path, PROMPT.encode()), "--model", "gpt-4o")
    assert code == 0
    header, _rule, row = out.strip().splitlines()
    assert header.split() == ["model", "tokenizer", "method", "tokens"]
    assert row.split() == ["gpt-4o", "o200k_base", "exact", str(expected)]


def test_json_output_is_stable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, PROMPT.encode())
    code, out, _ = _run(capsys, path, "--model", "GPT-4o", "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "schema": "llm-cost.tokens/1",
        "model": "gpt-4o",
        "provider": "openai",
        "tokenizer": "o200k_base",
        "tokens": len(vocab.get_encoding("o200k_base").encode_ordinary(PROMPT)),
        "method": "exact",
        "error_band_pct": None,
        "input": {"path": path, "bytes": len(PROMPT), "characters": len(PROMPT)},
    }


def test_approximate_model_shows_its_band(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = _approximate_model()
    path = _write(tmp_path, PROMPT.encode())
    code, out, _ = _run(capsys, path, "--model", model, "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["method"] == "approximate"
    band = Decimal(report["error_band_pct"])
    _, table, _ = _run(capsys, path, "--model", model)
    assert f"approximate (±{band}%)" in table


def test_stdin_and_crlf_count_like_the_lf_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, lf_out, _ = _run(
        capsys, _write(tmp_path, PROMPT.encode()), "-m", "gpt-4o", "--format", "json"
    )
    crlf = b"\xef\xbb\xbf" + PROMPT.replace("\n", "\r\n").encode()

    class Stdin:
        buffer = __import__("io").BytesIO(crlf)

    monkeypatch.setattr("sys.stdin", Stdin)
    code, out, _ = _run(capsys, "-", "-m", "gpt-4o", "--format", "json")
    assert code == 0
    assert json.loads(out)["tokens"] == json.loads(lf_out)["tokens"]
    assert json.loads(out)["input"]["path"] == "<stdin>"


def test_empty_input_is_zero_tokens_with_a_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, _write(tmp_path, b""), "-m", "gpt-4o", "--format", "json")
    assert code == 0
    assert json.loads(out)["tokens"] == 0
    assert "is empty" in err


def test_binary_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, b"GIF89a\x00\x01\x02", "image.gif")
    code, out, err = _run(capsys, path, "-m", "gpt-4o")
    assert (code, out) == (2, "")
    assert f"{path}: binary file (NUL byte at offset 6)" in err


def test_invalid_utf8_reports_byte_offset_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "line one\nlínea \xe9".encode("latin-1"))
    code, _, err = _run(capsys, path, "-m", "gpt-4o")
    assert code == 2
    assert f"{path}:2:2: invalid UTF-8 at byte offset 10 (byte 0xed)" in err


def test_huge_input_names_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(textfile, "DEFAULT_LIMIT_BYTES", 1024)
    code, _, err = _run(capsys, _write(tmp_path, b"a" * 1025), "-m", "gpt-4o")
    assert code == 2
    assert "file is larger than the 1,024-byte limit for prompt files" in err


def test_the_limit_is_the_one_estimate_and_the_editor_apply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Probe 1.18: `tokens` took 16 MiB while `estimate` skipped files over 2,000,000 bytes."""
    assert textfile.DEFAULT_LIMIT_BYTES == 2_000_000
    code, _, err = _run(capsys, _write(tmp_path, b"a " * 1_000_001), "-m", "gpt-4o")
    assert code == 2 and "2,000,000-byte limit" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_blocking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "p.txt"
    os.mkfifo(fifo)
    code, _, err = _run(capsys, str(fifo), "-m", "gpt-4o")
    assert code == 2 and "not a regular file" in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nope.txt")
    code, _, err = _run(capsys, missing, "-m", "gpt-4o")
    assert code == 2
    assert f"{missing}: no such file" in err
    code, _, err = _run(capsys, str(tmp_path), "-m", "gpt-4o")
    assert code == 2 and "is a directory" in err


def test_unknown_model_suggests_close_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, _write(tmp_path, b"hi"), "-m", "gpt4o")
    assert code == 2
    assert "unknown model 'gpt4o'" in err
    assert "did you mean 'gpt-4o'" in err


def test_cache_gives_the_same_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, PROMPT.encode())
    runs = [_run(capsys, path, "-m", "gpt-4o", "--format", "json")[1] for _ in range(2)]
    no_cache = _run(capsys, path, "-m", "gpt-4o", "--format", "json", "--no-cache")[1]
    assert runs[0] == runs[1] == no_cache


def _modules_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(done.stdout.split())


@pytest.mark.parametrize("argv", [["--version"], ["tokens", "--help"]])
def test_version_and_parser_do_not_import_tiktoken_or_pydantic(argv: list[str]) -> None:
    modules = _modules_after(
        "import contextlib, io\n"
        "from llmcost_lsp.cli.main import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main({argv!r})"
    )
    assert ("llmcost_lsp.cli.tokens" in modules) == (argv[0] == "tokens")
    assert not {"tiktoken", "pydantic", "sqlite3"} & modules


def test_a_count_loads_only_the_encoding_it_needs() -> None:
    modules = _modules_after(
        "from llmcost_lsp.core.tokens import registry, vocab\n"
        "from llmcost_lsp.core.tokens.spec import TokenizerSpec\n"
        "registry.count_text('hi', TokenizerSpec(family='openai'))\n"
        "assert vocab.loaded_encodings() == {'o200k_base'}, vocab.loaded_encodings()"
    )
    assert "tiktoken" in modules
