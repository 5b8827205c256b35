from __future__ import annotations

from pathlib import Path

import pytest

from llmcost_lsp.core.errors import InputError
from llmcost_lsp.core.textfile import content_hash, decode_text, read_prompt_text, read_text_file


def test_bom_is_dropped_and_line_endings_become_lf_with_the_same_line_count() -> None:
    data = "\ufeffline one\r\nline two\rline three\nlast".encode()
    decoded = decode_text(data, "p.txt")
    assert decoded.text == "line one\nline two\nline three\nlast"
    assert decoded.had_bom
    assert decoded.line_ending == "mixed"
    assert not decoded.final_newline


@pytest.mark.parametrize(
    ("raw", "ending"),
    [(b"a\r\nb\r\n", "crlf"), (b"a\rb\r", "cr"), (b"a\nb\n", "lf"), (b"ab", "none")],
)
def test_line_ending_is_reported(raw: bytes, ending: str) -> None:
    assert decode_text(raw).line_ending == ending


def test_invalid_utf8_names_the_byte_offset_and_line_and_column() -> None:
    data = "first\nsé\xff".encode("latin-1")
    with pytest.raises(InputError) as info:
        decode_text(data, "prompts/bad.txt")
    error = info.value
    assert error.code == "invalid-utf8"
    assert "byte offset 7" in error.message
    assert str(error.location) == "prompts/bad.txt:2:2"


def test_invalid_utf8_after_crlf_counts_lines_like_an_editor() -> None:
    with pytest.raises(InputError) as info:
        decode_text(b"a\r\nb\rcc\xc3", "x.md")
    assert (info.value.location.line, info.value.location.column) == (3, 3)  # type: ignore[union-attr]


def test_nul_byte_means_binary() -> None:
    with pytest.raises(InputError) as info:
        decode_text(b"PNG\x00\x01\x02", "logo.txt")
    assert info.value.code == "binary"


def test_utf16_is_refused_with_a_fix() -> None:
    with pytest.raises(InputError) as info:
        decode_text("hi".encode("utf-16"), "w.txt")
    assert info.value.code == "not-utf8"
    assert info.value.hint == "re-save the file as UTF-8"


def test_too_large_names_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("x" * 2_001)
    with pytest.raises(InputError) as info:
        read_text_file(big, limit_bytes=2_000)
    assert info.value.code == "too-large"
    assert "2,000-byte limit" in info.value.message


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_prompt_text(tmp_path / "missing.txt")
    assert info.value.code == "unreadable"


def test_read_prompt_text_normalises(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_bytes(b"\xef\xbb\xbfHello\r\nWorld\r\n")
    assert read_prompt_text(path) == "Hello\nWorld\n"


def test_content_hash_ignores_line_endings_but_not_content() -> None:
    assert content_hash("a\r\nb\n") == content_hash("a\nb\n") == content_hash("a\rb\n")
    assert content_hash("a\nb\n") != content_hash("a\nb \n")
    assert len(content_hash("")) == 64
