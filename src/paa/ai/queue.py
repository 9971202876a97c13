"""Background work as jobs on a Redis queue, when `queue.enabled` is on: what enqueues them, not what runs them.

A job names its work and carries ids only (a user, a notification, a day): never a secret, never a person's words.
The database stays the record: a job re-reads what it needs and checks it is still to do, so a job that runs twice
(a retry, a worker killed after the work but before its acknowledgement) does nothing the second time. The queue is
dramatiq's Redis broker (docs/scaling.md#background-work says why this library); `paa.daemon.worker` runs the jobs.
Without the setting nothing here imports dramatiq or redis, and each process does the work itself, as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from paa.config import Settings
from paa.errors import ConfigError

if TYPE_CHECKING:
    from paa.core.context import Context
    from paa.core.doctor import Check
    from paa.core.runtime import Runtime

LOG = logging.getLogger("paa.queue")
T = TypeVar("T")
QUEUE_NAME = "paa"
NAMESPACE = "paa:jobs"  # dramatiq's keys in Redis begin with this (the rate limits and the feed use paa:rate, paa:feed)
DELIVER_REMINDER = "deliver_reminder"  # user_id, notification_id
EMBED_MEMORIES = "embed_memories"  # user_id
READ_CHECKIN = "read_checkin"  # user_id, day (ISO)
JOBS = (DELIVER_REMINDER, EMBED_MEMORIES, READ_CHECKIN)
QUIET_AFTER_FAILURE = 60.0  # seconds without another "cannot enqueue" line in the log, while Redis is away
DEFAULT_TIMEOUT = 5.0  # seconds; the queue.timeout_seconds setting's default
# seconds without trying Redis again after it failed: long beside the timeout, so a Redis that is away costs a caller
# the timeout at most once in this long, and short enough that one back again is used within half a minute
RETRY_AFTER = 30.0


def queue_url(settings: Settings, environ: Mapping[str, str]) -> str | None:
    """The Redis URL jobs go to, or None when the queue is off; the setting without PAA_REDIS_URL is a ConfigError."""
    if not settings.queue_enabled:
        return None
    url = environ.get("PAA_REDIS_URL", "")
    if not url:
        raise ConfigError(
            "queue.enabled is on but PAA_REDIS_URL is not set",
            hint="the queue lives in Redis: set PAA_REDIS_URL (docs/scaling.md#background-work), or turn the queue off",
        )
    return url


def make_broker(url: str, *, heartbeat_seconds: int, timeout_seconds: float = DEFAULT_TIMEOUT,
                worker: bool = False) -> Any:  # fmt: skip
    """dramatiq's Redis broker for paa's queue; a worker's looks for dead workers' jobs more often than a sender's.

    Its client gives up on a connection or an answer after `timeout_seconds`: without that, a Redis host that drops
    packets (rather than refusing) held the caller until the system's TCP timeout, minutes."""
    import redis
    from dramatiq.brokers.redis import RedisBroker

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds)
    # A worker fetches about twice a second; 5% of those also move the jobs of workers unheard for
    # `heartbeat_seconds` back to the queue, so a killed worker's job is taken again within seconds of that.
    chance = 50_000 if worker else 1_000
    broker = RedisBroker(client=client, namespace=NAMESPACE, heartbeat_timeout=heartbeat_seconds * 1000,
                         maintenance_chance=chance)  # fmt: skip
    broker.add_middleware(_without_tracebacks(), before=_retries_class())
    return broker


def _retries_class() -> Any:
    from dramatiq.middleware import Retries

    return Retries


def _without_tracebacks() -> Any:
    """A middleware that keeps a failed job's traceback out of Redis: dramatiq stores it in the message it retries or
    gives up on, and an error's text may quote what the job was working on. The worker's log has it."""
    from dramatiq import Middleware

    class WithoutTracebacks(Middleware):  # type: ignore[misc]
        def before_enqueue(self, broker: Any, message: Any, delay: Any) -> None:
            message.options.pop("traceback", None)

        def after_process_message(
            self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
        ) -> None:
            # added before Retries, so this runs after its hook: dramatiq runs the after-hooks in reverse order
            message.options.pop("traceback", None)

    return WithoutTracebacks()


class QueueUnreachable(ConnectionError):
    """Redis failed to connect or answer a moment ago: the queue is not tried again until `JobQueue.retry_after`
    passes."""


