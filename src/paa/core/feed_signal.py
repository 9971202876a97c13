"""Announcing committed change-feed events on Redis, so every API worker wakes at once (PAA_REDIS_URL).

The change feed in the database stays the only record: a worker that hears an announcement reads the feed, exactly
as its slow safety-net poll does. The announcement is only a bell, sent after the transaction commits (a rolled-back
write rings nothing), from whichever process wrote: an API worker, the daemon, a `paa` command in a terminal.

A runtime whose environment names PAA_REDIS_URL attaches an `Announcer` to its engine; `paa.core.changes.publish`
asks `ring_after_commit` to ring for the event it added. Without PAA_REDIS_URL nothing here runs and the redis
package is never imported. A failure to announce (Redis down, the package missing) is logged once a minute and
never fails the write: the workers' poll finds the event a little later.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

LOG = logging.getLogger("paa.core.feed_signal")
FEED_CHANNEL = "paa:feed"  # a message is {"user_id", "id"}: the newest event id a transaction committed
TIMEOUT_SECONDS = 0.5  # a write waits at most this long on an unreachable Redis (once: then it is left alone)
QUIET_SECONDS = 60.0  # after a failure, announcements are skipped this long (the poll covers them)
_PENDING = "paa.feed_signal.pending"

# The announcer of each engine, keyed by its pool: `writer(engine)` hands sessions a view of the engine that shares it.
_ANNOUNCERS: weakref.WeakKeyDictionary[Any, Announcer] = weakref.WeakKeyDictionary()


class Announcer:
    """Publishes event ids on FEED_CHANNEL through one lazily made Redis connection pool."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Any = None
        self._lock = threading.Lock()
        self._quiet_until = 0.0

    def _connection(self) -> Any:
        with self._lock:
            if self._client is None:
                import redis  # only a process configured with PAA_REDIS_URL gets here

                self._client = redis.Redis.from_url(
                    self.url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
                )
            return self._client

    def announce(self, user_id: int, event_id: int) -> bool:
        """Ring for a committed event; False (logged) when it could not, never an exception."""
        if time.monotonic() < self._quiet_until:
            return False
        try:
            message = json.dumps({"user_id": user_id, "id": event_id})
            self._connection().publish(FEED_CHANNEL, message)
        except Exception as exc:  # anything: the write is committed already and must not look failed
            self._quiet_until = time.monotonic() + QUIET_SECONDS
            LOG.warning("paa: cannot announce a change on Redis (%s); workers will find it by polling", exc)
            return False
        return True

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


def attach(engine: Engine, url: str) -> Announcer:
    """Announce the events committed through `engine`'s sessions on the Redis at `url`."""
    announcer = _ANNOUNCERS.get(engine.pool)
    if announcer is None or announcer.url != url:
        announcer = _ANNOUNCERS[engine.pool] = Announcer(url)
    return announcer


def detach(engine: Engine) -> None:
    """Stop announcing for `engine` (its runtime is closing)."""
    announcer = _ANNOUNCERS.pop(engine.pool, None)
    if announcer is not None:
        announcer.close()


def ring_after_commit(session: Session, user_id: int, event_id: int) -> None:
    """Announce `event_id` once `session`'s transaction commits; nothing when its engine has no announcer."""
    if not _ANNOUNCERS:  # no runtime in this process has PAA_REDIS_URL: the everyday path ends here
        return
    announcer = _ANNOUNCERS.get(getattr(session.get_bind(), "pool", None))
    if announcer is None:
        return
    pending: dict[int, int] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = {}
        from sqlalchemy import event

        def committed(done: Session) -> None:
            found = dict(done.info.pop(_PENDING, None) or {})
            for user, newest in found.items():
                announcer.announce(user, newest)

        def rolled_back(done: Session) -> None:
            done.info.pop(_PENDING, None)

        event.listen(session, "after_commit", committed, once=True)
        event.listen(session, "after_rollback", rolled_back, once=True)
    pending[user_id] = max(event_id, pending.get(user_id, 0))
