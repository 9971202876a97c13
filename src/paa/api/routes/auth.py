"""`/auth`: register, log in, refresh and log out. An API login is a short-lived access JWT plus a refresh token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from paa.api.caller import CallerApi, RuntimeDep

router = APIRouter(prefix="/auth", tags=["auth"])


class Credentials(BaseModel):
    username: str = Field(max_length=200, examples=["alice"])
    password: str = Field(max_length=1024, examples=["correct horse battery staple"])


class Registration(Credentials):
    email: str | None = Field(default=None, max_length=320, examples=["alice@example.com"])
    display_name: str | None = Field(default=None, max_length=200, examples=["Alice"])


class RefreshRequest(BaseModel):
    refresh_token: str = Field(max_length=200)


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds the access token is valid for.")


def _source(request: Request) -> str:
    """Where a login comes from, for the per-address slowdown (the peer address; proxies are not trusted)."""
    return f"api:{request.client.host if request.client else 'unknown'}"


@router.post("/register", status_code=201, summary="Create an account and log it in")
def register(body: Registration, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    from paa.core.accounts.registration import create_account
    from paa.core.accounts.tokens import issue_tokens
    from paa.core.accounts.views import user_view

    with runtime.auth(write=True) as actx:
        user = create_account(actx, body.username, body.password, email=body.email, display_name=body.display_name)
        tokens = issue_tokens(actx.session, user, actx.secure_now(), label="api")
        return {**tokens.to_json(), "user": user_view(actx.session, user).to_json()}


@router.post("/login", summary="Log in with a user name and password", response_model=Tokens)
def login(body: Credentials, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    from paa.core.accounts.sessions import api_login

    with runtime.auth(write=True) as actx:
        return dict(api_login(actx, body.username, body.password, source=_source(request)).to_json())


@router.post("/refresh", summary="Spend a refresh token for a new pair", response_model=Tokens)
def refresh(body: RefreshRequest, runtime: RuntimeDep) -> dict[str, Any]:
    from paa.core.accounts.tokens import refresh_tokens

    with runtime.auth(write=True) as actx:
        return refresh_tokens(actx.session, body.refresh_token, actx.secure_now()).to_json()


@router.post("/logout", status_code=204, summary="End this login: its refresh and access tokens stop working")
def logout(api: CallerApi) -> Response:
    from paa.core.accounts.tokens import revoke_family

    kind, _, family = api.caller.credential.partition(":")
    if kind == "login":
        with api.auth(write=True) as actx:
            revoke_family(actx.session, family, actx.secure_now())
    return Response(status_code=204)


@router.get("/whoami", summary="Who the token acts as")
def whoami(api: CallerApi) -> dict[str, Any]:
    from paa.core.accounts.sessions import whoami as who

    with api.auth() as actx:
        found = who(actx)
    return {**found.to_json(), "scopes": sorted(api.caller.scopes)}
