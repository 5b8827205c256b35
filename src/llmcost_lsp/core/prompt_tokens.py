"""Input tokens of a parsed prompt: its messages, filled variables and chat overhead, cached.

A variable with a sample text is substituted into the message, so the count is that of the
text actually sent. A variable sized in tokens has its placeholder removed and its size added
after tokenizing. An unsized variable keeps its placeholder, counted as literal text.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from llmcost_lsp.core.formats import ParsedPrompt, VariableRef
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.core.tokens.cache import CountCache, cache_key
from llmcost_lsp.core.tokens.chunks import MAX_CHARS, NEWLINE_CUT, ChunkedDocument, split
from llmcost_lsp.core.tokens.registry import Counter, chat_overhead, counter_for
from llmcost_lsp.core.tokens.spec import TokenCount, TokenizerSpec, TokenParts

_MEMO_LIMIT = 200_000  # distinct texts kept in memory before the memo starts over
# Texts at least this long are counted chunk by chunk, each chunk remembered by its content, so
# an edit in a long prompt re-tokenizes only the chunks it touched (see `content_chunks`).
CHUNKED_MIN_CHARS = 16_384
_GRID_CHARS = 2048
_CHUNK_MEMO_CHARS = 64_000_000  # text kept as chunk keys before that memo starts over
# Long texts of the same prompt seen in a row (an editor's open document) are kept as chunked
# documents: a new version is compared chunk by chunk in place, with no hash of the whole text.
_EDITED_DOCUMENTS = 8
_LAST_TEXTS = 1024


@dataclass(frozen=True)
class VariableSize:
    """How big a filled variable is: a token count, or a sample text to substitute."""

    tokens: int | None = None
    text: str | None = None


@dataclass(frozen=True)
class CountJob:
    parsed: ParsedPrompt
    spec: TokenizerSpec
    sizes: Mapping[str, VariableSize]
    extra_tokens: int = 0
    # Names the prompt these texts belong to: successive versions of one prompt's long texts
    # are then counted as edits of the previous version.
    lineage: str | None = None


def fill_message(text: str, refs: Sequence[VariableRef], sizes: Mapping[str, VariableSize]) -> str:
    """The message as sent: sample texts in, token-sized placeholders out, others untouched.

    `refs` are the variables found in this message; their offset/length locate each marker."""
    pieces: list[str] = []
    position = 0
    for ref in sorted(refs, key=lambda r: r.offset):
        size = sizes.get(ref.name)
        if size is None or ref.offset < position:
            continue  # unsized: the placeholder stays, counted as literal text
        pieces += [text[position : ref.offset], size.text or ""]
        position = ref.offset + ref.length
    pieces.append(text[position:])
    return "".join(pieces)


def content_chunks(text: str) -> list[str]:
    """`text` cut at the first safe newline after every `_GRID_CHARS` characters.

    Each cut is one of `chunks.NEWLINE_CUT`'s provably exact positions. An edit shifts later
    text by a few characters, but the first safe newline after a grid point stays the same one
    unless a newline sits within that shift of the grid point: almost every chunk keeps its
    content, and so its cached count. (A greedy cut measured from the previous cut would move
    every later boundary once one chunk got shorter.)
    """
    cuts: list[int] = []
    for grid in range(_GRID_CHARS, len(text), _GRID_CHARS):
        if cuts and cuts[-1] >= grid:
            continue
        match = NEWLINE_CUT.search(text, grid)
        if match is None:
            break
        cuts.append(match.end())
    pieces: list[str] = []
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        piece = text[start:end]
        # no newline cut for a long stretch (one huge line): the secondary cut of chunks.py
        pieces.extend(split(piece) if len(piece) > 4 * MAX_CHARS else [piece])
    return [piece for piece in pieces if piece]


class TokenCounter:
    """Counts prompts, answering repeated texts from memory and the persistent cache."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._cache = CountCache(settings) if settings is not None else None
        self._memo: dict[str, int] = {}
        self.tokenized_texts = 0  # texts actually run through a tokenizer (tests, benchmarks)
        self.tokenized_chars = 0  # characters actually run through a tokenizer
        self._chunk_memo: dict[tuple[str, str], int] = {}
        self._chunk_chars = 0
        self._documents: OrderedDict[tuple[str, str, int], ChunkedDocument] = OrderedDict()
        self._last_texts: OrderedDict[tuple[str, str, int], str] = OrderedDict()

    def _raw(
        self, counter: Counter, texts: Sequence[str], keys: Sequence[str] | None = None
    ) -> list[int]:
        if keys is None:
            keys = [cache_key(text, counter.cache_key) for text in texts]
        if len(self._memo) > _MEMO_LIMIT:
            self._memo.clear()
        missing = list(dict.fromkeys(k for k in keys if k not in self._memo))
        if missing and self._cache is not None:
            self._memo.update(self._cache.get_many(missing))
        fresh: dict[str, int] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self._memo and key not in fresh:
                fresh[key] = self._count_text(counter, text)
        if fresh:
            self.tokenized_texts += len(fresh)
            self._memo.update(fresh)
            if self._cache is not None:
                self._cache.put_many(fresh.items())
        return [self._memo[key] for key in keys]

    def _count_text(self, counter: Counter, text: str) -> int:
        """One text's raw count; long texts of additive tokenizers by content-defined chunks."""
        if len(text) < CHUNKED_MIN_CHARS or not counter.additive:
            self.tokenized_chars += len(text)
            return counter.count_raw(text)
        return sum(self._chunk_counts(counter, content_chunks(text)))

    def _chunk_counts(self, counter: Counter, chunks: list[str]) -> list[int]:
        if self._chunk_chars > _CHUNK_MEMO_CHARS:
            self._chunk_memo.clear()
            self._chunk_chars = 0
        counts = []
        for chunk in chunks:
            # keyed by the chunk itself: a dict hash is far cheaper than a SHA-256 per chunk
            key = (counter.cache_key, chunk)
            known = self._chunk_memo.get(key)
            if known is None:
                known = counter.count_raw(chunk)
                self.tokenized_chars += len(chunk)
                self._chunk_memo[key] = known
                self._chunk_chars += len(chunk)
            counts.append(known)
        return counts

    def _edited_count(
        self, counter: Counter, lineage: tuple[str, str, int], text: str
    ) -> int | None:
        """The count of a long text as an edit of its lineage's previous version, or None when
        this is the lineage's first version (the caches answer that one)."""
        document = self._documents.get(lineage)
        if document is not None:
            self._documents.move_to_end(lineage)
            total = document.update(text)
            self.tokenized_chars += document.recounted_chars
            if document.recounted_chars:
                self.tokenized_texts += 1
            return total
        previous = self._last_texts.pop(lineage, None)
        self._last_texts[lineage] = text
        if len(self._last_texts) > _LAST_TEXTS:
            self._last_texts.popitem(last=False)
        if previous is None or previous == text:
            return None
        # edited for the first time: keep it chunked from now on (chunks counted via the memo)
        chunks = content_chunks(text)
        document = ChunkedDocument.from_chunks(
            chunks, self._chunk_counts(counter, chunks), counter.count_raw
        )
        self._documents[lineage] = document
        if len(self._documents) > _EDITED_DOCUMENTS:
            self._documents.popitem(last=False)
        self.tokenized_texts += 1
        return document.total

    def count_prompt(
        self,
        parsed: ParsedPrompt,
        spec: TokenizerSpec,
        sizes: Mapping[str, VariableSize],
        extra_tokens: int = 0,
        lineage: str | None = None,
    ) -> TokenCount:
        return self.count_many([CountJob(parsed, spec, sizes, extra_tokens, lineage)])[0]

    def count_many(self, jobs: Sequence[CountJob]) -> list[TokenCount]:
        """Counts for many prompts; texts are looked up in the caches in one batch per tokenizer."""
        counters = [counter_for(job.spec) for job in jobs]
        texts_by_counter: dict[str, tuple[list[str], list[str]]] = {}
        job_texts: list[tuple[list[str], list[str], int]] = []
        for job, counter in zip(jobs, counters, strict=True):
            texts: list[str] = []
            edited = 0  # raw tokens of the texts counted as edits of their previous version
            for index, message in enumerate(job.parsed.messages):
                refs = [r for r in job.parsed.variables if r.message_index == index]
                text = fill_message(message.text, refs, job.sizes)
                texts.append(message.role)
                known = None
                if job.lineage is not None and counter.additive and len(text) >= CHUNKED_MIN_CHARS:
                    known = self._edited_count(
                        counter, (counter.cache_key, job.lineage, index), text
                    )
                if known is None:
                    texts.append(text)
                else:
                    edited += known
            keys = [cache_key(text, counter.cache_key) for text in texts]  # hashed once
            job_texts.append((texts, keys, edited))
            batch = texts_by_counter.setdefault(counter.cache_key, ([], []))
            batch[0].extend(texts)
            batch[1].extend(keys)
        for key, (texts, keys) in texts_by_counter.items():
            self._raw(next(c for c in counters if c.cache_key == key), texts, keys)
        results = []
        for job, counter, (texts, keys, edited) in zip(jobs, counters, job_texts, strict=True):
            raw = sum(self._raw(counter, texts, keys)) + edited
            variable_tokens = sum(
                job.sizes[ref.name].tokens or 0
                for ref in job.parsed.variables
                if ref.name in job.sizes and job.sizes[ref.name].text is None
            )
            overhead = chat_overhead(len(job.parsed.messages), job.spec)
            unscaled = overhead + variable_tokens + job.extra_tokens
            count = counter.finish(raw, unscaled)
            parts = TokenParts(count.tokens - unscaled, overhead, variable_tokens, job.extra_tokens)
            results.append(replace(count, parts=parts))
        return results

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
