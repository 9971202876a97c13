"""Logging in with GitHub or Google: the OAuth 2.0 device authorization grant (RFC 8628), which suits a terminal.

1. `start_device_flow` asks the provider for a device code and a short user code.
2. The person opens the verification page in any browser and types the user code.
3. `wait_for_token` polls the token endpoint every `interval` seconds, slowing down when told to, until the person
   approves (or denies, or the code expires).
4. `fetch_identity` reads who they are (a stable subject id, their login and a verified email).
5. `paa.core.accounts.identities.sign_in_with_identity` links that identity to an account and starts a session.

Only the identity is kept; the provider's access token is dropped once it has been used. Endpoints and the
client id come from the environment, so a self-hosted or test server can stand in:

    PAA_OAUTH_<PROVIDER>_CLIENT_ID, _CLIENT_SECRET, _DEVICE_URL, _TOKEN_URL, _USERINFO_URL, _EMAILS_URL, _SCOPE

A URL must be https, except on the loopback interface (a local test server).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from paa.errors import AuthError, ConfigError, InvalidInput, PaaError

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TIMEOUT = 15.0
MAX_BODY = 1_000_000
SLOW_DOWN_STEP = 5  # seconds added to the interval on `slow_down` (RFC 8628, section 3.5)
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class Provider:
    """An OAuth provider's endpoints and paa's client registration with it."""

    name: str
    title: str
    client_id: str
    device_url: str
    token_url: str
    userinfo_url: str
    scope: str
    emails_url: str | None = None
    client_secret: str | None = field(default=None, repr=False)


DEFAULTS: dict[str, Provider] = {
    "github": Provider(
        name="github", title="GitHub", client_id="",
        device_url="https://github.com/login/device/code",
        token_url="https://github.com/login/oauth/access_token",
        userinfo_url="https://api.github.com/user",
        emails_url="https://api.github.com/user/emails",
        scope="read:user user:email",
    ),
    "google": Provider(
        name="google", title="Google", client_id="",
        device_url="https://oauth2.googleapis.com/device/code",
        token_url="https://oauth2.googleapis.com/token",
        userinfo_url="https://openidconnect.googleapis.com/v1/userinfo",
        scope="openid email profile",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class DeviceCode:
    """What the person needs to approve paa, and what paa polls with."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int


@dataclass(frozen=True)
class Identity:
    """Who the provider says the person is."""

    provider: str
    subject: str
    login: str | None
    email: str | None
    email_verified: bool
    name: str | None


Http = Callable[[str, str, Mapping[str, str], bytes | None], tuple[int, bytes]]
Sleep = Callable[[float], None]


def _check_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return url
    raise ConfigError(f"{what} must be an https:// URL (http:// only on 127.0.0.1)", hint=f"got {url[:80]!r}")


def provider_from(name: str, environ: Mapping[str, str]) -> Provider:
    """A provider's settings: the defaults, with the PAA_OAUTH_<NAME>_* variables over them."""
    env = environ
    key = name.strip().lower()
    base = DEFAULTS.get(key)
    if base is None:
        raise InvalidInput(f"unknown provider {name[:20]!r}", hint=f"choose from: {', '.join(DEFAULTS)}")
    prefix = f"PAA_OAUTH_{key.upper()}_"
    overrides: dict[str, Any] = {}
    for field_name in ("client_id", "client_secret", "device_url", "token_url", "userinfo_url", "emails_url", "scope"):
        value = env.get(prefix + field_name.upper(), "").strip()
        if value:
            overrides[field_name] = value
    provider = replace(base, **overrides)
    if not provider.client_id:
        raise ConfigError(
            f"no OAuth client id for {provider.title}",
            hint=f"register paa as an OAuth app with {provider.title} and set {prefix}CLIENT_ID (see docs/accounts.md)",
        )
    for what, url in (("device URL", provider.device_url), ("token URL", provider.token_url),
                      ("userinfo URL", provider.userinfo_url), ("emails URL", provider.emails_url)):  # fmt: skip
        if url:
            _check_url(url, f"{provider.title} {what}")
    return provider


