"""The FastAPI application: routers per area under `/api/v1`, problem+json errors, one runtime per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from paa.api import problems
from paa.core.runtime import Runtime

if TYPE_CHECKING:
    from paa.api.limits import BucketStore
    from paa.config import Settings

PREFIX = "/api/v1"


@dataclass(frozen=True)
class ServerOptions:
    """How this server was started (`paa serve` flags and the `server.*` settings)."""

    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1_000_000
    workers: int = 1
    rate_per_minute: int = 120  # each caller's token bucket: refilled at this rate, holding `rate_burst`
    rate_burst: int = 60
    rate_store: BucketStore | None = None  # where the buckets live (None: this process's memory)
    rate_clock: Callable[[], float] | None = None  # seconds, monotonic (None: time.monotonic; tests give their own)
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, **given: Any) -> ServerOptions:
        """The `server.*` settings, with what `given` (the command's flags) says on top; flags' origins add to the
        configured ones."""
        configured = tuple(origin for origin in (settings.server_cors_origins or "").split(",") if origin)
        origins = tuple(dict.fromkeys((*configured, *given.pop("cors_origins", ()))))
        return cls(
            cors_origins=origins,
            max_body_bytes=settings.server_max_body_bytes,
            rate_per_minute=settings.server_rate_per_minute,
            rate_burst=settings.server_rate_burst,
            **given,
        )


def create_app(runtime: Runtime, options: ServerOptions | None = None) -> FastAPI:
    """The app serving `runtime`'s database; the caller owns the runtime and closes it after the server stops."""
    from paa import __version__
    from paa.api.routes import analytics, auth, browser, chat, checkins, habits, health, memory, reminders, users, voice

    app = FastAPI(
        title="paa",
        version=__version__,
        summary="Habits, daily check-ins, analytics, reminders and a chat with Claude, over HTTP.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    from paa.ai import queue

    queue.attach(runtime)  # with `queue.enabled`: a check-in's reading and new memories' embedding go to the workers
    app.state.options = options = options or ServerOptions.from_settings(runtime.loaded.settings)
    problems.install(app)
    from paa.api import caching, cors, edge, limits

    for layer in (caching, limits, cors, edge):  # innermost first
        layer.install(app, options)
    app.include_router(health.router)
    for module in (auth, browser, habits, users, checkins, analytics, reminders, memory, chat, voice):
        app.include_router(module.router, prefix=PREFIX)
    from paa.api import events_ws

    app.include_router(events_ws.router, prefix=PREFIX)
    from paa.api import web

    web.install(app, options)  # the browser app: GET / and /app/...
    problems.document(app, PREFIX)  # last: it reads every route
    return app
