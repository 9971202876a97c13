"""The job queue's setting and `paa doctor`'s line on it, without Redis (tests/e2e/test_queue.py runs a real one)."""

from __future__ import annotations

import pytest

from paa.ai import queue
from paa.errors import ConfigError
from tests.support.runtime import runtime_for


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
