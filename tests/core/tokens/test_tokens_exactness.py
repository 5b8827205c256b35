"""Our counts equal stock tiktoken's on the real-prompt corpus, for both shipped encodings."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import tiktoken
import tiktoken.load

from llmcost_lsp.cli.main import main
from llmcost_lsp.core.tokens import registry, vocab
from llmcost_lsp.core.tokens.spec import TokenizerSpec

URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tiktoken.Encoding]:
    """tiktoken's own `get_encoding`, fed from a cache dir holding our files under its names."""
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    for name, url in URLS.items():
        (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(vocab.read_vocab_bytes(name))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIKTOKEN_CACHE_DIR", str(cache))

        def no_download(blobpath: str) -> bytes:
            raise AssertionError(f"tiktoken tried to fetch {blobpath}")

        patch.setattr(tiktoken.load, "read_file", no_download)
        # tiktoken re-checks the SHA-256 of cached files, so this also validates what we ship.
        return {name: tiktoken.get_encoding(name) for name in URLS}


def _corpus_texts(corpus: Path) -> list[tuple[Path, str]]:
    texts = []
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.name != "SOURCES.md":
            raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
            text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
            texts.append((path, text))
    return texts


@pytest.mark.parametrize("name", sorted(URLS))
def test_registry_equals_stock_tiktoken_on_corpus(
    name: str, corpus: Path, stock: dict[str, tiktoken.Encoding]
) -> None:
    spec = TokenizerSpec(family="openai", encoding=name)
    texts = _corpus_texts(corpus)
    assert len(texts) > 100
    for path, text in texts:
        ours = registry.count_text(text, spec)
        assert ours.tokens == len(stock[name].encode_ordinary(text)), path
        assert vocab.get_encoding(name).encode_ordinary(text) == stock[name].encode_ordinary(text)


def test_cli_equals_stock_tiktoken_on_corpus(
    corpus: Path, stock: dict[str, tiktoken.Encoding], capsys: pytest.CaptureFixture[str]
) -> None:
    for path, text in _corpus_texts(corpus):
        assert main(["tokens", str(path), "--model", "gpt-4o", "--format", "json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["tokens"] == len(stock["o200k_base"].encode_ordinary(text)), path
