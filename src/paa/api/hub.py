"""Fan-out of the change feed to the WebSocket clients connected to this server process.

Every change to a user's data, from any process (a `paa habit log` in a terminal, the daemon's reminders, another
worker), is a row in the change feed (`paa.core.changes`). A `FeedSource` follows the feed and hands each new event
to the hub, which queues it for each socket of that event's user. One source runs per process, and only while at
least one socket is open. `FeedPoller` reads the database every POLL_SECONDS (one indexed query, whatever the
number of sockets). With PAA_REDIS_URL, `paa.api.redis_bus.RedisFeed` replaces it behind the same interface: it
reads the same feed when Redis announces a commit, so every worker wakes at once.

Presence and typing are not data: they go from one socket to the user's other sockets in this process, and through
the hub's `relay` (Redis pub/sub) to the sockets other workers hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel import Session

from paa.core.changes import FeedEvent, events_after, latest_id
from paa.core.runtime import Runtime

LOG = logging.getLogger("paa.api.hub")
POLL_SECONDS = 0.2
QUEUE_LIMIT = 1000  # messages waiting for one socket; a client that falls this far behind reconnects and resumes

Deliver = Callable[[int, FeedEvent], None]


class FeedSource(Protocol):
    """Where a server process hears of new events in the change feed."""

    async def start(self) -> int:
        """Begin following the feed from now; return the newest event id already there (not delivered)."""
        ...

    async def follow(self, deliver: Deliver) -> None:
        """Call `deliver(user_id, event)` for each event after the start, oldest first, until cancelled."""
        ...


class FeedPoller:
    """A FeedSource that reads the feed table: new rows since the last one seen, every `interval` seconds.

    It relies on ids becoming visible in order: SQLite gives that (one writer at a time), and on PostgreSQL
    `paa.core.changes.publish` orders the commits of the transactions that add events (an advisory lock), so a
    row is never committed behind a newer one that was already read.
    """

    def __init__(self, runtime: Runtime, interval: float = POLL_SECONDS) -> None:
        self.runtime = runtime
        self.interval = interval
        self.last_seen = 0

    def _latest(self) -> int:
        with Session(self.runtime.engine) as session:
            return latest_id(session)

    def _after(self, after: int) -> list[tuple[int, FeedEvent]]:
        with Session(self.runtime.engine) as session:
            return events_after(session, after)

    async def start(self) -> int:
        self.last_seen = await asyncio.to_thread(self._latest)
        return self.last_seen

    async def follow(self, deliver: Deliver) -> None:
        while True:
            try:
                found = await asyncio.to_thread(self._after, self.last_seen)
            except Exception:  # a database hiccup: keep following, sockets resume from their last id anyway
                LOG.exception("reading the change feed failed")
                found = []
            for user_id, event in found:
                self.last_seen = max(self.last_seen, event.id)
                deliver(user_id, event)
            if len(found) < 500:  # a full page means more are waiting: read on at once
                await self.pause()

    async def pause(self) -> None:
        """Wait before reading the feed again."""
        await asyncio.sleep(self.interval)


@dataclass(eq=False)
class Connection:
    """One open socket of one user, as the hub sees it: a queue of messages for it, and the last event id sent."""

    user_id: int
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    last_event_id: int = 0
    overflowed: bool = False

    def offer(self, message: dict[str, Any]) -> None:
        """Queue a message for the socket; a full queue marks it overflowed (its writer closes it)."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.get_nowait()
                self.queue.put_nowait({"type": "overflow"})


class Hub:
    """The sockets of this process by user, and the one task that follows the feed while any is open."""

    def __init__(
        self, make_source: Callable[[], FeedSource], relay: Callable[[int, dict[str, Any]], None] | None = None
    ) -> None:
        self.make_source = make_source
        self.relay = relay  # sends an echo to the other workers (Redis); None: this process is the only one
        self.connections: dict[int, set[Connection]] = {}
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.started_at_id = 0

    @property
    def count(self) -> int:
        return sum(len(found) for found in self.connections.values())

    async def attach(self, connection: Connection) -> None:
        """Start sending the feed's new events to `connection` (and start following the feed if nobody was)."""
        async with self._lock:
            self.connections.setdefault(connection.user_id, set()).add(connection)
            if self._task is None or self._task.done():
                source = self.make_source()
                self.started_at_id = await source.start()
                self._task = asyncio.create_task(source.follow(self.deliver), name="paa-feed")

    async def detach(self, connection: Connection) -> None:
        """Stop sending to `connection`; the last one to go stops the following."""
        async with self._lock:
            found = self.connections.get(connection.user_id)
            if found is not None:
                found.discard(connection)
                if not found:
                    del self.connections[connection.user_id]
            if not self.connections and self._task is not None:
                task, self._task = self._task, None
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def deliver(self, user_id: int, event: FeedEvent) -> None:
        """Queue a feed event for each of its user's sockets here."""
        message = event_message(event)
        for connection in self.connections.get(user_id, ()):
            connection.offer(message)

    def echo(self, sender: Connection, message: dict[str, Any]) -> int:
        """Pass a message from one socket to its user's other sockets here; how many it went to."""
        others = [found for found in self.connections.get(sender.user_id, ()) if found is not sender]
        for other in others:
            other.offer(message)
        if self.relay is not None:
            self.relay(sender.user_id, message)
        return len(others)

    def receive_echo(self, user_id: int, message: dict[str, Any]) -> None:
        """An echo another worker relayed: to each of the user's sockets here."""
        for connection in self.connections.get(user_id, ()):
            connection.offer(message)


def event_message(event: FeedEvent) -> dict[str, Any]:
    """A feed event as a client receives it: `{"type", "id", "data", "at"}`."""
    return event.to_json()
