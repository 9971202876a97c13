"""A job queue that keeps what it is given instead of sending it to Redis: the tests run each job themselves, as a
`paa worker` would (tests/e2e/test_queue.py runs real workers on a real Redis)."""

from __future__ import annotations

from typing import Any

from paa.ai.queue import JobQueue


class RecordingQueue(JobQueue):
    """The queue as its callers see it, keeping each job in `jobs`."""

    def __init__(self) -> None:
        super().__init__("redis://127.0.0.1:1/0")
        self.jobs: list[tuple[str, dict[str, Any]]] = []

    def enqueue(self, job: str, **ids: int | str) -> None:
        self.jobs.append((job, ids))
