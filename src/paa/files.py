"""Private files: written whole or not at all, readable by their owner only; and a lock held across processes.

Core, the database layer and the daemon share these, so a secret, a token file, a status file or a migration lock is
written and locked one way everywhere.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

PRIVATE = 0o600
PRIVATE_FOLDER = 0o700


class LockHeld(BlockingIOError):
    """Another process holds the lock (raised only when asked not to wait)."""


def write_private_text(path: Path, text: str, *, create_folders: bool = True) -> None:
    """Replace `path` with `text`: a reader sees the old file or the new one, never half, and never wider than 0600.

    Missing folders are created 0700 (unless `create_folders` is False); an OSError is the caller's to report.
    """
    if create_folders:
        path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, PRIVATE)  # a temp file left by a crash keeps its old mode through O_CREAT
            stream.write(text)
            stream.flush()
            os.fsync(fd)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise


def make_private_folder(path: Path) -> None:
    """Create `path` 0700 (its missing parents as the umask says), or narrow an existing one of ours to 0700.

    For paa's own folders only (config, logs, state): never a folder the person named, such as an export's.
    """
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    _narrow(path, PRIVATE_FOLDER)


def open_private_append(path: Path, encoding: str | None = "utf-8") -> io.TextIOWrapper:
    """Open `path` for appending text, creating it 0600 and narrowing an older, wider file to 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE)
    try:
        _narrow_descriptor(fd, PRIVATE)
        return os.fdopen(fd, "a", encoding=encoding)
    except BaseException:
        os.close(fd)
        raise


def _narrow(path: Path, mode: int) -> None:
    """Take group and other permissions off a file or folder (one stat when they are already off)."""
    with suppress(OSError):  # not ours (another owner): leave it, the next open reports a real problem
        current = path.stat().st_mode & 0o777
        if current & ~mode & 0o777:
            os.chmod(path, current & mode)


def _narrow_descriptor(fd: int, mode: int) -> None:
    if not hasattr(os, "fchmod"):
        return
    with suppress(OSError):
        current = os.fstat(fd).st_mode & 0o777
        if current & ~mode & 0o777:
            os.fchmod(fd, current & mode)


def write_private_json(path: Path, data: Any, *, sort_keys: bool = False) -> None:
    """Replace `path` with `data` as indented JSON, as `write_private_text` does."""
    write_private_text(path, json.dumps(data, indent=2, sort_keys=sort_keys))


def lock_descriptor(fd: int, *, wait: bool = True) -> None:
    """Lock the open file `fd` exclusively; without `wait`, raise LockHeld at once if another process holds it.

    Where there is no flock (Windows), a waiting lock is not taken and a non-waiting one locks the first byte.
    """
    try:
        import fcntl
    except ImportError:
        if wait:
            return
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            raise LockHeld("the lock is held by another process") from None
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        if wait:
            raise
        raise LockHeld("the lock is held by another process") from None


def open_locked(path: Path, *, wait: bool = True, create: bool = True) -> int:
    """Open `path` (created 0600 unless `create` is False) and lock it; closing the descriptor releases the lock."""
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), PRIVATE)
    try:
        lock_descriptor(fd, wait=wait)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextmanager
def file_lock(path: Path, *, wait: bool = True) -> Iterator[int]:
    """Hold an exclusive lock on `path` across processes for the `with` block; yields the open descriptor."""
    fd = open_locked(path, wait=wait)
    try:
        yield fd
    finally:
        with suppress(ImportError, OSError):
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)  # a child process that inherited the descriptor must not keep it
        os.close(fd)
