"""A fake OAuth authorization server on 127.0.0.1: the device flow (RFC 8628) and a userinfo endpoint.

`FakeOAuth.token_script` lists what the token endpoint answers to each poll, e.g. ["authorization_pending",
"slow_down", "ok"]; every request is recorded so tests can check what paa sent.

paa reaches GitHub and Google only at their real https addresses. `FakeOAuth.transport()` is an HTTP transport
that answers those addresses from this server, and `stand_in` hands it to `paa auth login` (the CLI's
`provider_http`): a test-only path no environment variable opens.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    import pytest

DEVICE_CODE = "dev-code-3f9a"
ACCESS_TOKEN = "gho_provider_token_never_stored_8c1e"
# The providers' real endpoints, each answered by one path of the fake server.
ROUTES = {
    "https://github.com/login/device/code": "/device/code",
    "https://github.com/login/oauth/access_token": "/token",
    "https://api.github.com/user": "/user",
    "https://api.github.com/user/emails": "/user/emails",
    "https://oauth2.googleapis.com/device/code": "/device/code",
    "https://oauth2.googleapis.com/token": "/token",
    "https://openidconnect.googleapis.com/v1/userinfo": "/user",
}
Http = Callable[[str, str, Mapping[str, str], bytes | None], tuple[int, bytes]]


@dataclass
class FakeOAuth:
    url: str = ""
    expires_in: int = 900
    verification_uri: str = "https://github.com/login/device"
    token_script: list[str] = field(default_factory=lambda: ["authorization_pending", "slow_down", "ok"])
    user: dict[str, Any] = field(
        default_factory=lambda: {"id": 4242, "login": "octo-alice", "name": "Alice Octo", "email": None}
    )
    emails: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"email": "old@example.org", "primary": False, "verified": True},
            {"email": "alice@example.org", "primary": True, "verified": True},
        ]
    )
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    reached: list[str] = field(default_factory=list)  # the real addresses paa asked the transport for

    def env(self, provider: str = "github") -> dict[str, str]:
        """The variables that once pointed paa at any server (an attacker's, in tests/security); now only the
        client id and secret among them are read."""
        prefix = f"PAA_OAUTH_{provider.upper()}_"
        return {
            prefix + "CLIENT_ID": "paa-test-client",
            prefix + "DEVICE_URL": f"{self.url}/device/code",
            prefix + "TOKEN_URL": f"{self.url}/token",
            prefix + "USERINFO_URL": f"{self.url}/user",
            prefix + "EMAILS_URL": f"{self.url}/user/emails",
            **({prefix + "CLIENT_SECRET": "google-installed-app-secret"} if provider == "google" else {}),
        }

    def form(self, path: str) -> list[dict[str, Any]]:
        return [data for method, seen, data in self.requests if seen == path and method == "POST"]

    def transport(self) -> Http:
        """An HTTP transport for paa's oauth functions that answers the providers' real addresses from here."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        def http(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> tuple[int, bytes]:
            path = ROUTES.get(url)
            if path is None:
                raise AssertionError(f"paa asked for {url!r}, which is no provider's endpoint")
            self.reached.append(url)
            request = urllib.request.Request(self.url + path, data=body, method=method, headers=dict(headers))
            try:
                with opener.open(request, timeout=10) as response:
                    return int(response.status), response.read()
            except urllib.error.HTTPError as exc:
                return int(exc.code), exc.read()

        return http


def stand_in(monkeypatch: pytest.MonkeyPatch, fake: FakeOAuth) -> FakeOAuth:
    """Make `fake` the GitHub and Google that `paa auth login --github/--google` reaches, for one test."""
    monkeypatch.setattr("paa.cli.auth.provider_http", fake.transport, raising=False)
    return fake


def _handler(fake: FakeOAuth) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            return None

        def _send(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form: dict[str, str | None] = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            form["_accept"] = self.headers.get("Accept")
            fake.requests.append(("POST", self.path, form))
            if form.get("client_id") != "paa-test-client":
                self._send(401, {"error": "invalid_client"})
            elif self.path == "/device/code":
                self._send(200, {"device_code": DEVICE_CODE, "user_code": "WDJB-MJHT", "expires_in": fake.expires_in,
                                 "verification_uri": fake.verification_uri, "interval": 1})  # fmt: skip
            elif self.path == "/token":
                if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code":
                    self._send(400, {"error": "unsupported_grant_type"})
                elif form.get("device_code") != DEVICE_CODE:
                    self._send(400, {"error": "invalid_grant"})
                else:
                    step = fake.token_script.pop(0) if fake.token_script else "expired_token"
                    if step == "ok":
                        self._send(200, {"access_token": ACCESS_TOKEN, "token_type": "bearer", "scope": "read:user"})
                    else:
                        self._send(400, {"error": step})
            else:
                self._send(404, {"error": "not_found"})

        def do_GET(self) -> None:
            fake.requests.append(("GET", self.path, {"authorization": self.headers.get("Authorization")}))
            if self.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
                self._send(401, {"message": "Bad credentials"})
            elif self.path == "/user":
                self._send(200, fake.user)
            elif self.path == "/user/emails":
                self._send(200, fake.emails)
            else:
                self._send(404, {"message": "Not Found"})

    return Handler


@contextmanager
def serve() -> Iterator[FakeOAuth]:
    """Run the fake server on a free port of 127.0.0.1 for the length of the block."""
    fake = FakeOAuth()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
