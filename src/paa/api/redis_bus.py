"""What several `paa serve` workers share through Redis (PAA_REDIS_URL): rate-limit buckets, the bell that wakes
every worker's change-feed reader, and presence/typing between sockets held by different workers.

The database stays the source of truth for events: a worker woken by the bell reads the change feed as its poll
does (so order, resume and nothing-lost are the feed's), and keeps a slow poll in case a bell is lost. Buckets are
hashes `paa:rate:<caller>` updated by one Lua script (atomic on the server), each expiring once it would be full
again, so idle callers cost nothing. Presence and typing are not stored: they cross workers on a pub/sub channel
only while sockets are open.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from paa.api.hub import Deliver, FeedPoller
from paa.core.feed_signal import FEED_CHANNEL
from paa.core.runtime import Runtime

LOG = logging.getLogger("paa.api.redis")
ECHO_CHANNEL = "paa:echo"  # {"origin", "user_id", "message"}: presence and typing from one worker's socket
SAFETY_POLL_SECONDS = 5.0  # the feed is read this often even with no bell: a lost one delays an event this long
RECONNECT_SECONDS = 1.0
TIMEOUT_SECONDS = 1.0
KEY_PREFIX = "paa:rate:"

# KEYS[1] the bucket; ARGV now (seconds, wall clock), rate (tokens per second), burst, ttl (seconds).
# Returns the seconds to wait as text ("0" when a token was spent): Lua numbers become integers otherwise.
TAKE_SCRIPT = """
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local found = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(found[1])
local updated = tonumber(found[2])
if tokens == nil or updated == nil then
  tokens = burst
  updated = now
end
local elapsed = now - updated
if elapsed < 0 then elapsed = 0 end
tokens = math.min(burst, tokens + elapsed * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
if now > updated then updated = now end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(updated))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return tostring(wait)
"""


def _client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)


class RedisBuckets:
    """A `BucketStore` on Redis: every worker spends from the same buckets.

    `now` must be a clock the workers share (the wall clock: `limits.install` gives it); a clock a little behind
    another only refills nothing for that moment. While Redis cannot be reached each worker counts in its own memory
    (a looser limit, never none) and says so in the log once a minute.
    """

    def __init__(self, url: str, fallback: Callable[[str, float, float, int], float]) -> None:
        self.url = url
        self._redis: Any = None
        self._script: Any = None
        self._fallback = fallback  # `take_now` of this worker's own buckets
        self._quiet_until = 0.0
        self._lock = threading.Lock()

    def _take(self, key: str, now: float, rate: float, burst: int) -> float:
        with self._lock:
            if self._script is None:
                self._redis = _client(self.url)
                self._script = self._redis.register_script(TAKE_SCRIPT)
        ttl = math.ceil(burst / rate) + 1  # by then the bucket is full again, which a missing key also means
        answer = self._script(keys=[KEY_PREFIX + key], args=[repr(now), repr(rate), burst, ttl])
        return float(answer)

    async def take(self, key: str, now: float, rate: float, burst: int) -> float:
        try:
            # the synchronous client in a thread: it is bound to no event loop (a test client runs several)
            return await asyncio.to_thread(self._take, key, now, rate, burst)
        except Exception as exc:  # Redis down or refusing: limit per worker rather than not at all
            if time.monotonic() >= self._quiet_until:
                self._quiet_until = time.monotonic() + 60
                LOG.warning("paa: rate limits in this worker's memory: Redis failed (%s)", exc)
            return self._fallback(key, now, rate, burst)


class RedisBus:
    """One worker's pub/sub: hears the feed's bell and other workers' presence/typing, and sends its own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.origin = uuid.uuid4().hex  # this worker: its own echoes come back on the channel and are skipped
        self._client: Any = None  # made by `listen` on the event loop it runs on
        self._sending: set[asyncio.Task[None]] = set()

    async def listen(self, wake: asyncio.Event, on_echo: Callable[[int, dict[str, Any]], None]) -> None:
        """Set `wake` on each bell and pass other workers' echoes to `on_echo`, reconnecting until cancelled."""
        import redis.asyncio

        failing = False  # a Redis that stays down is logged once, not at every retry
        while True:
            client = redis.asyncio.Redis.from_url(self.url, socket_connect_timeout=TIMEOUT_SECONDS)
            self._client = client
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(FEED_CHANNEL, ECHO_CHANNEL)
                    failing = False
                    wake.set()  # anything committed while not subscribed is read now
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        if message["channel"] in (FEED_CHANNEL, FEED_CHANNEL.encode()):
                            wake.set()
                        else:
                            self._heard_echo(message["data"], on_echo)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted or unreachable: the safety-net poll goes on meanwhile
                if not failing:
                    LOG.warning("paa: the Redis subscription failed (%s); retrying every %g s", exc, RECONNECT_SECONDS)
                failing = True
            finally:
                self._client = None
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(RECONNECT_SECONDS)

    def _heard_echo(self, raw: bytes | str, on_echo: Callable[[int, dict[str, Any]], None]) -> None:
        try:
            found = json.loads(raw)
            user_id, message = found["user_id"], found["message"]
        except (ValueError, KeyError, TypeError):
            return
        if found.get("origin") != self.origin and type(user_id) is int and isinstance(message, dict):
            on_echo(user_id, message)

    def echo(self, user_id: int, message: dict[str, Any]) -> None:
        """Send presence/typing to the other workers' sockets of the user (in the background; lost if Redis is)."""
        client = self._client
        if client is None:
            return
        text = json.dumps({"origin": self.origin, "user_id": user_id, "message": message})
        task = asyncio.get_running_loop().create_task(self._send(client, text))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, client: Any, text: str) -> None:
        try:
            await client.publish(ECHO_CHANNEL, text)
        except Exception as exc:
            LOG.warning("paa: cannot pass presence to the other workers (%s)", exc)


class RedisFeed(FeedPoller):
    """A FeedSource that reads the feed when Redis rings (and every SAFETY_POLL_SECONDS regardless)."""

    def __init__(
        self,
        runtime: Runtime,
        bus: RedisBus,
        on_echo: Callable[[int, dict[str, Any]], None],
        interval: float = SAFETY_POLL_SECONDS,
    ) -> None:
        super().__init__(runtime, interval)
        self.bus = bus
        self.on_echo = on_echo
        self._wake = asyncio.Event()

    async def follow(self, deliver: Deliver) -> None:
        listener = asyncio.create_task(self.bus.listen(self._wake, self.on_echo), name="paa-redis")
        try:
            await super().follow(deliver)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.interval)
        self._wake.clear()  # before the next read: a bell during it rings again
