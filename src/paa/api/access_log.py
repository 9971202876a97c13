"""The access log: one JSON line per request on the `paa.api.access` logger.

A line holds the method, the route template (`<unmatched>` when no route matched), the status, the duration, the
user the token proved and the client's address. Never a path as typed, a header, a query string or a body, where
tokens travel (a client may put one anywhere); the line goes through `paa.redact` as well, should anything slip in.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import Scope

from paa.api.limits import client_address
from paa.redact import redact

log = logging.getLogger("paa.api.access")


def access_line(scope: Scope, route: str, status: int, seconds: float) -> str:
    """The log line of one answered request (`route`: its template, paa.api.metrics.route_template); written by
    paa.api.edge."""
    caller = scope.get("state", {}).get("caller")
    entry: dict[str, Any] = {
        "method": scope.get("method", "WEBSOCKET" if scope["type"] == "websocket" else ""),
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "user_id": getattr(caller, "user_id", None),
        "client": client_address(scope),
    }
    return redact(json.dumps(entry, separators=(",", ":")))


def to_stderr() -> None:
    """Write the access log's lines, as they are, on stderr (`paa serve`; tests read the logger instead)."""
    import sys

    if any(getattr(handler, "paa_access", False) for handler in log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.paa_access = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # one line per request, not a second copy through the root logger
