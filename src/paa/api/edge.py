"""The outermost layer of every HTTP request: security headers on the answer, then, once it is sent, its metrics
and its access-log line.

One layer, not three: each layer of middleware wraps every message of every request in a call of its own, and
the three needed the same things (the status, the time, the route template, worked out once here).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paa.api import access_log, security_headers
from paa.api.metrics import Metrics, route_template

if TYPE_CHECKING:
    from fastapi import FastAPI


class Edge:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering
        tls = scope.get("scheme") == "https"

        async def answering(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                security_headers.add(message, scope, tls)
            await send(message)

        try:
            await self.app(scope, receive, answering)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe(scope["method"], route, status, seconds)
            if access_log.log.isEnabledFor(logging.INFO):
                access_log.log.info(access_log.access_line(scope, route, status, seconds))


def install(app: FastAPI, options: Any) -> None:
    """Add the layer, the app's metrics (`app.state.metrics`) and their `/metrics` route."""
    from paa.api.metrics import router

    app.state.metrics = metrics = Metrics(app.state.runtime)
    app.add_middleware(Edge, metrics=metrics)
    app.include_router(router)
