"""Logging in with GitHub or Google: the OAuth 2.0 device authorization grant (RFC 8628), which suits a terminal.

1. `start_device_flow` asks the provider for a device code and a short user code.
2. The person opens the verification page in any browser and types the user code.
3. `device_login_step` asks the token endpoint once whether the person approved (or denied, or the code expired)
   and, once approved, `fetch_identity` reads who they are (a stable subject id, their login and a verified email);
   `wait_for_identity` repeats it every `interval` seconds for a terminal, slowing down when told to.
4. `paa.core.accounts.identities.sign_in_with_identity` links that identity to an account and starts a session.

Only the identity is kept; the provider's access token is dropped once it has been used.

The identity is proven, not asserted: paa asks only the provider's real endpoints (fixed here, never read from
the environment or config.toml), only over https, and checks the certificate against the system's trust store
alone (`SSL_CERT_FILE` and `SSL_CERT_DIR`, which whoever runs paa controls, are ignored). The client id, and
Google's client secret, are install-wide settings (`oauth.github.client_id`, ...): they name paa's registration
with the provider, never where it is. Tests hand a fake provider in through the `http` parameter.
"""

from __future__ import annotations

import json
import os
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from paa.errors import AuthError, ConfigError, InvalidInput, PaaError

if TYPE_CHECKING:
    from paa.config import Settings

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TIMEOUT = 15.0
MAX_BODY = 1_000_000
SLOW_DOWN_STEP = 5  # seconds added to the interval on `slow_down` (RFC 8628, section 3.5)


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
    raise AuthError(f"{what} must be an https:// URL", hint=f"got {url[:80]!r}")


CLIENT_SETTINGS = {"github": ("oauth_github_client_id", None),
                   "google": ("oauth_google_client_id", "oauth_google_client_secret")}  # fmt: skip


def provider_for(name: str, settings: Settings) -> Provider:
    """A provider's real endpoints, with paa's client id (and secret) from the install-wide settings."""
    key = name.strip().lower()
    base = DEFAULTS.get(key)
    if base is None:
        raise InvalidInput(f"unknown provider {name[:20]!r}", hint=f"choose from: {', '.join(DEFAULTS)}")
    id_field, secret_field = CLIENT_SETTINGS[key]
    client_id = getattr(settings, id_field)
    if not client_id:
        dotted = f"oauth.{key}.client_id"
        raise ConfigError(
            f"no OAuth client id for {base.title}",
            hint=f"register paa as an OAuth app with {base.title}, then (as an admin) `paa config set {dotted} ID` "
            f"or set PAA_OAUTH_{key.upper()}_CLIENT_ID (see docs/accounts.md)",
        )
    secret = getattr(settings, secret_field) if secret_field else None
    return replace(base, client_id=client_id.strip(), client_secret=secret or None)


def configured_providers(settings: Settings) -> list[Provider]:
    """The providers this install has a client id for: the ones a sign-in page offers."""
    found = []
    for name in DEFAULTS:
        try:
            found.append(provider_for(name, settings))
        except ConfigError:
            continue
    return found


def _tls_context() -> ssl.SSLContext:
    """Certificates checked against the system's trust store, as compiled in (or certifi's), never the environment's."""
    defaults = ssl.get_default_verify_paths()
    cafile = defaults.openssl_cafile if os.path.isfile(defaults.openssl_cafile) else None
    capath = defaults.openssl_capath if os.path.isdir(defaults.openssl_capath) else None
    if cafile is None and capath is None:
        try:
            import certifi
        except ImportError:
            raise ConfigError(
                "no trusted certificates found to check the provider's with",
                hint="install your system's CA certificates (or the certifi package)",
            ) from None
        cafile = certifi.where()
    context = ssl.create_default_context(cafile=cafile, capath=capath)  # verifies the chain and the host name
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def https_transport(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> tuple[int, bytes]:
    """One HTTPS request to a provider, its certificate verified; an HTTP error status is returned, not raised."""
    import urllib.error
    import urllib.request

    _check_url(url, "a provider's endpoint")

    class HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, hdrs: Any, newurl: str) -> Any:
            _check_url(newurl, "a provider's redirect")
            return super().redirect_request(req, fp, code, msg, hdrs, newurl)

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=_tls_context()), HttpsOnlyRedirects)
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return int(response.status), response.read(MAX_BODY)
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(MAX_BODY)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ssl.SSLCertVerificationError):
            host = urlsplit(url).hostname
            trust = "paa trusts the system's certificate authorities only"
            raise AuthError(
                f"{host} showed a certificate paa does not trust: {reason.verify_message}", hint=trust
            ) from None
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


