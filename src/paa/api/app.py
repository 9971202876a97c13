"""The FastAPI application: routers per area under `/api/v1`, problem+json errors, one runtime per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI

from paa.api import problems
from paa.core.runtime import Runtime

PREFIX = "/api/v1"


@dataclass(frozen=True)
class ServerOptions:
    """How this server was started (`paa serve` flags and the `server.*` settings)."""

    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1_000_000
    workers: int = 1
    extra: dict[str, object] = field(default_factory=dict)


def create_app(runtime: Runtime, options: ServerOptions | None = None) -> FastAPI:
    """The app serving `runtime`'s database; the caller owns the runtime and closes it after the server stops."""
    from paa import __version__
    from paa.api.routes import analytics, auth, chat, checkins, habits, health, memory, reminders, users

    app = FastAPI(
        title="paa",
        version=__version__,
        summary="Habits, daily check-ins, analytics, reminders and a chat with Claude, over HTTP.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.state.options = options or ServerOptions()
    problems.install(app)
    app.include_router(health.router)
    for module in (auth, habits, users, chat, checkins, analytics, reminders, memory):
        app.include_router(module.router, prefix=PREFIX)
    from paa.api import events_ws

    app.include_router(events_ws.router, prefix=PREFIX)
    return app
