"""`/auth/browser`: the browser app's login. The access token goes to the page, which keeps it in memory only; the
refresh token goes into a cookie the page cannot read (HttpOnly, SameSite=Strict, Secure over TLS, sent only to
these three routes). The tokens are core's (`paa.core.accounts.tokens`), exactly as for `/auth/login`.

Every route here refuses a request without the `X-PAA-CSRF: 1` header, or from another site (an `Origin` other than
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
