"""The browser app (paa.web) on the API's server: `GET /` is its page, `/app/...` its scripts and styles.

Both stay out of the OpenAPI schema (they are files, not API). The security-headers layer gives the page its own
Content-Security-Policy (scripts, styles and connections to this server only); see security_headers.py.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import TYPE_CHECKING, Any

from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from paa.api.metrics import ANSWERED_BY
from paa.web import ASSETS, INDEX

if TYPE_CHECKING:
    from fastapi import FastAPI

ASSET_PREFIX = "/app"
# Assets hold no personal data: a browser may keep them, but asks each time whether they changed (ETag, 304), so an
# upgraded paa is never run with an old script.
ASSET_CACHING = "no-cache"
WORKER = "sw.js"
# The service worker fetches the app's own files, and the API for the queued writes it sends on a Background Sync
# (sw.js), and imports the pages' offline.js (a module worker): this server only. Its own policy, since a worker's
# script brings it.
WORKER_POLICY = "default-src 'none'; script-src 'self'; connect-src 'self'"


@cache
def worker_script() -> str:
    """sw.js with PAA_SHELL defined before it: the files it keeps for opening offline, and a version made from their
    contents (a changed file makes a changed worker, which the browser installs, replacing the kept copy)."""
    files = sorted(path for path in ASSETS.iterdir() if path.is_file() and path.name != WORKER)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    shell = {"version": digest.hexdigest()[:16], "files": ["/", *(f"{ASSET_PREFIX}/{path.name}" for path in files)]}
    return f"const PAA_SHELL = {json.dumps(shell)};\n" + (ASSETS / WORKER).read_text(encoding="utf-8")


class Assets(StaticFiles):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A mount has no route template: name it, so /metrics and the access log count its files as one route.
        scope[ANSWERED_BY] = ASSET_PREFIX + "/{path}"
        await super().__call__(scope, receive, send)

    async def get_response(self, path: str, scope: Scope) -> Response:
        answer = await super().get_response(path, scope)
        answer.headers.setdefault("Cache-Control", ASSET_CACHING)
        return answer


def install(app: FastAPI, options: Any) -> None:
    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        # The page itself holds no data (it fetches it), but no-cache keeps it current across upgrades.
        return FileResponse(INDEX, media_type="text/html; charset=utf-8", headers={"Cache-Control": ASSET_CACHING})

    @app.get("/sw.js", include_in_schema=False)
    def service_worker() -> Response:
        # At the root, so its scope is the whole app (a worker under /app/ could not serve the page at /).
        headers = {"Cache-Control": ASSET_CACHING, "Content-Security-Policy": WORKER_POLICY}
        return Response(worker_script(), media_type="text/javascript; charset=utf-8", headers=headers)

    app.mount(ASSET_PREFIX, Assets(directory=ASSETS), name="web")
