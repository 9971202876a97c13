"""Headers every response carries: no sniffing, no referrer, no framing, a strict CSP for data, no caching of
answers (unless caching.py allowed a revalidated one), and HSTS when the server speaks TLS.

A header the route or an inner layer already set wins: the ETag layer's `Cache-Control: private, no-cache`,
an HTML page's own Content-Security-Policy.

The browser app's page (`GET /`, paa.api.web) gets APP_POLICY: it may load scripts, styles and images from this
server only, and connect (fetch, WebSocket) only to it; nothing inline runs, nothing frames it. Every other answer
keeps the policy it had: DATA_POLICY for anything but HTML, and the API docs' HTML its own.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Scope

ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),  # tokens and personal data must not stay in a browser's or a proxy's cache
)
# JSON loads nothing, runs nothing and may not be framed. HTML (the interactive API docs) is left to set its own.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
APP_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HSTS = "max-age=31536000"


def _app_page(scope: Scope) -> bool:
    """Whether this is one of the browser app's pages (everything outside the API's own prefix)."""
    path = str(scope.get("path", ""))
    return not path.startswith("/api/")


def add(message: Message, scope: Scope, tls: bool) -> None:
    """Add the headers to a response's `http.response.start` message (paa.api.edge sends every answer through it)."""
    headers = MutableHeaders(scope=message)
    for name, value in ALWAYS:
        headers.setdefault(name, value)
    if not headers.get("content-type", "").startswith("text/html"):
        headers.setdefault("Content-Security-Policy", DATA_POLICY)
    elif _app_page(scope):
        headers.setdefault("Content-Security-Policy", APP_POLICY)
    if tls:
        headers.setdefault("Strict-Transport-Security", HSTS)
