"""The app as uvicorn's worker processes build it: `uvicorn --factory paa.api.main:app_factory`.

With several workers uvicorn starts each one from an import string, so the options `paa serve` was given travel in
the environment (`PAA_SERVE_OPTIONS`, JSON); each worker opens its own runtime (a server's: it acts only as the
callers its requests prove) and closes it when the worker stops.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from paa.api.app import ServerOptions, create_app

OPTIONS_VARIABLE = "PAA_SERVE_OPTIONS"
CHAT_GRACE_SECONDS = 10.0  # for chat turns on closed sockets to store what arrived


def options_to_environ(options: ServerOptions) -> str:
    """The options as the text of PAA_SERVE_OPTIONS."""
    return json.dumps({"cors_origins": list(options.cors_origins), "max_body_bytes": options.max_body_bytes,
                       "workers": options.workers, "rate_per_minute": options.rate_per_minute,
                       "rate_burst": options.rate_burst})  # fmt: skip


def options_from_environ(environ: Mapping[str, str]) -> ServerOptions:
    """The options `paa serve` passed down; the defaults when it passed none (uvicorn started by hand)."""
    text = environ.get(OPTIONS_VARIABLE)
    if not text:
        return ServerOptions()
    raw: dict[str, Any] = json.loads(text)
    return ServerOptions(
        cors_origins=tuple(str(origin) for origin in raw.get("cors_origins", ())),
        max_body_bytes=int(raw.get("max_body_bytes", ServerOptions.max_body_bytes)),
        workers=int(raw.get("workers", 1)),
        rate_per_minute=int(raw.get("rate_per_minute", ServerOptions.rate_per_minute)),
        rate_burst=int(raw.get("rate_burst", ServerOptions.rate_burst)),
    )


def app_factory() -> FastAPI:
    """One worker's app on a runtime of its own, read from this process's environment."""
    from paa.api import access_log
    from paa.core.runtime import Runtime

    access_log.to_stderr()
    runtime = Runtime.from_environ(os.environ, serves_callers=True)
    app = create_app(runtime, options_from_environ(os.environ))
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        from paa.ai import recall

        recall.warm_up_in_background(runtime, for_user=False)  # chat turns search by meaning once the model is in
        try:
            async with inner(application) as state:
                yield state
        finally:
            from paa.api.events_ws import finish_chat_turns

            finish_chat_turns(CHAT_GRACE_SECONDS)  # a reply cut by the stop is stored before the database closes
            runtime.close()

    app.router.lifespan_context = lifespan
    return app
