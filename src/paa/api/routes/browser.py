"""`/auth/browser`: the browser app's login. The access token goes to the page, which keeps it in memory only; the
refresh token goes into a cookie the page cannot read (HttpOnly, SameSite=Strict, Secure over TLS, sent only to
these three routes). The tokens are core's (`paa.core.accounts.tokens`), exactly as for `/auth/login`.

Every POST here refuses a request without the `X-PAA-CSRF: 1` header, or from another site (an `Origin` other than
the server's own, `Sec-Fetch-Site: cross-site`): a page elsewhere cannot set that header without a CORS preflight,
which paa answers for no such header (cors.py), so it cannot spend or end the cookie's login. docs/security.md,
"The browser app", says why.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from paa.api.caller import RuntimeDep
from paa.api.problems import problem
from paa.api.routes.auth import Credentials, _source

router = APIRouter(prefix="/auth/browser", tags=["auth"])

COOKIE = "paa_refresh"
COOKIE_PATH = "/api/v1/auth/browser"
CSRF_HEADER = "x-paa-csrf"
CSRF_VALUE = "1"
REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid login in the cookie (or a wrong password)."},
    403: {"description": "Refused as a possible cross-site request: no `X-PAA-CSRF: 1` header, or another origin."},
}


# Declared so the schema (and docs/api.md) shows it; cross_site() reads the header itself.
CsrfHeader = Annotated[
    str | None,
    Header(alias="X-PAA-CSRF", description="Must be `1`: shows the request comes from paa's own page.", max_length=10),
]


class BrowserTokens(BaseModel):
    access_token: str = Field(description="Keep it in memory only; the refresh token is in the HttpOnly cookie.")
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds the access token is valid for.")


def cross_site(request: Request) -> str | None:
    """Why this request may come from another site's page, or None when it carries the proof it does not."""
    if request.headers.get(CSRF_HEADER) != CSRF_VALUE:
        return f"send the header `X-PAA-CSRF: {CSRF_VALUE}` (a page of another site cannot)"
    if request.headers.get("sec-fetch-site") == "cross-site":
        return "a page of another site sent this"
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/").partition("://")[2].lower() != own_host(request):
        return f"a page of another origin ({origin}) sent this"
    return None


def own_host(request: Request) -> str:
    """The host (and port) the request was sent to. The scheme is left out: behind a proxy that ends TLS the page's
    origin is https while this server hears http, and a page of another site cannot have this host anyway."""
    return (request.headers.get("host") or request.url.netloc).lower()


def _refused(reason: str) -> JSONResponse:
    return problem(403, "csrf-refused", reason)


