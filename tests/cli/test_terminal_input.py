"""A line typed at a terminal: read as typed, and Ctrl-C interrupts the wait whenever it comes (paa.cli.terminal_input).

The end-to-end Ctrl-C test (tests/e2e/test_warm.py) hung in 3 of 3 loaded full runs: the SIGINT arrived after
Python's last check for signals and before read() blocked, so it was only noted, and read() waited on."""

from __future__ import annotations

import os
import pty
import signal
import threading
from collections.abc import Iterator
from typing import Any, TextIO

import pytest

from paa.cli.terminal_input import read_line


@pytest.fixture
def terminal() -> Iterator[tuple[int, TextIO]]:
    """A pseudo-terminal: the side a person types into, and the program's side as a text stream."""
    leader, follower = pty.openpty()
    stream = os.fdopen(follower, "r", encoding="utf-8")
    try:
        yield leader, stream
    finally:
        stream.close()
        os.close(leader)


def test_a_typed_line_is_read(terminal: tuple[int, TextIO]) -> None:
    leader, stream = terminal
    os.write(leader, "Grand, thanks ✓\n".encode())
    assert read_line(stream) == "Grand, thanks ✓\n"


def test_a_pipe_is_read_as_a_stream(tmp_path: Any) -> None:
    path = tmp_path / "answers.txt"
    path.write_text("one\ntwo\n", encoding="utf-8")
    with path.open(encoding="utf-8") as stream:
        assert [read_line(stream), read_line(stream), read_line(stream)] == ["one\n", "two\n", ""]


def test_a_ctrl_c_that_does_not_interrupt_the_wait_itself_still_ends_it(terminal: tuple[int, TextIO]) -> None:
    """The lost Ctrl-C, made certain: SIGINT is blocked in this thread, so the signal is taken by another one (as
    one that arrives before the wait begins is taken before it) and can never interrupt the wait with EINTR; only
    the wakeup pipe can end it. Without it the wait lasts until the line typed 10 s later."""
    leader, stream = terminal
    typed: list[bool] = []

    def type_a_line() -> None:
        typed.append(True)
        os.write(leader, b"too late\n")

    late = threading.Timer(10, type_a_line)
    late.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            sender = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
            sender.start()  # made before the mask: this thread can take the signal
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                read_line(stream)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    finally:
        late.cancel()
        sender.join()
    assert typed == []  # the Ctrl-C ended the wait, not the line
    assert signal.set_wakeup_fd(-1) == -1  # the wakeup pipe was put back as it was
