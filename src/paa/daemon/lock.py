"""One daemon per data folder: an exclusive lock on `daemon.lock`, which also holds the pid."""

from __future__ import annotations

import os
from pathlib import Path

from paa.errors import Conflict
from paa.files import LockHeld, open_locked


class AlreadyRunning(Conflict):
    """Another daemon holds the lock of this data folder."""


class InstanceLock:
    """Held for the daemon's lifetime; the kernel drops it when the process ends, even on kill -9."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = open_locked(self.path, wait=False)
        except LockHeld:
            pid = self.path.read_text(encoding="ascii", errors="replace").strip()
            raise AlreadyRunning(
                f"the paa daemon is already running for this data folder (pid {pid or '?'})",
                hint="`paa daemon status` shows it; `paa daemon stop` stops it",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        finally:
            os.close(self._fd)  # closing drops the lock
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
