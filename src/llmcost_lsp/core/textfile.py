"""Reading prompt files safely: size limit, binary and UTF-8 checks, BOM and newline normalisation.

Normalisation keeps line numbers: CRLF and lone CR each become one LF, so line N of the normalised
text is line N of the file as an editor shows it (LSP clients treat CR, LF and CRLF as line breaks).
A leading BOM is dropped; editors do not count it as a column either.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from llmcost_lsp.core.errors import InputError, Location

DEFAULT_LIMIT_BYTES = 2_000_000
MANIFEST_LIMIT_BYTES_DEFAULT = 1_000_000
_BINARY_SNIFF_BYTES = 8192
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

LineEnding = Literal["lf", "crlf", "cr", "mixed", "none"]


@dataclass(frozen=True)
class TextFile:
    """A decoded text file: `text` uses LF only; the other fields say what the bytes looked like."""

    text: str
    had_bom: bool
    line_ending: LineEnding
    final_newline: bool
    size_bytes: int


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF; line count is unchanged."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def content_hash(text: str) -> str:
    """SHA-256 hex of the LF-normalised text: detects change, never names a prompt."""
    return hashlib.sha256(normalize_newlines(text).encode("utf-8")).hexdigest()


def _line_ending(text: str) -> LineEnding:
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    kinds = [name for name, n in (("crlf", crlf), ("cr", cr), ("lf", lf)) if n]
    if not kinds:
        return "none"
    if len(kinds) > 1:
        return "mixed"
    return kinds[0]  # type: ignore[return-value]


def _line_col_of_byte(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset, counting CR, LF, CRLF as breaks."""
    head = data[:offset]
    line = head.count(b"\n") + head.replace(b"\r\n", b"").count(b"\r") + 1
    start = max(head.rfind(b"\n"), head.rfind(b"\r")) + 1
    column = len(head[start:].decode("utf-8", errors="replace")) + 1
    return line, column


def decode_text(data: bytes, path: str | None = None) -> TextFile:
    """Decode UTF-8 bytes (optional BOM) into a TextFile, or raise InputError saying why not."""
    if data.startswith(_UTF16_BOMS):
        raise InputError(
            "file is UTF-16 encoded; prompts must be UTF-8",
            location=Location(path=path),
            code="not-utf8",
            hint="re-save the file as UTF-8",
        )
    nul = data.find(b"\x00", 0, _BINARY_SNIFF_BYTES)
    if nul != -1:
        raise InputError(
            f"binary file (NUL byte at offset {nul})", location=Location(path=path), code="binary"
        )
    had_bom = data.startswith(_UTF8_BOM)
    body = data[len(_UTF8_BOM) :] if had_bom else data
    try:
        raw = body.decode("utf-8")
    except UnicodeDecodeError as error:
        offset = error.start + (len(_UTF8_BOM) if had_bom else 0)
        line, column = _line_col_of_byte(data, offset)
        raise InputError(
            f"invalid UTF-8 at byte offset {offset} (byte 0x{data[offset]:02x})",
            location=Location(path=path, line=line, column=column),
            code="invalid-utf8",
            hint="re-save the file as UTF-8",
        ) from None
    if "\x00" in raw:
        raise InputError("binary file (NUL character)", location=Location(path=path), code="binary")
    return TextFile(
        text=normalize_newlines(raw),
        had_bom=had_bom,
        line_ending=_line_ending(raw),
        final_newline=raw.endswith(("\n", "\r")),
        size_bytes=len(data),
    )


def read_capped(
    path: str | os.PathLike[str],
    limit_bytes: int,
    display_path: str | None = None,
    *,
    what: str = "prompt files",
) -> bytes:
    """The bytes of a regular file of at most `limit_bytes`, or InputError (unreadable,
    not-a-file, too-large). Never blocks and never reads without a bound: the file is opened
    non-blocking and checked with fstat, so a FIFO, a device (/dev/zero) or a socket behind a
    name or a symlink is refused before any read."""
    shown = display_path or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputError(
            f"cannot read file: {reason}", location=Location(path=shown), code="unreadable"
        ) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InputError(
            "is a directory, not a file"
            if stat.S_ISDIR(info.st_mode)
            else "not a regular file (a FIFO, device or socket is never read)",
            location=Location(path=shown),
            code="not-a-file",
        )
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limit_bytes:
            raise _too_large(shown, limit_bytes, what)
        try:
            # read(limit + 1) would allocate the whole limit (2 MB) for every small file: 4x
            # slower over 10,000 prompts. Read what fstat says is there, and on if it grew.
            chunk = info.st_size + 1
            data = handle.read(chunk)
            if len(data) == chunk:  # grew meanwhile
                data += handle.read(limit_bytes + 1 - chunk)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise InputError(
                f"cannot read file: {reason}", location=Location(path=shown), code="unreadable"
            ) from None
    if len(data) > limit_bytes:
        raise _too_large(shown, limit_bytes, what)
    return data


def _too_large(shown: str, limit_bytes: int, what: str) -> InputError:
    return InputError(
        f"file is larger than the {limit_bytes:,}-byte limit for {what}",
        location=Location(path=shown),
        code="too-large",
    )


def read_text_file(
    path: str | os.PathLike[str],
    limit_bytes: int = DEFAULT_LIMIT_BYTES,
    display_path: str | None = None,
    *,
    what: str = "prompt files",
) -> TextFile:
    """Read and decode one file; InputError (binary, invalid-utf8, too-large, unreadable,
    not-a-file) if not."""
    shown = display_path or str(path)
    return decode_text(read_capped(path, limit_bytes, shown, what=what), shown)


def read_prompt_text(path: str | os.PathLike[str], limit_bytes: int = DEFAULT_LIMIT_BYTES) -> str:
    """The LF-normalised text of a prompt file (BOM dropped); InputError with a reason otherwise."""
    return read_text_file(Path(path), limit_bytes).text
