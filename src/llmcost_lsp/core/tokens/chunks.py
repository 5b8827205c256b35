"""Incremental token counts: a document kept as chunks cut where BPE counts provably add up.

Why the cuts are safe, for cl100k_base and o200k_base
=====================================================

tiktoken splits text into pieces with the encoding's `pat_str`, then runs BPE inside each piece;
a text's count is the sum over its pieces. A cut at position `q` keeps counts exact when (A) `q` is
a piece boundary of the whole text, (B) the left part `text[:q]` is split into the same pieces on
its own, and (C) so is the right part. (C) follows from (A): neither pattern has a lookbehind, `^`
or `\\A`, so matching from `q` sees the same characters whether or not `text[:q]` is there. For
(B), a match attempt that starts before `q` can only behave differently on the left part alone if
it examines position `q` (it sees a character in the whole text, the end in the left part).

Primary cut: after `\\n`, before a character that is neither whitespace nor `/`
(`(?<=\\n)(?=[^\\s/])`). Every alternative of both patterns that can consume a `\\n` can then go
on only with more of `[\\r\\n]` (the tails `[\\r\\n]*` of cl100k, `[\\r\\n/]*` of o200k's
punctuation piece ` ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*`) or more whitespace (`\\s*`, `\\s+`, `\\s++`).
The letter and number pieces exclude `\\r\\n` even in their one-character prefix
`[^\\r\\n\\p{L}\\p{N}]?`. So a piece containing the `\\n` at `q-1` cannot take the character at `q`,
which is not whitespace, not `\\r\\n` and not `/`: that is (A). For (B), the only attempts that
examine `q` are those that consumed the `\\n`: the tails `[\\r\\n]*`/`[\\r\\n/]*` and the whitespace
loops stop before `q` in both texts; the two alternatives that do see a difference, cl100k's
`\\s++$` (matches at the end of the left part only) and the lookahead in `\\s+(?!\\S)`, concern a
whitespace run ending in that `\\n`, and that run is one whole piece either way: in the whole text
cl100k's `\\s*[\\r\\n]` and o200k's `\\s*[\\r\\n]+` take it up to its last newline, in the left
part cl100k's `\\s++$` (tried first) takes the same run and o200k's `\\s*[\\r\\n]+` again the same.
The `/` exclusion is what o200k needs: `"'\\n/a\\n"` is one piece `"'\\n/"` plus more, so a cut
before the `/` would change the count.

Secondary cut, used only inside chunks longer than `max_chars` (long code blocks, single long
lines): at a single space between two letters (`(?<=L) (?=L)`). The piece holding the letter at
`q-1` is a letter, contraction or number piece, which never continues with a space (the space
prefixes `[^\\r\\n\\p{L}\\p{N}]?` and ` ?` exist only at the *start* of a piece): (A). Attempts
that reach `q` have just consumed that letter, and their continuations (`\\p{L}+`, `\\p{N}{1,3}`,
o200k's optional `'s`-style suffix) stop at a space as they stop at the end: (B).
Neither step looks at the character after the space, so a cut stays valid when an edit
changes only that character (which is why `apply_edit` may keep the boundary before it).

The Python classes used below are conservative: Python's `\\s` matches every Unicode `White_Space`
character that the patterns' `\\s` matches (plus `\\x1c`–`\\x1f`), so we only ever cut in fewer
places. Property tests (`tests/core/tokens/test_tokens_chunks.py`) check chunked sum == whole
count over adversarial alphabets and random edit sequences, for both encodings.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable

from llmcost_lsp.core.tokens.registry import Counter, counter_for
from llmcost_lsp.core.tokens.spec import TokenCount, TokenizerSpec

# Cut at match.end(): after "\n", before a character that is not whitespace and not "/".
NEWLINE_CUT = re.compile(r"\n(?=[^\s/])")
# Cut at match.start(): a single space between two letters ([^\W\d_] is a letter in `re`).
SPACE_CUT = re.compile(r"(?<=[^\W\d_]) (?=[^\W\d_])")

TARGET_CHARS = 2048  # small enough that a recount is ~0.1 ms, large enough to keep few chunks
MAX_CHARS = 4096  # beyond this, use the secondary cut too


def cut_points(
    text: str,
    lo: int = 0,
    hi: int | None = None,
    *,
    target: int = TARGET_CHARS,
    max_chars: int = MAX_CHARS,
) -> list[int]:
    """Safe cut positions strictly inside `text[lo:hi]`, about `target` characters apart."""
    hi = len(text) if hi is None else hi
    primary: list[int] = []
    start = lo
    for match in NEWLINE_CUT.finditer(text, lo, hi):
        if match.end() - start >= target:
            primary.append(match.end())
            start = match.end()
    cuts: list[int] = []
    for begin, end in zip([lo, *primary], [*primary, hi], strict=True):
        if end - begin > max_chars:
            start = begin
            for match in SPACE_CUT.finditer(text, begin, end):
                if match.start() - start >= target:
                    cuts.append(match.start())
                    start = match.start()
        if end != hi:
            cuts.append(end)
    return cuts


def split(text: str, *, target: int = TARGET_CHARS, max_chars: int = MAX_CHARS) -> list[str]:
    """`text` cut at safe positions; `"".join(split(text)) == text`."""
    bounds = [0, *cut_points(text, target=target, max_chars=max_chars), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


class ChunkedDocument:
    """A text as a list of chunks with cached counts; an edit recounts only the chunks it touches.

    `count` must be additive across the cuts above (true for cl100k_base and o200k_base, and for
    any tokenizer a `Counter` marks `additive`); pass `additive=False` to keep one chunk.
    """

    def __init__(
        self,
        text: str,
        count: Callable[[str], int],
        *,
        additive: bool = True,
        target: int = TARGET_CHARS,
        max_chars: int = MAX_CHARS,
    ) -> None:
        self._count = count
        self._additive = additive
        self._target = target
        self._max_chars = max_chars
        self._set_chunks(self._split(text), None)
        self.recounted_chars = len(text)  # characters tokenized by the last operation
        self.counter: Counter | None = None

    @classmethod
    def from_chunks(
        cls, chunks: list[str], counts: list[int], count: Callable[[str], int]
    ) -> ChunkedDocument:
        """A document from chunks already cut at safe positions and counted (no recount)."""
        document = cls("", count)
        document._set_chunks(chunks, counts)
        document.recounted_chars = 0
        return document

    def _set_chunks(self, chunks: list[str], counts: list[int] | None) -> None:
        self._chunks = chunks
        self._counts = [self._count(c) for c in chunks] if counts is None else list(counts)
        self._starts = self._offsets(chunks, 0)
        self._length = sum(len(chunk) for chunk in chunks)
        self._total = sum(self._counts)

    @classmethod
    def for_spec(cls, text: str, spec: TokenizerSpec) -> ChunkedDocument:
        """A document counted for `spec`; `count` then gives the labelled `TokenCount`."""
        counter = counter_for(spec)
        document = cls(text, counter.count_raw, additive=counter.additive)
        document.counter = counter
        return document

    @property
    def count(self) -> TokenCount:
        """The total as a labelled count (scaled for approximate tokenizers); needs `for_spec`."""
        if self.counter is None:
            raise ValueError("count needs a document built with ChunkedDocument.for_spec")
        return self.counter.finish(self._total)

    @property
    def total(self) -> int:
        """Token count of the whole text, in the counter's raw units."""
        return self._total

    @property
    def text(self) -> str:
        return "".join(self._chunks)

    @property
    def chunks(self) -> tuple[str, ...]:
        return tuple(self._chunks)

    def __len__(self) -> int:
        return self._length

    def apply_edit(self, start: int, end: int, new_text: str) -> int:
        """Replace characters `[start, end)` with `new_text`; return the new total."""
        if not 0 <= start <= end <= self._length:
            raise ValueError(f"edit range [{start}, {end}) outside text of length {self._length}")
        # Re-split from the last boundary before `start` to the first after `end`: a boundary
        # at `start` or `end` depends on characters the edit may change.
        first = max(bisect.bisect_right(self._starts, start - 1) - 1, 0)
        stop = bisect.bisect_right(self._starts, end)
        region_start = self._starts[first] if self._chunks else 0
        old = self._chunks[first:stop]
        old_counts = dict(zip(old, self._counts[first:stop], strict=True))
        region = "".join(old)
        region = region[: start - region_start] + new_text + region[end - region_start :]
        pieces = self._split(region)
        counts = []
        self.recounted_chars = 0
        for piece in pieces:
            known = old_counts.get(piece)
            if known is None:
                known = self._count(piece)
                self.recounted_chars += len(piece)
            counts.append(known)
        delta = len(new_text) - (end - start)
        self._total += sum(counts) - sum(self._counts[first:stop])
        self._chunks[first:stop] = pieces
        self._counts[first:stop] = counts
        tail = [offset + delta for offset in self._starts[stop:]]
        self._starts[first:] = self._offsets(pieces, region_start) + tail
        self._length += delta
        return self._total

    def update(self, text: str) -> int:
        """Take a new version of the whole text; return the new total.

        The chunks it still starts and ends with are found by comparing them in place (no
        hashing, no copy of the text), so only the region that differs is re-split and
        recounted: an editor's edit costs a few chunks, whatever the document's size."""
        chunks, position, first = self._chunks, 0, 0
        while first < len(chunks) and text.startswith(chunks[first], position):
            position += len(chunks[first])
            first += 1
        if first == len(chunks) and position == len(text):
            return self._total
        stop, end = len(chunks), len(text)
        while stop > first and end - len(chunks[stop - 1]) >= position:
            if not text.startswith(chunks[stop - 1], end - len(chunks[stop - 1])):
                break
            stop -= 1
            end -= len(chunks[stop])
        old_end = self._starts[stop] if stop < len(chunks) else self._length
        return self.apply_edit(position, old_end, text[position:end])

    def _split(self, text: str) -> list[str]:
        if not self._additive:
            return [text] if text else []
        return split(text, target=self._target, max_chars=self._max_chars)

    @staticmethod
    def _offsets(chunks: list[str], start: int) -> list[int]:
        offsets = []
        for chunk in chunks:
            offsets.append(start)
            start += len(chunk)
        return offsets