def start_device_flow(provider: Provider, *, http: Http = https_transport) -> DeviceCode:
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
    if complete is not None:
        _check_url(complete, "the verification page")
    try:
        expires_in = max(1, min(int(data.get("expires_in") or 900), 3600))
        interval = max(1, min(int(data.get("interval") or 5), 60))
    except (TypeError, ValueError):
        expires_in, interval = 900, 5
    return DeviceCode(device_code, user_code, uri, complete, expires_in, interval)


@dataclass(frozen=True)
class Poll:
    """One answer of the token endpoint: `approved` with the access token, `pending` (ask again after `interval`
    seconds, which `slow_down` lengthens), `declined` or `expired`."""

    state: Literal["approved", "pending", "declined", "expired"]
    interval: int
    access_token: str | None = field(default=None, repr=False)


def poll_token(provider: Provider, device_code: str, interval: int, *, http: Http = https_transport) -> Poll:
    """Ask the token endpoint once whether the person approved, for a client that waits between asks itself (the
    terminal's loop below, or the browser app's page); any other refusal is an AuthError."""
    form = {**_client(provider), "device_code": device_code, "grant_type": DEVICE_GRANT}
    status, data = _post(http, provider.token_url, form)
    token = _text(data, "access_token", 8192)
    if status == 200 and token:
        return Poll("approved", interval, token)
    error = _text(data, "error", 100)
    if error == "authorization_pending":
        return Poll("pending", interval)
    if error == "slow_down":
        return Poll("pending", min(interval + SLOW_DOWN_STEP, 60))
    if error == "access_denied":
        return Poll("declined", interval)
    if error == "expired_token":
        return Poll("expired", interval)
    raise AuthError(f"{provider.title} refused the login: {error or f'HTTP {status}'}")


class DeviceLoginEnded(AuthError):
    """The person declined the code, or it expired unapproved: this device login is over, and a new one must start.
    Its words are the same wherever the login was started (a terminal, the browser app)."""

    def __init__(self, provider: Provider, state: Literal["declined", "expired"]) -> None:
        what = "was declined" if state == "declined" else "expired before it was approved"
        super().__init__(f"the {provider.title} sign-in {what}", hint="start the sign-in again")
        self.state = state


@dataclass(frozen=True)
class DeviceStep:
    """One ask of a device login: `identity` once the person approved (who the provider vouches for), else None and
    the `interval` to wait before asking again."""

    interval: int
    identity: Identity | None = None


def device_login_step(
    provider: Provider, device_code: str, interval: int, *, http: Http = https_transport
) -> DeviceStep:
    """Ask once whether the person approved and, when they did, who they are (the provider's access token is used
    for that and dropped). A declined or expired code raises DeviceLoginEnded, any other refusal an AuthError.
    Both interfaces run their device login through this: the terminal waits between asks (`wait_for_identity`), the
    browser app's page does."""
    answer = poll_token(provider, device_code, interval, http=http)
    if answer.state == "pending":
        return DeviceStep(answer.interval)
    if answer.state != "approved" or answer.access_token is None:
        raise DeviceLoginEnded(provider, "declined" if answer.state == "declined" else "expired")
    return DeviceStep(answer.interval, fetch_identity(provider, answer.access_token, http=http))


def wait_for_identity(
    provider: Provider, device: DeviceCode, *, http: Http = https_transport, sleep: Sleep | None = None
) -> Identity:
    """Ask every `interval` seconds (longer when told to slow down) until the person approves; who they are then.
    A code not approved within its lifetime ends the login as the provider's `expired_token` would."""
    sleep = sleep or time.sleep
    interval = device.interval
    waited = 0.0
    while waited < device.expires_in:
        sleep(interval)
        waited += interval
        step = device_login_step(provider, device.device_code, interval, http=http)
        if step.identity is not None:
            return step.identity
        interval = step.interval
    raise DeviceLoginEnded(provider, "expired")


def _get(http: Http, url: str, access_token: str) -> Any:
    headers = {"Accept": "application/json", "Authorization": f"Bearer {access_token}", "User-Agent": "paa"}
    status, body = http("GET", url, headers, None)
    if status != 200:
        raise AuthError(f"{urlsplit(url).hostname} would not say who you are (HTTP {status})")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise AuthError(f"{urlsplit(url).hostname} answered with something that is not JSON") from None


def fetch_identity(provider: Provider, access_token: str, *, http: Http = https_transport) -> Identity:
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
