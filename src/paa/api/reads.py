"""Short reads on SQLite run on the event loop, not in the thread pool (`short_read`).

A sync route runs in anyio's thread pool: the hand-off there and back (a condition variable, a worker thread
waking, the GIL passed twice) cost a `GET /api/v1/habits` about as much server CPU as the route's own reading
(bench/api.py, docs/performance.md "HTTP API"). A read of a local SQLite file in WAL mode never waits for a
writer, so a read whose work is bounded (one user's rows, a page at most, no network) blocks the loop for less
than that hand-off costs. Everything else stays in the pool: PostgreSQL (a network round trip), writes (they
wait for SQLite's write lock), and reads that can run long (analytics, exports, searches, whole histories),
which would hold up every other request and the WebSocket's heartbeats (paa.api.events_ws).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi.concurrency import run_in_threadpool

from paa.api.caller import Api
from paa.core.runtime import Runtime

R = TypeVar("R")


def _runtime_parameter(route: Callable[..., Any]) -> tuple[str, bool]:
    """The route's parameter that leads to the runtime: (its name, whether it is the `Runtime` itself)."""
    for name, hint in typing.get_type_hints(route, include_extras=True).items():
        base = typing.get_args(hint)[0] if typing.get_origin(hint) is typing.Annotated else hint
        if base is Api or base is Runtime:
            return name, base is Runtime
    raise TypeError(f"{route.__qualname__}: a short read takes the request's Api or Runtime")


def on_loop(runtime: Runtime) -> bool:
    """Whether a short read of `runtime`'s database may run on the event loop: only on SQLite."""
    return runtime.engine.dialect.name == "sqlite"


def short_read(route: Callable[..., R]) -> Callable[..., Awaitable[R]]:
    """Mark a sync GET route as a short read: on SQLite it runs on the event loop, elsewhere in the thread pool.

    Only for bounded reads (see the module's docstring). FastAPI sees the route's own signature (the wrapper
    keeps it through `__wrapped__`), so parameters, dependencies and the OpenAPI schema are unchanged."""
    name, is_runtime = _runtime_parameter(route)

    @functools.wraps(route)
    async def endpoint(**values: Any) -> R:
        given = values[name]
        runtime: Runtime = given if is_runtime else given.runtime
        if on_loop(runtime):
            return route(**values)
        return await run_in_threadpool(route, **values)

    return endpoint
