"""`paa worker`: runs the job queue's jobs (paa.ai.queue) on dramatiq's worker threads until SIGTERM or SIGINT.

Each job re-reads what it is about and checks it is still to do, so any number of workers, on any machines sharing
the database and Redis, can run beside the daemon and each other: a reminder is sent by the worker whose claim of
its row succeeded (`core.reminders.outbox.take_queued`), a memory embedded twice gets the same vector, and a
check-in already read by the model is not read again. A job that fails is retried (with a growing pause, a few
times); the jobs of a worker that stops answering (killed, its machine gone) go back to the queue once it has been
unheard for `queue.heartbeat_seconds`.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from datetime import date
from typing import Any

from paa.core.runtime import Runtime
from paa.errors import ConfigError, NotFound

LOG = logging.getLogger("paa.worker")
SETTINGS_FRESH_FOR = 10.0  # seconds a worker sends with the settings it read, before reading config.toml again
RETRIES = {"max_retries": 5, "min_backoff": 2_000, "max_backoff": 300_000}  # dramatiq's Retries, in milliseconds
STOP_GRACE_MS = 30_000  # jobs under way get this long to finish at SIGTERM (a container's grace period is 30 s)


class Jobs:
    """What each kind of job does, on one runtime shared by the worker's threads."""

    def __init__(self, runtime: Runtime) -> None:
        from paa.core.events import EventHub
        from paa.daemon.dispatch import Dispatcher

        self.runtime = runtime
        self.dispatcher = Dispatcher(EventHub(), runtime=runtime)
        self._embedding = threading.Lock()  # one model run at a time in this process: they would only compete
        self._reading = threading.Lock()
        self._read_at = time.monotonic()
        self.done = 0

    def _fresh_settings(self) -> None:
        """Read config.toml again when the settings are older than SETTINGS_FRESH_FOR: the daemon claims on the
        channels it sees at each tick, and a worker must know a channel added since it started."""
        with self._reading:
            if time.monotonic() - self._read_at >= SETTINGS_FRESH_FOR:
                self.runtime.reload()
                self._read_at = time.monotonic()

    def deliver_reminder(self, user_id: int, notification_id: int) -> None:
        """Send one claimed delivery, unless another worker (or the daemon) already took it."""
        self._fresh_settings()
        result = self.dispatcher.deliver_queued(user_id, notification_id)
        if result is not None:
            LOG.info("notification %d: %s", notification_id, "sent" if result.ok else "failed")
        self.done += 1

    def embed_memories(self, user_id: int) -> None:
        """Embed the user's memories that wait for their vectors."""
        from paa.ai.memory import embed_pending

        try:
            acting = self.runtime.acting_as(user_id)
        except NotFound:
            return
        with self._embedding, self.runtime.context(acting=acting) as ctx:
            embedded = embed_pending(ctx)
        if embedded:
            LOG.info("embedded %d memor%s of user %d", embedded, "y" if embedded == 1 else "ies", user_id)
        self.done += 1

    def read_checkin(self, user_id: int, day: str) -> None:
        """Have the model read a saved check-in (sentiment, summary memory, follow-up question), once."""
        from paa.ai.checkin_ai import read_unread_checkin

        try:
            acting = self.runtime.acting_as(user_id)
        except NotFound:
            return
        read_unread_checkin(self.runtime, acting, date.fromisoformat(day))
        self.done += 1

    def close(self) -> None:
        self.dispatcher.close()


def run_worker(runtime: Runtime, *, threads: int = 4, stopping: threading.Event | None = None) -> int:
    """Run jobs until `stopping` is set (SIGTERM or SIGINT, from the main thread); the exit code."""
    import dramatiq

    from paa.ai import queue

    url = queue.queue_url(runtime.loaded.settings, runtime.environ)
    if url is None:
        raise ConfigError(
            "the job queue is off: a worker has nothing to do",
            hint="turn it on with PAA_QUEUE_ENABLED=true (or paa config set queue.enabled true) and PAA_REDIS_URL",
        )
    queue.attach(runtime)  # what a job writes (a check-in's summary memory) queues its own follow-up work
    settings = runtime.loaded.settings
    broker = queue.make_broker(url, heartbeat_seconds=settings.queue_heartbeat_seconds,
                               timeout_seconds=settings.queue_timeout_seconds, worker=True)  # fmt: skip
    jobs = Jobs(runtime)
    handlers: dict[str, Any] = {
        queue.DELIVER_REMINDER: jobs.deliver_reminder,
        queue.EMBED_MEMORIES: jobs.embed_memories,
        queue.READ_CHECKIN: jobs.read_checkin,
    }
    for name, handler in handlers.items():
        dramatiq.Actor(handler, broker=broker, actor_name=name, queue_name=queue.QUEUE_NAME, priority=0,
                       options=dict(RETRIES))  # fmt: skip
    stopping = stopping or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
    worker = dramatiq.Worker(broker, queues={queue.QUEUE_NAME}, worker_threads=threads, worker_timeout=500)
    worker.start()
    LOG.info("worker started: %d thread(s), queue %s", threads, queue.QUEUE_NAME)
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        LOG.info("stopping: letting the jobs under way finish")
        worker.stop(timeout=STOP_GRACE_MS)
        jobs.close()
        broker.close()
        broker.client.close()  # dramatiq's close leaves its client's connections open
        LOG.info("stopped after %d job(s)", jobs.done)
    return 0


def log_to_stderr() -> logging.Handler:
    """The worker logs to stderr only (a service manager or `docker logs` keeps it), redacted like the daemon's."""
    from paa.daemon.logs import PrivateFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(PrivateFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("paa", "dramatiq"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return handler
