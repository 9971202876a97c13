"""ETags on reads: a GET answered before gets 304 while nothing the answer depends on has changed.

An answer depends on who asks, what they asked (path and query), the day it is for them (their zone and day-start
hour) and their data. Every committed write to a user's data, from any process (the CLI, the daemon, another
worker), adds a row to the change feed, so the newest feed id of the user stands for "their data": the tag is a
hash of those four and the server's version. The route's own read transaction notes the feed id and the day
(`paa.api.caller.Api.read`, before it reads any data), so the tag costs one indexed statement and no transaction
of its own; a write landing meanwhile can only give newer data an older tag (the client asks again and gets a new
one), never keep an old answer under a new tag. Account routes (logins, tokens, profile kept by the account
layer) leave no feed rows, so they are never cached, nor is a route that reads nothing through `Api.read`. A fresh
copy still runs the route (so metrics and the access log name it); only its body is dropped for the 304.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paa.api.caller import DATA_VERSION, WANTS_VERSION
from paa.api.limits import identify
from paa.core.accounts.bearer import Caller, Claim

if TYPE_CHECKING:
    from fastapi import FastAPI


API = "/api/v1"  # paa.api.app.PREFIX (not imported: app.py imports this module)
ACCOUNT_PATHS = (f"{API}/auth", f"{API}/users")  # kept by the account layer, which leaves no feed rows
REVALIDATE = "private, no-cache"  # keep it, but ask every time (the 304 is cheap); never shared with another user


def tag_for(caller: Caller | Claim, target: str, version: tuple[int, date]) -> str:
    """The tag of `target` (path and query) as `caller` sees it at `version` (newest feed id, their habit day)."""
    from paa import __version__

    latest, today = version
    parts = (__version__, str(caller.user_id), target, today.isoformat(), str(latest))
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def matches(if_none_match: str, tag: str) -> bool:
    """Whether an If-None-Match header names `tag` (weak comparison, as RFC 9110 asks for it)."""
    wanted = tag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


class ETags:
    def __init__(self, app: ASGIApp, *, prefix: str, uncached: tuple[str, ...]) -> None:
        self.app = app
        self.prefix = prefix
        self.uncached = uncached

    def _cacheable(self, scope: Scope) -> bool:
        if scope["type"] != "http":
            return False
        path: str = scope["path"]
        return (
            scope["method"] in ("GET", "HEAD")
            and path.startswith(self.prefix + "/")
            and not path.startswith(self.uncached)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = await identify(scope) if self._cacheable(scope) else None
        if caller is None or "read" not in caller.scopes:
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        target = scope["path"] + (f"?{query}" if query else "")
        state: dict[str, Any] = scope.setdefault("state", {})
        state[WANTS_VERSION] = True
        # The route runs even when the client's copy is fresh: it is routed then, so the metrics and the access
        # log name its template; only its body is dropped for the 304.
        not_modified = False

        async def tagged(message: Message) -> None:
            nonlocal not_modified
            if message["type"] == "http.response.start" and message["status"] == 200:
                answer = MutableHeaders(scope=message)
                version = state.get(DATA_VERSION)
                if (
                    version is None
                    or "etag" in answer
                    or answer.get("content-type", "").startswith("text/event-stream")
                ):
                    await send(message)
                    return
                tag = tag_for(caller, target, version)
                fresh = matches(Headers(scope=scope).get("if-none-match", ""), tag)
                answer["ETag"] = tag
                answer["Cache-Control"] = REVALIDATE
                if fresh:
                    not_modified = True
                    del answer["content-length"]
                    del answer["content-type"]
                    message["status"] = 304
            elif message["type"] == "http.response.body" and not_modified:
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, tagged)


def install(app: FastAPI, options: Any) -> None:
    """Add the ETag layer; `options` are the app's ServerOptions (none of them concern it)."""
    app.add_middleware(ETags, prefix=API, uncached=ACCOUNT_PATHS)
