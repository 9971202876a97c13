"""The job queue's settings and `paa doctor`'s line on it, without Redis (tests/e2e/test_queue.py runs a real one),
and with a Redis host that never answers: every caller gives up after `queue.timeout_seconds`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
import redis

from paa.ai import queue
from paa.config import Settings
from paa.errors import ConfigError
from tests.support.runtime import runtime_for
from tests.support.silent_server import silent_redis_url
from tests.support.waiting import GIVE_UP_SECONDS

T = TypeVar("T")


def test_the_queue_is_off_unless_turned_on_and_then_needs_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    with runtime_for() as runtime:
        assert queue.attach(runtime) is None and queue.attached(runtime) is None
    monkeypatch.setenv("PAA_QUEUE_ENABLED", "true")
    with runtime_for() as runtime, pytest.raises(ConfigError, match="PAA_REDIS_URL is not set"):
        queue.attach(runtime)
    monkeypatch.setenv("PAA_REDIS_URL", "redis://127.0.0.1:1/0")
    with runtime_for() as runtime:
        jobs = queue.attach(runtime)
        assert jobs is not None and queue.attached(runtime) is jobs  # one per runtime; Redis not reached yet
        assert jobs.url == "redis://127.0.0.1:1/0" and jobs.enqueued == 0


@pytest.mark.parametrize(
    ("environ", "status", "says"),
    [
        ({}, "info", "off: each process does its own background work"),
        ({"PAA_QUEUE_ENABLED": "true"}, "error", "queue.enabled is on but PAA_REDIS_URL is not set"),
        ({"PAA_QUEUE_ENABLED": "true", "PAA_REDIS_URL": "redis://127.0.0.1:1/0"}, "error",
         "on, but Redis does not answer: ConnectionError"),
    ],
)  # fmt: skip
def test_doctor_says_whether_the_queue_is_on_and_reachable(
    environ: dict[str, str], status: str, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with runtime_for() as runtime:
        check = queue.doctor_check(runtime)
    assert check.name == "queue" and check.status == status and check.detail.startswith(says)
    assert (check.advice is None) == (status == "info")


def test_a_job_that_cannot_be_queued_is_reported_not_raised() -> None:
    jobs = queue.JobQueue("redis://127.0.0.1:1/0")  # nothing answers on port 1
    assert jobs.try_enqueue(queue.EMBED_MEMORIES, user_id=1) is False
    with pytest.raises(ValueError, match="unknown job"):
        jobs.enqueue("send_everything", user_id=1)
    jobs.close()


def _in_thread(work: Callable[[], T]) -> T:
    """Run `work` in a thread and give up (failing) if it has not returned well after any timeout of paa's: what
    is tested is that the call returns at all, not how fast."""
    done: list[T] = []
    worker = threading.Thread(target=lambda: done.append(work()), daemon=True)
    worker.start()
    worker.join(GIVE_UP_SECONDS)
    assert done, "the call was still waiting for a Redis that never answers"
    return done[0]


def _raised(call: Callable[[], object]) -> BaseException | None:
    try:
        call()
    except Exception as exc:
        return exc
    return None


def test_a_redis_that_never_answers_costs_a_job_the_timeout_and_then_nothing(caplog: pytest.LogCaptureFixture) -> None:
    # the back-off runs on a clock of the test's, so how long the machine takes between calls does not matter
    now = [1000.0]
    with silent_redis_url() as url:
        jobs = queue.JobQueue(url, timeout=0.2, retry_after=30.0, monotonic=lambda: now[0])
        with caplog.at_level(logging.WARNING, logger="paa.queue"):
            assert _in_thread(lambda: jobs.try_enqueue(queue.EMBED_MEMORIES, user_id=1)) is False
        assert "TimeoutError" in caplog.text  # the socket's own timeout, not a refusal
        # within retry_after the queue fails at once instead of waiting again: a tick with many reminders pays once
        now[0] += 29.0  # far beyond the socket's timeout: the back-off is its own window
        with pytest.raises(queue.QueueUnreachable):
            jobs.enqueue(queue.EMBED_MEMORIES, user_id=1)
        with pytest.raises(queue.QueueUnreachable):
            jobs.depth()
        # once it has passed, Redis is tried again (and again does not answer)
        now[0] += 1.0
        assert isinstance(_in_thread(lambda: _raised(jobs.depth)), redis.TimeoutError)
        assert jobs.enqueued == 0
        jobs.close()


def test_the_timeout_is_a_setting_and_reaches_the_redis_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_QUEUE_ENABLED", "true")
    monkeypatch.setenv("PAA_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("PAA_QUEUE_TIMEOUT_SECONDS", "0.7")
    with runtime_for() as runtime:
        jobs = queue.attach(runtime)
        assert jobs is not None and jobs.timeout == 0.7
        options = jobs.broker().client.connection_pool.connection_kwargs
        assert (options["socket_connect_timeout"], options["socket_timeout"]) == (0.7, 0.7)
        jobs.close()
    assert Settings().queue_timeout_seconds == queue.DEFAULT_TIMEOUT  # a Redis host that drops packets: 5 s at most
    monkeypatch.setenv("PAA_QUEUE_TIMEOUT_SECONDS", "0")
    with pytest.raises(ConfigError, match=r"queue\.timeout_seconds"), runtime_for():
        pass


def test_doctor_gives_up_on_a_redis_that_never_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    with silent_redis_url() as url:
        environ = {"PAA_QUEUE_ENABLED": "true", "PAA_REDIS_URL": url, "PAA_QUEUE_TIMEOUT_SECONDS": "0.2"}
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        with runtime_for() as runtime:
            check = _in_thread(lambda: queue.doctor_check(runtime))
    assert check.status == "error" and check.detail.startswith("on, but Redis does not answer: TimeoutError")
