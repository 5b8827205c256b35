from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from llmcost_lsp.core.errors import TokenizerDataError
from llmcost_lsp.core.tokens import vocab


def _copy_data(tmp_path: Path) -> Path:
    for item in vocab.VOCABULARIES.values():
        shutil.copy(vocab.data_dir() / item.filename, tmp_path / item.filename)
    return tmp_path


def test_shipped_files_match_the_pinned_hashes() -> None:
    for name in vocab.VOCABULARIES:
        assert vocab.read_vocab_bytes(name)  # raises on a hash mismatch


def test_encodings_count_known_texts() -> None:
    # Reference counts from OpenAI's tokenizer for these encodings.
    assert len(vocab.get_encoding("cl100k_base").encode_ordinary("hello world")) == 2
    assert vocab.get_encoding("o200k_base").encode_ordinary("hello world") == [24912, 2375]
    assert vocab.get_encoding("cl100k_base").encode_ordinary("hello world") == [15339, 1917]


def test_special_tokens_and_pattern_come_from_tiktoken() -> None:
    encoding = vocab.get_encoding("o200k_base")
    assert encoding.special_tokens_set == {"<|endoftext|>", "<|endofprompt|>"}
    assert encoding.n_vocab == 200019
    assert vocab.get_encoding("cl100k_base").n_vocab == 100277


def test_encoding_is_loaded_once_per_process() -> None:
    assert vocab.get_encoding("o200k_base") is vocab.get_encoding("o200k_base")


def test_corrupted_file_names_file_and_both_hashes(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    target = data / "o200k_base.tiktoken.gz"
    raw = gzip.decompress(target.read_bytes())
    target.write_bytes(gzip.compress(raw.replace(b" 1000\n", b" 1001\n", 1)))
    with pytest.raises(TokenizerDataError) as info:
        vocab.build_encoding("o200k_base", data)
    message = str(info.value)
    assert "o200k_base.tiktoken.gz" in message
    assert vocab.VOCABULARIES["o200k_base"].sha256 in message
    assert "got " in message and "corrupted" in message


def test_truncated_gzip_is_a_data_error(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    target = data / "cl100k_base.tiktoken.gz"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(TokenizerDataError, match=r"cl100k_base\.tiktoken\.gz"):
        vocab.build_encoding("cl100k_base", data)


def test_missing_file_is_a_data_error_not_a_download(tmp_path: Path) -> None:
    with pytest.raises(TokenizerDataError, match="missing") as info:
        vocab.build_encoding("cl100k_base", tmp_path)
    assert vocab.VOCABULARIES["cl100k_base"].sha256 in str(info.value)


def test_unknown_encoding_lists_the_shipped_ones() -> None:
    with pytest.raises(TokenizerDataError, match="cl100k_base, o200k_base"):
        vocab.get_encoding("p50k_base")


def test_malformed_ranks_are_reported() -> None:
    for bad in (b"!!notbase64 1\n", b"QUJ 1\n", b"QU=J 1\n", b"QUJD\n", b"QUJD x\n"):
        with pytest.raises(TokenizerDataError, match="malformed"):
            vocab.parse_ranks(bad, "x")
    assert vocab.parse_ranks(b"QUJD 7\n\nIQ== 8\n", "x") == {b"ABC": 7, b"!": 8}
