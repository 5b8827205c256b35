"""An encoder of only the ranks a text can use encodes that text exactly as the whole encoder:
the same token ids, on the real corpus, on texts built to cross every piece boundary the
patterns allow, and on random texts of such characters. A fresh process counts its first text
that way and builds the whole encoder for the next."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import tiktoken

from llmcost_lsp.core.tokens import restricted, vocab

ENCODINGS = ("o200k_base", "cl100k_base")
# White space of every kind (Python's isspace() extras \x1c-\x1f are not white space to tiktoken),
# line ends, slashes and punctuation around them, letters of several scripts, digits, marks,
# apostrophes for contractions, emoji
POOL = [
    " ", "  ", "\t", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x85", "\xa0", "\u2003", "\u3000",
    "\x1c", "\x1f", "/", ".", ",", "!?", "...", "--", "==", "_", "'s", "'LL", "'", '"', "(", ")",
    "{x}", "the", "The", "THE", "naïve", "Ωμέγα", "日本語", "데이터", "e\u0301", "7", "12345",
    "٣", "😀", "👩\u200d💻", "#", "$", "%", "\\", "<|endoftext|>",
]  # fmt: skip
CROSSING = [
    " .\n", ".\n/\n/\n", "a./\n\nb", "word\r\n\r\n", " ?!\r\n/x", "\tword", "\xa0word", "\u3000の",
    "\x1c\n", "x\x1c\ny", "don't", "DON'T", "  \n  word", "\n\n\n", " " * 300 + "x",
    "=" * 300, "-" * 129 + "\n", "https://example.com/a/b?c=d&e=f#g\n", "1234567", "ab12cd",
    "\r\n.\r\n", "end.\n/", "a\u2028b", "\u2029\n", "x" * 200,
]  # fmt: skip


@pytest.fixture(scope="module")
def whole() -> dict[str, tiktoken.Encoding]:
    return {name: vocab.get_encoding(name) for name in ENCODINGS}


def _restricted(name: str, text: str, whole: tiktoken.Encoding) -> tiktoken.Encoding:
    ranks = whole._mergeable_ranks
    needed = restricted.ranks_for(text, ranks)
    assert needed is not None, "under the budget: the restricted encoder is what is tested"
    assert len(needed) < len(ranks) / 4
    return vocab._encoding(name, needed, vocab._tiktoken_params(name, ranks), whole=False)


def _same(name: str, text: str, whole: dict[str, tiktoken.Encoding]) -> None:
    small = _restricted(name, text, whole[name])
    assert small.encode_ordinary(text) == whole[name].encode_ordinary(text), repr(text[:80])


@pytest.mark.parametrize("name", ENCODINGS)
def test_the_installed_patterns_are_the_ones_the_restriction_reads(name: str) -> None:
    """Another tiktoken with other patterns gets the whole encoder (this would fail first)."""
    ranks = vocab.get_encoding(name)._mergeable_ranks
    assert vocab._tiktoken_params(name, ranks)["pat_str"] in restricted.KNOWN_PATTERNS
    assert max(map(len, ranks)) == restricted.MAX_TOKEN_BYTES


@pytest.mark.parametrize("name", ENCODINGS)
def test_the_same_tokens_on_the_real_corpus(
    name: str, corpus: Path, whole: dict[str, tiktoken.Encoding]
) -> None:
    files = [p for p in sorted(corpus.rglob("*")) if p.is_file() and p.name != "SOURCES.md"]
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        if restricted.candidates(text) is not None:
            _same(name, text, whole)


@pytest.mark.parametrize("name", ENCODINGS)
def test_the_same_tokens_across_every_boundary_a_piece_may_cross(
    name: str, whole: dict[str, tiktoken.Encoding]
) -> None:
    for text in CROSSING:
        _same(name, text, whole)
    _same(name, "".join(CROSSING), whole)


@pytest.mark.parametrize("name", ENCODINGS)
def test_the_same_tokens_on_random_texts_of_tricky_characters(
    name: str, whole: dict[str, tiktoken.Encoding]
) -> None:
    rng = random.Random(21)
    for _ in range(300):
        _same(name, "".join(rng.choices(POOL, k=rng.randrange(1, 120))), whole)


def test_large_texts_of_many_words_and_lone_surrogates_take_the_whole_encoder() -> None:
    rng = random.Random(5)
    many = " ".join("".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=12)) for _ in range(15_000))
    assert len(many) < restricted.MAX_TEXT_CHARS and restricted.candidates(many) is None
    assert restricted.candidates("word " * 60_000) is None  # few words, but long
    assert restricted.candidates("a \ud800 b") is None
    assert restricted.candidates("a prompt of a few words.\n") is not None


def test_a_fresh_process_counts_its_first_text_restricted_and_builds_the_whole_encoder_next(
    tmp_path: Path,
) -> None:
    script = (
        "import json\n"
        "from llmcost_lsp.core.tokens import registry, vocab\n"
        "from llmcost_lsp.core.tokens.spec import TokenizerSpec\n"
        "spec = TokenizerSpec(family='openai')\n"
        "first = registry.count_text('Summarise the ticket below.\\n', spec).tokens\n"
        "built_first = sorted(vocab._ENCODINGS)\n"
        "second = registry.count_text('Another prompt, another count.', spec).tokens\n"
        "print(json.dumps([first, built_first, second, sorted(vocab._ENCODINGS),\n"
        "                  sorted(vocab.loaded_encodings())]))\n"
    )
    env = {**os.environ, "LLMCOST_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    first, built_first, second, built, loaded = json.loads(done.stdout)
    o200k = vocab.get_encoding("o200k_base")
    assert first == len(o200k.encode_ordinary("Summarise the ticket below.\n"))
    assert second == len(o200k.encode_ordinary("Another prompt, another count."))
    assert built_first == [] and built == ["o200k_base"] and loaded == ["o200k_base"]
