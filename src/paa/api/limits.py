"""Per-caller rate limits (a token bucket each) and the largest request body, as ASGI middleware.

A caller is the user a valid bearer token proves, whichever token or device they use; a request without one
(logging in, registering) is counted against its client address. Buckets live behind `BucketStore`, so a shared
store (Redis, for several workers) can take the in-process one's place. Health checks and metrics are not limited:
a supervisor probing a busy server must still get its answer.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paa.api.metrics import ANSWERED_BY
from paa.api.problems import problem
from paa.core.accounts.bearer import Caller, Claim, ProvenTokens

if TYPE_CHECKING:
    from fastapi import FastAPI


UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/", "/sw.js"})
# The browser app's own files (paa.api.web) are static and hold nothing of anyone's: a first visit fetches each
# module, and the service worker fetches them all again to keep a copy, which would spend an address's burst. A
# name under it that is no file (404) is counted all the same (RateLimit._app_file).
UNLIMITED_PREFIX = "/app/"


class BucketStore(Protocol):
    """Where token buckets are kept; `take` must be atomic per key (a shared store does it server-side, and awaits
    it without blocking the event loop)."""

    async def take(self, key: str, now: float, rate: float, burst: int) -> float:
        """Spend one token of `key`'s bucket (refilled at `rate` per second up to `burst`); return 0 when one was
        there, else the seconds until one will be (nothing is spent then)."""
        ...


@dataclass
class _Bucket:
    tokens: float
    updated: float


class MemoryBuckets:
    """Buckets in this process's memory: right for one worker; each worker of several would count on its own."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    async def take(self, key: str, now: float, rate: float, burst: int) -> float:
        return self.take_now(key, now, rate, burst)

    def take_now(self, key: str, now: float, rate: float, burst: int) -> float:
        """`take`, for callers outside an event loop."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._max_keys:
                    self._forget_full(now, rate, burst)
                bucket = self._buckets[key] = _Bucket(float(burst), now)
            bucket.tokens = min(float(burst), bucket.tokens + max(0.0, now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / rate

    def _forget_full(self, now: float, rate: float, burst: int) -> None:
        """Drop the buckets that have refilled (a new one starts full, so nothing is lost), keeping memory bounded."""
        full = [key for key, bucket in self._buckets.items() if bucket.tokens + (now - bucket.updated) * rate >= burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:  # a flood of fresh addresses: forget the oldest half
            for key in sorted(self._buckets, key=lambda name: self._buckets[name].updated)[: self._max_keys // 2]:
                del self._buckets[key]


def client_address(scope: Scope) -> str:
    """The peer's address (proxies' forwarding headers are not trusted)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


async def identify(scope: Scope) -> Caller | Claim | None:
    """Whom a request's bearer token stands for, kept in the request's state for the route; None without a token
    or with a refused one (the route answers 401 for it).

    A token this process proved before gives its `Claim` at no cost (who it stood for, its scopes, not expired):
    the route proves it again where it acts, in its own transaction, so a revoked one is refused there. Only its
    first use is proved here, in full (the route then does not check it again)."""
    from paa.api.caller import CLAIM, prove

    state: dict[str, Any] = scope.setdefault("state", {})
    known = state.get("caller") or state.get(CLAIM)
    if known is not None:
        return known  # type: ignore[no-any-return]
    token = _bearer(scope)
    if token is None:
        return None
    runtime = scope["app"].state.runtime
    claim = runtime.service(ProvenTokens).claim(token, runtime.security_clock.now())
    if claim is not None:
        state[CLAIM] = claim
        return claim  # type: ignore[no-any-return]
    try:
        caller = await prove(runtime, token)
    except Exception:  # refused, or the database failed: the route checks the token again and answers for it
        return None
    state["caller"] = caller
    return caller


class RateLimit:
    """Answer 429 with Retry-After to a caller whose bucket is empty."""

    def __init__(
        self, app: ASGIApp, *, per_minute: int, burst: int, store: BucketStore, clock: Callable[[], float]
    ) -> None:
        self.app = app
        self.rate = per_minute / 60.0
        self.burst = burst
        self.store = store
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(UNLIMITED_PREFIX):
            await self._app_file(scope, receive, send)
            return
        wait = await self._take(scope)
        if wait > 0:
            await self._refuse(wait, scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _take(self, scope: Scope) -> float:
        """Spend one of the caller's tokens (the user a bearer token proves, else the address): 0, or the wait."""
        caller = await identify(scope)
        key = f"user:{caller.user_id}" if caller is not None else f"address:{client_address(scope)}"
        return await self.store.take(key, self.clock(), self.rate, self.burst)

    async def _refuse(self, wait: float, scope: Scope, receive: Receive, send: Send) -> None:
        scope[ANSWERED_BY] = "<rate-limited>"
        seconds = max(1, math.ceil(wait))
        answer = problem(
            429, "too-many-requests", f"too many requests; try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )  # fmt: skip
        await answer(scope, receive, send)

    async def _app_file(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One of the browser app's files, free; but a name that is none of them (a 404) spends a token, so probing
        /app/ for names costs what any request costs, and past the burst is answered 429 instead."""
        refused = False

        async def counted(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and message["status"] == 404:
                wait = await self._take(scope)
                if wait > 0:
                    refused = True
                    await self._refuse(wait, scope, receive, send)
                    return
            if not refused:  # the 404's body, after the 429 took its place, is dropped
                await send(message)

        await self.app(scope, receive, counted)


class _TooLarge(Exception):
    """Raised into the app when the body it reads passes the limit."""


class BodyLimit:
    """Refuse a request body over `max_bytes` with 413: at once from Content-Length, or as soon as the streamed body
    passes it (a chunked upload has no length to check first)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}  # paths that take more (file uploads): path -> their limit

    def _refusal(self, limit: int) -> Any:
        return problem(413, "request-too-large", f"the request body is larger than {limit} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max(self.max_bytes, self.larger.get(scope.get("path", ""), 0))
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await problem(400, "bad-request", "Content-Length is not a number")(scope, receive, send)
                return
            if int(declared) > limit:
                scope[ANSWERED_BY] = "<too-large>"
                await self._refusal(limit)(scope, receive, send)
                return
        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to the broken read (a 400 or 500) gives way to the 413 below
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refusal(limit)(scope, receive, send)


UPLOAD_PATH = "/api/v1/chat/attachments"


def upload_max_bytes() -> int:
    """The largest body the upload route takes: a file for the chat may be larger than a JSON body (its own limit,
    docs/chat.md), with room for the form around it. A proxy in front of paa must let this much through."""
    from paa.core.attachments import READ_MAX_BYTES

    return READ_MAX_BYTES + 64 * 1024


def install(app: FastAPI, options: Any) -> None:
    """Add the body limit (inner) and the rate limit (outer) to `app`."""
    uploads = {UPLOAD_PATH: upload_max_bytes()}
    app.add_middleware(BodyLimit, max_bytes=options.max_body_bytes, larger=uploads)
    store = options.rate_store
    clock = options.rate_clock
    redis_url = app.state.runtime.environ.get("PAA_REDIS_URL")
    if store is None and redis_url:  # several workers spend from the same buckets
        from paa.api.redis_bus import RedisBuckets

        store = RedisBuckets(redis_url, fallback=MemoryBuckets().take_now)
        clock = clock or time.time  # a clock the workers share
    store = store or MemoryBuckets()
    clock = clock or time.monotonic
    app.add_middleware(
        RateLimit, per_minute=options.rate_per_minute, burst=options.rate_burst, store=store, clock=clock
    )
