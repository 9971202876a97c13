"""CancelToken: safe to cancel from a signal handler, on top of any frame, and from several threads."""

from __future__ import annotations

import functools
import os
import signal
import threading

from paa.ai.providers.base import CancelToken


def test_a_sigint_handler_cancels_even_on_top_of_a_cancel_under_way() -> None:
    """The CLI's Ctrl-C handler runs `cancel()` on top of whatever the main thread was doing, even `cancel()` itself
    (a second Ctrl-C while the first closes the stream): nothing to deadlock on, and each closer runs once."""
    cancel = CancelToken()
    closed: list[str] = []
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: cancel.cancel())
    try:
        cancel.on_cancel(lambda: os.kill(os.getpid(), signal.SIGINT))  # the second Ctrl-C, while closing
        cancel.on_cancel(lambda: closed.append("stream"))
        assert not cancel.cancelled  # registering is not cancelling
        os.kill(os.getpid(), signal.SIGINT)  # the handler runs before the next line, as at a Ctrl-C
        assert cancel.cancelled
        cancel.on_cancel(lambda: closed.append("late"))  # added after the cancel: run at once
    finally:
        signal.signal(signal.SIGINT, previous)
    assert sorted(closed) == ["late", "stream"]


def test_a_closer_that_cancels_again_runs_once_and_nothing_deadlocks() -> None:
    cancel = CancelToken()
    runs: list[int] = []

    def closer() -> None:
        runs.append(1)
        cancel.cancel()  # as a second Ctrl-C arriving while the first one closes the stream

    cancel.on_cancel(closer)
    cancel.cancel()
    assert runs == [1]


def test_each_closer_runs_once_when_many_threads_cancel_together() -> None:
    cancel = CancelToken()
    runs: list[int] = []
    for number in range(50):
        cancel.on_cancel(functools.partial(runs.append, number))
    forgotten = cancel.on_cancel(lambda: runs.append(-1))
    forgotten()  # unregistered: never runs
    start = threading.Barrier(4)

    def cancel_at_once() -> None:
        start.wait()
        cancel.cancel()

    threads = [threading.Thread(target=cancel_at_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(runs) == list(range(50))