def urllib_http(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> tuple[int, bytes]:
    """One HTTP request with the standard library; an HTTP error status is returned, not raised."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
    try:
        with urllib.request.urlopen(
            request, timeout=TIMEOUT
        ) as response:  # the scheme was checked: https, or http on loopback
            return int(response.status), response.read(MAX_BODY)
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(MAX_BODY)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AuthError(f"cannot reach {urlsplit(url).hostname}: {reason}", hint="check the connection") from None


def _json(status: int, body: bytes, url: str) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise AuthError(f"{urlsplit(url).hostname} answered {status} with something that is not JSON") from None
    if not isinstance(data, dict):
        raise AuthError(f"{urlsplit(url).hostname} answered with an unexpected JSON value")
    return data


def _post(http: Http, url: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    from urllib.parse import urlencode

    headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded",
               "User-Agent": "paa"}  # fmt: skip
    status, body = http("POST", url, headers, urlencode(form).encode("ascii"))
    return status, _json(status, body, url)


def _client(provider: Provider) -> dict[str, str]:
    form = {"client_id": provider.client_id}
    if provider.client_secret:
        form["client_secret"] = provider.client_secret  # Google's device flow asks for it; it is not a secret there
    return form


def _text(data: Mapping[str, Any], key: str, limit: int = 2048) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) > limit:
        return None
    return value


def start_device_flow(provider: Provider, *, http: Http = urllib_http) -> DeviceCode:
    """Ask the provider for a device code and the user code the person types."""
    status, data = _post(http, provider.device_url, {**_client(provider), "scope": provider.scope})
    device_code = _text(data, "device_code")
    user_code = _text(data, "user_code", 64)
    uri = _text(data, "verification_uri") or _text(data, "verification_url")
    if status != 200 or not device_code or not user_code or not uri:
        error = _text(data, "error", 100) or f"HTTP {status}"
        raise AuthError(f"{provider.title} refused to start a device login: {error}",
                        hint="check the client id (and that device flow is enabled for the app)")  # fmt: skip
    _check_url(uri, "the verification page")
    complete = _text(data, "verification_uri_complete")
    try:
        expires_in = max(1, min(int(data.get("expires_in") or 900), 3600))
        interval = max(1, min(int(data.get("interval") or 5), 60))
    except (TypeError, ValueError):
        expires_in, interval = 900, 5
    return DeviceCode(device_code, user_code, uri, complete, expires_in, interval)


def wait_for_token(
    provider: Provider, device: DeviceCode, *, http: Http = urllib_http, sleep: Sleep | None = None
) -> str:
    """Poll until the person approves; return the provider's access token (for `fetch_identity` only)."""
    sleep = sleep or time.sleep
    interval = device.interval
    waited = 0.0
    form = {**_client(provider), "device_code": device.device_code, "grant_type": DEVICE_GRANT}
    while waited < device.expires_in:
        sleep(interval)
        waited += interval
        status, data = _post(http, provider.token_url, form)
        token = _text(data, "access_token", 8192)
        if status == 200 and token:
            return token
        error = _text(data, "error", 100)
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += SLOW_DOWN_STEP
            continue
        if error == "access_denied":
            raise AuthError(f"the login was declined on {provider.title}", hint="run the command again to retry")
        if error == "expired_token":
            break
        raise AuthError(f"{provider.title} refused the login: {error or f'HTTP {status}'}")
    raise AuthError(f"the {provider.title} code expired before it was approved", hint="run the command again")


def _get(http: Http, url: str, access_token: str) -> Any:
    headers = {"Accept": "application/json", "Authorization": f"Bearer {access_token}", "User-Agent": "paa"}
    status, body = http("GET", url, headers, None)
    if status != 200:
        raise AuthError(f"{urlsplit(url).hostname} would not say who you are (HTTP {status})")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise AuthError(f"{urlsplit(url).hostname} answered with something that is not JSON") from None


def fetch_identity(provider: Provider, access_token: str, *, http: Http = urllib_http) -> Identity:
    """Who the token belongs to: a stable subject (GitHub's numeric id, Google's `sub`), login and verified email."""
    data = _get(http, provider.userinfo_url, access_token)
    if not isinstance(data, dict):
        raise AuthError(f"{provider.title} answered with an unexpected identity")
    subject = _text(data, "sub") or _text(data, "id")
    if not subject:
        raise AuthError(f"{provider.title} did not give a user id")
    login = _text(data, "login", 100) or _text(data, "preferred_username", 100)
    name = _text(data, "name", 200)
    email = _text(data, "email", 254)
    verified = data.get("email_verified") is True
    if provider.emails_url and (email is None or not verified):
        email, verified = _primary_email(http, provider.emails_url, access_token, email)
    return Identity(provider.name, subject, login, email, verified, name)


def _primary_email(http: Http, url: str, access_token: str, fallback: str | None) -> tuple[str | None, bool]:
    """GitHub: the primary address and whether it is verified (the profile's email may be unset or unverified)."""
    try:
        items = _get(http, url, access_token)
    except PaaError:
        return fallback, False
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("primary") and isinstance(item.get("email"), str):
            return item["email"][:254], item.get("verified") is True
    return fallback, False
