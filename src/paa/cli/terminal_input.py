"""Reading a line typed at the terminal so that Ctrl-C always interrupts it.

Python runs a signal's handler between bytecodes. A SIGINT that arrives after the last check and before the
process blocks in read() (while the question is being written, on a busy machine) is only noted, and read() then
waits for a line that never comes: the Ctrl-C is lost and the command hangs until Enter. Here the wait is a
select() on the terminal and on a wakeup pipe that the interpreter writes to whenever a signal arrives
(`signal.set_wakeup_fd`), so a signal noted at any moment ends the wait and its handler runs (KeyboardInterrupt).
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
from typing import TextIO


def read_line(stream: TextIO | None = None) -> str:
    """One line from `stream` (stdin), '' at end of input; on a terminal, interruptible by Ctrl-C at any moment."""
    stream = sys.stdin if stream is None else stream
    fd = _terminal_fd(stream)
    if fd is None or threading.current_thread() is not threading.main_thread():
        return stream.readline()  # a pipe or a file never waits for a person; set_wakeup_fd is the main thread's
    wake_read, wake_write = os.pipe()
    try:
        os.set_blocking(wake_write, False)
        earlier = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
        try:
            _run_pending_handlers()  # a signal that came before the pipe was set up is not in it
            while True:  # each turn of the loop is where Python runs the handler of a signal that woke the wait
                ready, _, _ = select.select([fd, wake_read], [], [])
                if fd in ready:
                    return stream.readline()  # the terminal has a whole line (canonical mode): no wait
                os.read(wake_read, 512)
        finally:
            signal.set_wakeup_fd(earlier)
    finally:
        os.close(wake_read)
        os.close(wake_write)


def _run_pending_handlers() -> None:
    """Nothing: entering a Python function is where the interpreter runs the handlers of signals already noted."""


def _terminal_fd(stream: TextIO) -> int | None:
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # a test's stand-in, or no stdin at all
        return None
    return fd if os.isatty(fd) and sys.platform != "win32" else None
