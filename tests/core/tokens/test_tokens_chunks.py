"""The chunk cut rule keeps counts exact: property tests over adversarial text and edits."""

from __future__ import annotations

import re
import sys
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcost_lsp.core.tokens import chunks, registry, vocab
from llmcost_lsp.core.tokens.chunks import ChunkedDocument
from llmcost_lsp.core.tokens.spec import TokenizerSpec

ENCODINGS = ["cl100k_base", "o200k_base"]

# Characters that meet the patterns' special cases: every kind of line break and space, the "/"
# that o200k's punctuation piece swallows after newlines, apostrophes of contractions, marks.
ATOMS = [
    "\n", "\r\n", "\r", "\t", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\u00a0", "\u3000",
    " ", "  ", "/", "//", "'", "'s", "'ll", "'S", "\u2019", "\u200d", "\u0301", "e\u0301",
    "\U0001f468\u200d\U0001f469", "\U0001f600", "1", "123", "4567", "a", "B", "word", "Word",
    "ÉCOLE", "日本語", "\u00bd", ";", "};", "(", "#", "-", ".", ",", "\"", "<|endoftext|>",
    "\x1c", "\u180e", "\u200b", "_", "a1", "\u0663", "x\u0301y", "Ⅻ",
]  # fmt: skip
texts = st.lists(st.sampled_from(ATOMS), max_size=60).map("".join)


def _counter(name: str):  # type: ignore[no-untyped-def]
    encoding = vocab.get_encoding(name)
    return lambda text: len(encoding.encode_ordinary(text))


@pytest.mark.parametrize("name", ENCODINGS)
def test_note_counterexample_is_not_cut(name: str) -> None:
    # o200k tokenizes "'\n/a\n" as "'\n/" + ...: a cut before "/" would add a token.
    count = _counter(name)
    text = "'\n/a\n"
    assert chunks.cut_points(text, target=1, max_chars=1) == []
    assert ChunkedDocument(text, count, target=1, max_chars=1).total == count(text)
    code = "};\n// comment\nx\n" * 3
    document = ChunkedDocument(code, count, target=1, max_chars=1000)
    assert all(not chunk.startswith("/") for chunk in document.chunks)
    assert document.total == count(code)


@pytest.mark.parametrize("name", ENCODINGS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_chunked_sum_equals_whole_count(name: str, text: str) -> None:
    count = _counter(name)
    # target=1 cuts at every safe position; max_chars=1 turns on the secondary cut everywhere.
    pieces = chunks.split(text, target=1, max_chars=1)
    assert "".join(pieces) == text
    assert sum(count(piece) for piece in pieces) == count(text)


@pytest.mark.parametrize("name", ENCODINGS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=80))
def test_chunked_sum_equals_whole_count_on_any_text(name: str, text: str) -> None:
    count = _counter(name)
    pieces = chunks.split(text, target=1, max_chars=1)
    assert sum(count(piece) for piece in pieces) == count(text)


edits = st.lists(
    st.tuples(st.floats(0, 1), st.floats(0, 1), texts.map(lambda t: t[:12])),
    min_size=1,
    max_size=25,
)


@pytest.mark.parametrize("name", ENCODINGS)
@pytest.mark.parametrize("how", ["apply_edit", "update"])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, steps=edits, target=st.sampled_from([1, 4, 64]))
def test_incremental_total_equals_full_recount_after_every_edit(
    name: str, how: str, text: str, steps: list[tuple[float, float, str]], target: int
) -> None:
    """Told the edit (`apply_edit`) or given the whole new text (`update`, which finds what
    changed by itself): the total stays exact after every version."""
    count = _counter(name)
    document = ChunkedDocument(text, count, target=target, max_chars=target * 2)
    expected = text
    for start_at, end_at, new_text in steps:
        start = int(start_at * len(expected))
        end = start + int(end_at * (len(expected) - start))
        edited = expected[:start] + new_text + expected[end:]
        if how == "update":
            document.update(edited)
        else:
            document.apply_edit(start, end, new_text)
        expected = edited
        assert document.text == expected
        assert len(document) == len(expected)
        assert document.total == count(expected)


def test_update_recounts_only_around_the_change() -> None:
    count = _counter("o200k_base")
    text = "".join(f"Line {i} says hello to the world.\n" for i in range(3000))
    document = ChunkedDocument(text, count)
    position = text.index("Line 1500 ")
    edited = text[:position] + "x" + text[position:]
    assert document.update(edited) == count(edited)
    assert document.recounted_chars <= 2 * chunks.MAX_CHARS
    shorter = edited[: len(edited) // 3]
    assert document.update(shorter) == count(shorter)
    assert document.recounted_chars <= 2 * chunks.MAX_CHARS  # a cut at the end: one chunk


def test_from_chunks_takes_counts_without_recounting() -> None:
    calls: list[str] = []

    def count(text: str) -> int:
        calls.append(text)
        return len(text.split())

    document = ChunkedDocument.from_chunks(["one two\n", "three\n"], [2, 1], count)
    assert (document.total, document.text, len(document), calls) == (3, "one two\nthree\n", 14, [])
    assert document.update("one two\nthree four\n") == 4


def test_edit_recounts_only_the_touched_chunk() -> None:
    count = _counter("o200k_base")
    text = "".join(f"Line {i} says hello to the world.\n" for i in range(3000))
    document = ChunkedDocument(text, count)
    assert len(document.chunks) > 20
    position = text.index("Line 1500 ")
    document.apply_edit(position, position, "x")
    assert document.recounted_chars <= 2 * chunks.MAX_CHARS
    assert document.total == count(document.text)


def test_long_code_block_is_split_by_the_secondary_cut() -> None:
    count = _counter("o200k_base")
    body = "".join(f"    value_{i} = compute(item {i}, other thing)\n" for i in range(2000))
    text = "def f():\n" + body
    document = ChunkedDocument(text, count)
    assert max(len(chunk) for chunk in document.chunks) <= chunks.MAX_CHARS * 2
    assert document.total == count(text)


def test_non_additive_counter_keeps_one_chunk() -> None:
    count = _counter("o200k_base")
    document = ChunkedDocument("a\nb\n" * 2000, count, additive=False)
    assert len(document.chunks) == 1
    document.apply_edit(0, 1, "zz")
    assert document.total == count(document.text)


def test_document_for_an_approximate_spec_scales_the_total() -> None:
    spec = TokenizerSpec(family="claude", ratio=Decimal("1.5"), error_band_pct=Decimal(20))
    text = "hello world\n" * 1000
    document = ChunkedDocument.for_spec(text, spec)
    document.apply_edit(0, 0, "more ")
    assert document.count == registry.count_text(document.text, spec)
    assert document.count.method == "approximate"
    with pytest.raises(ValueError, match="for_spec"):
        _ = ChunkedDocument("x", len).count


def test_invalid_edit_range_is_rejected() -> None:
    document = ChunkedDocument("abc", _counter("o200k_base"))
    with pytest.raises(ValueError, match="outside"):
        document.apply_edit(2, 5, "x")


def test_python_whitespace_covers_unicode_white_space() -> None:
    # The cut regexes rely on Python's \s matching every Unicode White_Space character that the
    # tokenizers' \s matches (PropList.txt, White_Space).
    white_space = [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                   0x2028, 0x2029, 0x202F, 0x205F, 0x3000]  # fmt: skip
    assert all(re.fullmatch(r"\s", chr(code)) for code in white_space), sys.version