def _with_cookie(request: Request, tokens: dict[str, Any]) -> JSONResponse:
    answer = JSONResponse({key: tokens[key] for key in ("access_token", "token_type", "expires_in")})
    from paa.core.accounts.tokens import REFRESH_TTL

    answer.set_cookie(
        COOKIE,
        tokens["refresh_token"],
        max_age=int(REFRESH_TTL.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",  # plain http only on loopback or with the server's own warning
    )
    return answer


def _forget_cookie(answer: Response, request: Request) -> None:
    answer.delete_cookie(
        COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )


@router.post(
    "/login",
    summary="Log the browser app in: the access token in the answer, the refresh token in an HttpOnly cookie",
    response_model=BrowserTokens,
    responses=REFUSALS,
)
def login(body: Credentials, request: Request, runtime: RuntimeDep, _csrf: CsrfHeader = None) -> Response:
    from paa.core.accounts.sessions import api_login

    if (reason := cross_site(request)) is not None:
        return _refused(reason)
    with runtime.auth(write=True) as actx:
        tokens = api_login(actx, body.username, body.password, source=_source(request), label="browser")
        return _with_cookie(request, tokens.to_json())


@router.post(
    "/refresh",
    summary="A new access token for the browser app, from its cookie (which is replaced)",
    response_model=BrowserTokens,
    responses=REFUSALS,
)
def refresh(request: Request, runtime: RuntimeDep, _csrf: CsrfHeader = None) -> Response:
    from paa.core.accounts.tokens import refresh_tokens
    from paa.errors import AuthError

    if (reason := cross_site(request)) is not None:
        return _refused(reason)
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise AuthError("this browser is not signed in", hint="sign in with your user name and password")
    with runtime.auth(write=True) as actx:
        return _with_cookie(request, refresh_tokens(actx.session, cookie, actx.secure_now()).to_json())


@router.post(
    "/logout",
    status_code=204,
    summary="Sign the browser app out: the cookie's login ends (its access tokens too) and the cookie is removed",
    responses={403: REFUSALS[403]},
)
def logout(request: Request, runtime: RuntimeDep, _csrf: CsrfHeader = None) -> Response:
    from paa.core.accounts.tokens import end_refresh_login

    if (reason := cross_site(request)) is not None:
        return _refused(reason)
    cookie = request.cookies.get(COOKIE)
    if cookie:
        with runtime.auth(write=True) as actx:
            end_refresh_login(actx.session, cookie, actx.secure_now())
    answer = Response(status_code=204)
    _forget_cookie(answer, request)
    return answer


# ---- GitHub / Google: the device flow (paa.core.accounts.oauth), driven by the page --------------------------------
# The page asks the server to start a device login, shows the code and the provider's page to approve it on, and
# then asks the server to poll, once per `interval`. The device code never reaches the page: it waits in a cookie
# like the refresh token's (HttpOnly, SameSite=Strict, these routes only), so any worker of the server can poll.

OAUTH_COOKIE = "paa_oauth"


def provider_http() -> Any:
    """How the server reaches GitHub and Google: https with a verified certificate (tests put a fake here)."""
    from paa.core.accounts.oauth import https_transport

    return https_transport


class Provider(BaseModel):
    name: str = Field(description="`github` or `google`: what /oauth/start takes.")
    title: str


class DeviceLogin(BaseModel):
    user_code: str = Field(description="The code the person types on the provider's page.")
    verification_uri: str = Field(description="The provider's page where the code is typed.")
    verification_uri_complete: str | None = Field(description="The same page with the code filled in, if given.")
    expires_in: int = Field(description="Seconds the code is valid for.")
    interval: int = Field(description="Seconds to wait between polls.")


class StartRequest(BaseModel):
    provider: str = Field(max_length=20, description="`github` or `google`, as /providers lists them.")


class PollRequest(BaseModel):
    interval: int = Field(5, ge=1, le=60, description="The interval the page waits now (a slow_down lengthens it).")


class Pending(BaseModel):
    state: str = Field("pending", description="Not approved yet: poll again after `interval` seconds.")
    interval: int


def _provider(name: str, runtime: Any) -> Any:
    from paa.core.accounts.oauth import configured_providers
    from paa.errors import NotFound

    for provider in configured_providers(runtime.loaded.settings):
        if provider.name == name:
            return provider
    raise NotFound(f"no sign-in with {name[:20]!r} on this server", hint="an admin sets oauth.<provider>.client_id")


@router.get("/providers", summary="The providers the sign-in page offers (those with a client id configured)")
def providers(runtime: RuntimeDep) -> list[Provider]:
    from paa.core.accounts.oauth import configured_providers

    return [Provider(name=found.name, title=found.title) for found in configured_providers(runtime.loaded.settings)]


@router.post(
    "/oauth/start",
    summary="Start signing the browser app in with GitHub or Google: the code to approve on the provider's page",
    response_model=DeviceLogin,
    responses={403: REFUSALS[403], 404: {"description": "That provider is not configured here."}},
)
def oauth_start(body: StartRequest, request: Request, runtime: RuntimeDep, _csrf: CsrfHeader = None) -> Response:
    from paa.core.accounts.oauth import start_device_flow

    if (reason := cross_site(request)) is not None:
        return _refused(reason)
    found = _provider(body.provider, runtime)
    device = start_device_flow(found, http=provider_http())
    shown = DeviceLogin(user_code=device.user_code, verification_uri=device.verification_uri,
                        verification_uri_complete=device.verification_uri_complete, expires_in=device.expires_in,
                        interval=device.interval)  # fmt: skip
    answer = JSONResponse(shown.model_dump())
    answer.set_cookie(
        OAUTH_COOKIE, f"{found.name}:{device.device_code}", max_age=device.expires_in, path=COOKIE_PATH,
        httponly=True, samesite="strict", secure=request.url.scheme == "https",
    )  # fmt: skip
    return answer


@router.post(
    "/oauth/poll",
    summary="Whether the person approved the code yet: pending (202), or signed in as /login answers",
    response_model=BrowserTokens,
    responses={
        202: {"model": Pending, "description": "Not approved yet."},
        401: {"description": "Declined, expired, or no device login started in this browser."},
        403: REFUSALS[403],
    },
)
def oauth_poll(body: PollRequest, request: Request, runtime: RuntimeDep, _csrf: CsrfHeader = None) -> Response:
    from paa.core.accounts import oauth
    from paa.core.accounts.identities import identity_login
    from paa.errors import AuthError

    if (reason := cross_site(request)) is not None:
        return _refused(reason)
    name, _, device_code = (request.cookies.get(OAUTH_COOKIE) or "").partition(":")
    if not name or not device_code:
        raise AuthError("no GitHub or Google sign-in was started in this browser", hint="start again")
    found = _provider(name, runtime)
    try:
        step = oauth.device_login_step(found, device_code, body.interval, http=provider_http())
    except oauth.DeviceLoginEnded as ended:  # this cookie's login is over: the page starts a new one
        refused = problem(401, "unauthorized", ended.message)
        refused.delete_cookie(OAUTH_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
        return refused
    identity = step.identity
    if identity is None:
        return JSONResponse(Pending(state="pending", interval=step.interval).model_dump(), status_code=202)
    with runtime.auth(write=True) as actx:
        tokens = identity_login(actx, identity.provider, identity.subject, email=identity.email,
                                email_verified=identity.email_verified, name_hint=identity.login)  # fmt: skip
        signed_in = _with_cookie(request, tokens.to_json())
    signed_in.delete_cookie(
        OAUTH_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return signed_in
