"""Atomic file writes: readers see the old file or the new one, never half of either.

A symlinked file is written through (the link stays, its target gets the new text). The new
text goes to a temp file beside the target, named with the writer's process id; on Linux it is
an anonymous file (O_TMPFILE) that gets a name only just before the rename, so a killed writer
leaves nothing behind, and any temp file a dead writer did leave is removed by the next write.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

T = TypeVar("T")


def write_atomic_with(path: Path, write: Callable[[TextIO], T]) -> T:
    """Call `write` on a temp file beside `path`, fsync, rename over `path`, fsync the folder.

    An existing file's mode is kept; a new file gets the umask's default (mkstemp makes 0600)."""
    path = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    directory = path.parent
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    prefix = f".{path.name}.{os.getpid()}."
    _remove_stale(directory, path.name)
    fd, temp_name = _anonymous(directory, prefix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
            if temp_name is None:  # named only now, for the rename
                temp_name = tempfile.mktemp(prefix=prefix, suffix=".tmp", dir=directory)
                _link(handle.fileno(), temp_name)
        os.replace(temp_name, path)
    except BaseException:
        if temp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
        raise
    try:  # make the rename durable; not every platform can open a directory
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return result
    try:
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return result


def _anonymous(directory: Path, prefix: str) -> tuple[int, str | None]:
    """(fd, None) for an unnamed file in `directory` where the OS has them, else a named one."""
    flag = getattr(os, "O_TMPFILE", 0)
    if flag and os.path.isdir("/proc/self/fd"):
        try:
            return os.open(directory, flag | os.O_WRONLY, 0o600), None
        except OSError:
            pass  # a file system without O_TMPFILE support
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    return fd, name


def _link(fd: int, name: str) -> None:
    """Give the anonymous file `fd` a name: linkat through /proc with AT_SYMLINK_FOLLOW (a
    dir fd makes os.link use linkat; plain link() would link the /proc symlink itself)."""
    proc = os.open("/proc", os.O_RDONLY)
    try:
        os.link(f"self/fd/{fd}", name, src_dir_fd=proc, follow_symlinks=True)
    finally:
        os.close(proc)


def _remove_stale(directory: Path, name: str) -> None:
    """Temp files of `name` left by writers that were killed (their process is gone)."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        # ".<name>.<pid>.<random>.tmp"
        if not entry.name.endswith(".tmp") or not entry.name.startswith(f".{name}."):
            continue
        pid_text = entry.name[len(name) + 2 :].split(".", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def write_atomic(path: Path, text: str) -> None:
    """Write `text` atomically (see `write_atomic_with`)."""
    write_atomic_with(path, lambda handle: handle.write(text))
