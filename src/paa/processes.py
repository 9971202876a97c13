"""Processes paa forks to work beside the one a person waits for: whether forking is safe, and what a child lets go.

A process may fork only while it runs one thread (a lock another thread held stays held in the child), and a child
that works beside its parent holds none of the parent's files: a caller reading the command's output to its end, or
a terminal, never waits for it. Standard library only: the helper a cold `paa memory search` forks before its
imports uses it, as does the TUI's start.
"""

from __future__ import annotations

import contextlib
import os


def threads_running() -> int:
    """How many threads this process runs, native ones too (Linux: /proc; elsewhere Python's own count)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def let_go_of_files(keep: int) -> None:
    """In a forked child: /dev/null as stdin, stdout and stderr, and every other file descriptor closed but `keep`
    (those open by /proc/self/fd, as subprocess finds them; where that cannot be read, every one to the limit)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    try:
        opened = sorted(int(name) for name in os.listdir("/proc/self/fd"))
    except OSError:
        os.closerange(3, keep)
        os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
        return
    for fd in opened:
        if fd > 2 and fd != keep:
            with contextlib.suppress(OSError):  # (the listing's own, closed already)
                os.close(fd)
