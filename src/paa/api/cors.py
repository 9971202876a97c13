"""Cross-origin access for browsers: only the origins in `server.cors_origins` (none by default).

A preflight from an allowed origin for an allowed method and headers gets 204 and the Access-Control headers; any
other preflight gets a 403 problem without them, so the browser does not send the request. A request from an
allowed origin gets Access-Control-Allow-Origin (and may read ETag and Retry-After); from another, nothing extra,
so the browser keeps the answer from the page. Credentials are bearer tokens set by the page, never cookies, so
credentialed CORS is never allowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paa.api.metrics import ANSWERED_BY
from paa.api.problems import problem

if TYPE_CHECKING:
    from fastapi import FastAPI


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
HEADERS = ("authorization", "content-type", "if-none-match", "last-event-id")
EXPOSED = "ETag, Retry-After, Location"
PREFLIGHT_MAX_AGE = "600"


class Cors:
    def __init__(self, app: ASGIApp, *, origins: tuple[str, ...]) -> None:
        self.app = app
        self.origins = frozenset(origin.lower().rstrip("/") for origin in origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers", ())}
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = origin.lower().rstrip("/") in self.origins
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            scope[ANSWERED_BY] = "<cors-preflight>"
            await self._preflight(scope, receive, send, origin, allowed, headers)
            return
        if not allowed:
            await self.app(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = MutableHeaders(scope=message)
                answer["Access-Control-Allow-Origin"] = origin
                answer["Access-Control-Expose-Headers"] = EXPOSED
                answer.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, with_cors)

    async def _preflight(
        self, scope: Scope, receive: Receive, send: Send, origin: str, allowed: bool, headers: dict[str, str]
    ) -> None:
        method = headers["access-control-request-method"].strip().upper()
        asked = [name.strip().lower() for name in headers.get("access-control-request-headers", "").split(",")]
        unknown = [name for name in asked if name and name not in HEADERS]
        if not allowed or method not in METHODS or unknown:
            why = "this origin may not call the API" if not allowed else f"{method or 'that method'} is not allowed"
            if allowed and unknown:
                why = f"the header {unknown[0]} is not allowed"
            await problem(403, "cors-refused", why, headers={"Vary": "Origin"})(scope, receive, send)
            return
        answer = Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ", ".join(METHODS),
                "Access-Control-Allow-Headers": ", ".join(HEADERS),
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
                "Vary": "Origin",
            },
        )
        await answer(scope, receive, send)


def install(app: FastAPI, options: Any) -> None:
    app.add_middleware(Cors, origins=options.cors_origins)