class JobQueue:
    """A runtime's way to enqueue jobs: one broker, made on the first job.

    `timeout` is how long one call waits for Redis; after Redis failed to connect or answer, the queue fails at once
    for `retry_after` seconds instead of waiting again: a tick with a hundred reminders due, or a burst of requests,
    pays the timeout once, not once each. `monotonic` is the clock of that back-off (tests pass their own)."""

    def __init__(
        self,
        url: str,
        *,
        heartbeat_seconds: int = 60,
        timeout: float = DEFAULT_TIMEOUT,
        retry_after: float = RETRY_AFTER,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.heartbeat_seconds = heartbeat_seconds
        self.timeout = timeout
        self.retry_after = retry_after
        self._monotonic = monotonic
        self._broker: Any = None
        self._lock = threading.Lock()
        self._quiet_until = 0.0
        self._unreachable_until = 0.0
        self.enqueued = 0

    def broker(self) -> Any:
        with self._lock:
            if self._broker is None:
                self._broker = make_broker(self.url, heartbeat_seconds=self.heartbeat_seconds,
                                           timeout_seconds=self.timeout)  # fmt: skip
            return self._broker

    def _reach(self, call: Callable[[Any], T]) -> T:
        """Run `call` with the broker, failing at once while Redis was found unreachable a moment ago."""
        import redis

        if self._monotonic() < self._unreachable_until:
            raise QueueUnreachable("Redis did not answer a moment ago; the queue is tried again shortly")
        try:
            return call(self.broker())
        except (redis.ConnectionError, redis.TimeoutError):
            self._unreachable_until = self._monotonic() + self.retry_after
            raise

    def enqueue(self, job: str, **ids: int | str) -> None:
        """Put one job on the queue; raises what Redis raises when it cannot be reached (after the timeout at most)."""
        from dramatiq import Message

        if job not in JOBS:
            raise ValueError(f"unknown job {job}")
        message: Any = Message(queue_name=QUEUE_NAME, actor_name=job, args=(), kwargs=dict(ids), options={})
        self._reach(lambda broker: broker.enqueue(message))
        self.enqueued += 1

    def try_enqueue(self, job: str, **ids: int | str) -> bool:
        """Enqueue, or log (once a minute at most) that Redis cannot be reached and return False."""
        try:
            self.enqueue(job, **ids)
        except Exception as exc:
            now = self._monotonic()
            if now >= self._quiet_until:
                self._quiet_until = now + QUIET_AFTER_FAILURE
                LOG.warning("cannot put a %s job on the queue: %s: %s", job, type(exc).__name__, exc)
            return False
        return True

    def depth(self) -> int:
        """How many jobs wait in the queue (not counting those a worker has taken)."""
        return self._reach(lambda broker: int(broker.client.llen(f"{NAMESPACE}:{QUEUE_NAME}")))

    def close(self) -> None:
        with self._lock:
            broker, self._broker = self._broker, None
        if broker is not None:
            broker.close()
            broker.client.close()  # dramatiq's close leaves its client's connections open


def doctor_check(runtime: Runtime) -> Check:
    """`paa doctor`'s line on the job queue: off, or on with Redis answering and the jobs waiting, or what is wrong."""
    import importlib.util

    from paa.core.doctor import Check

    if not runtime.loaded.settings.queue_enabled:
        return Check("queue", "info", "off: each process does its own background work (docs/scaling.md)")
    url = runtime.environ.get("PAA_REDIS_URL", "")
    if not url:
        return Check("queue", "error", "queue.enabled is on but PAA_REDIS_URL is not set",
                     "set PAA_REDIS_URL, or paa config set queue.enabled false")  # fmt: skip
    if importlib.util.find_spec("dramatiq") is None:
        return Check("queue", "error", "queue.enabled is on but dramatiq is not installed", "pip install 'paa[queue]'")
    import redis

    timeout = runtime.loaded.settings.queue_timeout_seconds
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        waiting = int(client.llen(f"{NAMESPACE}:{QUEUE_NAME}"))
    except redis.RedisError as exc:
        return Check("queue", "error", f"on, but Redis does not answer: {type(exc).__name__}: {exc}",
                     "start Redis or correct PAA_REDIS_URL")  # fmt: skip
    finally:
        client.close()
    return Check("queue", "ok", f"on: Redis answers; {waiting} job(s) waiting for `paa worker`")


def attach(runtime: Runtime) -> JobQueue | None:
    """Give the runtime its job queue when `queue.enabled` is on (None when off); cheap: Redis is reached on the first
    job. Interfaces call it once: the API, the daemon, the worker and the CLI."""
    url = queue_url(runtime.loaded.settings, runtime.environ)
    if url is None:
        return None
    settings = runtime.loaded.settings
    return runtime.service(JobQueue, lambda: JobQueue(url, heartbeat_seconds=settings.queue_heartbeat_seconds,
                                                      timeout=settings.queue_timeout_seconds))  # fmt: skip


def attached(owner: Runtime | Context) -> JobQueue | None:
    """The job queue given to this runtime (or this context's runtime), if any."""
    return owner.services.peek(JobQueue)


def enqueue_after_commit(ctx: Context, job: str, **ids: int | str) -> bool:
    """When the context's runtime has a queue: enqueue the job once this transaction commits (a job must find what
    it is about), and say True; False without a queue, so the caller does the work itself."""
    from sqlalchemy import event

    jobs = attached(ctx)
    if jobs is None:
        return False
    event.listen(ctx.session, "after_commit", lambda _session: jobs.try_enqueue(job, **ids), once=True)
    return True
