"""Waiting on a condition instead of sleeping: every test that polls goes through `wait_until`.

The timeout is a give-up limit for a test that would otherwise hang, never a claim about speed: it is generous, and
running out fails with what was last seen. How fast paa does something is measured in bench/, not asserted here.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

GIVE_UP_SECONDS = 120.0  # a loaded two-core machine has been seen to take 6x longer than an idle one


def _failure(timeout: float, what: str, describe: Callable[[], str] | None) -> AssertionError:
    seen = f"\n{describe()}" if describe else ""
    return AssertionError(f"gave up after {timeout:g} s waiting for {what}{seen}")


def wait_until(
    condition: Callable[[], T | None],
    timeout: float = GIVE_UP_SECONDS,
    interval: float = 0.02,
    *,
    what: str = "the condition",
    describe: Callable[[], str] | None = None,
) -> T:
    """Call `condition` until it returns a true value, and return that value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise _failure(timeout, what, describe)
        time.sleep(interval)


async def wait_until_async(
    condition: Callable[[], T | None],
    pause: Callable[[float], Awaitable[object]],
    timeout: float = GIVE_UP_SECONDS,
    interval: float = 0.05,
    *,
    what: str = "the condition",
    describe: Callable[[], str] | None = None,
) -> T:
    """`wait_until` inside an event loop: `pause(interval)` between tries lets the loop (a Textual app) run."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise _failure(timeout, what, describe)
        await pause(interval)


def readable_within(fd: int, timeout: float) -> bool:
    """Whether `fd` (a pipe, a socket, a terminal's main side) can be read within `timeout` seconds without blocking:
    it holds data, or its other end has closed (the read then says so).

    poll, not select: select() cannot watch a descriptor past 1024 and raises, and a worker late in a full run can
    hold that many if anything leaks them (chromadb's per-folder Systems did, while paa used chromadb).
    """
    import select

    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(0, round(timeout * 1000))))
