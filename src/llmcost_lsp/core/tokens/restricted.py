"""The vocabulary one text can use: an exact count without building tiktoken's whole encoder.

Building tiktoken's encoder from the 200,000 ranks of o200k costs about a quarter of a second of
CPU in every process (inside tiktoken, in proportion to the vocabulary): half of what a cold
`llm-cost tokens` spends. One text needs few of those ranks. tiktoken splits the text into pieces
with its pattern and runs BPE inside each piece, and BPE looks up only byte strings that lie
within one piece (the piece itself, then merges of adjacent parts). An encoder given every
vocabulary entry that lies within the text's pieces therefore encodes that text exactly as the
whole one does: the entries it lacks are never looked up.

Which byte strings can lie within a piece follows from the two patterns (o200k_base and
cl100k_base; any other pattern gets the whole encoder). A piece holds no white space (Unicode
White_Space, the `\\s` of the regex crate tiktoken uses), except a piece of white space only, one
character before letters or punctuation, and line ends and slashes after punctuation
(` ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*`). So the candidates are the substrings of every run of
non-space and of every run of space, every run's prefixes after the character before it, and the
substrings of each line end with the run (and the one character) before it; none longer than the
longest vocabulary entry. Enumerating them is cheap for a prompt (a few thousand strings) and
dear for a large text, so past `MAX_CANDIDATES` or `MAX_TEXT_CHARS` the caller builds the whole
encoder instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# The patterns whose pieces the docstring describes, as the installed tiktoken states them.
KNOWN_PATTERNS = frozenset(
    {
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re"
        r"|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}"
        r"\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|"
        r"\s+(?!\S)|\s+",
        r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"
        r"\s++$|\s*[\r\n]|\s+(?!\S)|\s",
    }
)
MAX_TOKEN_BYTES = 128  # the longest entry of o200k_base and cl100k_base (a test checks it)
MAX_CANDIDATES = 200_000  # substrings to look up; beyond this the whole encoder is cheaper
# Splitting a text into its runs costs about as much per MB as the whole encoder's build: past
# this size the whole encoder is built straight away.
MAX_TEXT_CHARS = 256_000
# Unicode White_Space: what `\s` matches in the regex crate (Python's isspace() has 4 more)
WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SPLIT = re.compile(f"([{WHITE_SPACE}]+)")
# the run (and the character) before each line end, and the line ends and slashes after it; the
# latter only looked at, so that a slash after a line end still begins the next run's match
_ACROSS_LINE_ENDS = re.compile(
    f"([^\r\n]?[^{WHITE_SPACE}]{{0,{MAX_TOKEN_BYTES}}})(?=([\r\n][\r\n/]*))"
)


def candidates(text: str) -> set[bytes] | None:
    """Every byte string of at most MAX_TOKEN_BYTES that can lie within one piece of `text`
    (single bytes left out: every encoder has them); None when there would be more than
    MAX_CANDIDATES to look up, the text is longer than MAX_TEXT_CHARS, or it holds a lone
    surrogate (tiktoken replaces those)."""
    if len(text) > MAX_TEXT_CHARS:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    parts = _SPLIT.split(text)
    runs = {part.encode() for part in parts[0::2] if part}
    spaces = {part.encode() for part in parts[1::2]}
    leads = {part[-1].encode() for part in parts[1::2]}
    across = {(lead + ends).encode() for lead, ends in _ACROSS_LINE_ENDS.findall(text)}
    whole = runs | spaces | across
    work = sum(len(b) * min(len(b), MAX_TOKEN_BYTES) for b in whole)
    work += len(leads) * sum(min(len(b), MAX_TOKEN_BYTES) for b in runs)
    if work > MAX_CANDIDATES:
        return None
    found: set[bytes] = set()
    for data in whole:
        found.update(_substrings(data))
    for lead in leads:
        for run in runs:
            joined = lead + run
            found.update(joined[:end] for end in range(2, min(len(joined), MAX_TOKEN_BYTES) + 1))
    return found


def _substrings(data: bytes) -> Iterable[bytes]:
    size = len(data)
    for start in range(size):
        for end in range(start + 2, min(size, start + MAX_TOKEN_BYTES) + 1):
            yield data[start:end]


def ranks_for(text: str, ranks: Mapping[bytes, int]) -> dict[bytes, int] | None:
    """The ranks an encoder needs to encode `text` exactly (every single byte, and each
    candidate the vocabulary holds), or None when the whole vocabulary is the cheaper way."""
    found = candidates(text)
    if found is None:
        return None
    needed = {bytes([byte]): ranks[bytes([byte])] for byte in range(256)}
    needed.update((token, ranks[token]) for token in found & ranks.keys())
    return needed
