"""`/users/me`, `/auth/tokens` and `/auth/sessions`: your profile, your preferences (`paa config`'s per-user settings),
API tokens and logins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from paa.api import schemas
from paa.api.caller import CallerApi
from paa.api.reads import short_read
from paa.api.schemas import documented

router = APIRouter(tags=["users"])

# The seed's paths and verbs (GET/PUT /users/profile and /users/preferences) answer as /users/me's: a client written
# to the seed works. PUT changes only the fields sent, as PATCH does: a preference left out keeps its value.
SEED_PATH = "The seed's path for the route under /users/me; PUT changes only what is sent, as PATCH does."

PREFERENCES_EXAMPLE = {
    "timezone": "Europe/Berlin",
    "day_start_hour": 4,
    "week_start": "sunday",
    "checkin.time": "21:30",
}


class ProfileForm(BaseModel):
    """Only the fields sent change; null clears one."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=200, examples=["Alice"])
    email: str | None = Field(default=None, max_length=320, examples=["alice@example.com"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, examples=["phone"])
    scope: str = Field(default="read", max_length=40, description="read, or read,write.", examples=["read,write"])
    days: int | None = Field(default=None, description="Lifetime in days (1-3650); none: until revoked.")


@router.get(
    "/users/me",
    summary="Your profile: user name, display name, email, role, how you log in",
    **documented(schemas.UserProfile),
)
@router.get(
    "/users/profile",
    summary="Your profile (as GET /users/me)",
    description=SEED_PATH,
    **documented(schemas.UserProfile),
)
def profile(api: CallerApi) -> dict[str, Any]:
    from paa.core.accounts.profile import my_profile

    with api.auth() as actx:
        return my_profile(actx).to_json()


@router.patch("/users/me", summary="Change your display name or email address", **documented(schemas.UserProfile))
@router.put("/users/profile", summary="Change your display name or email address (as PATCH /users/me)",
            description=SEED_PATH, **documented(schemas.UserProfile))  # fmt: skip
def edit_profile(body: ProfileForm, api: CallerApi) -> dict[str, Any]:
    from paa.core.accounts.profile import update_profile

    with api.auth(write=True) as actx:
        return update_profile(actx, **body.model_dump(exclude_unset=True)).to_json()


@router.get(
    "/users/me/preferences",
    summary="Your preferences: time zone, day start, week start, check-in time...",
    **documented(list[schemas.Setting]),
)
@router.get(
    "/users/preferences",
    summary="Your preferences (as GET /users/me/preferences)",
    description=SEED_PATH,
    **documented(list[schemas.Setting]),
)
@short_read
def preferences(api: CallerApi) -> list[dict[str, Any]]:
    from paa.core.configuration import current_settings, user_settings

    with api.read() as ctx:
        return [view.to_json() for view in user_settings(current_settings(ctx))]


@router.patch(
    "/users/me/preferences",
    summary="Change preferences; null puts one back to its default",
    **documented(list[schemas.Setting]),
)
@router.put("/users/preferences", summary="Change preferences (as PATCH /users/me/preferences)",
            description=SEED_PATH, **documented(list[schemas.Setting]))  # fmt: skip
def edit_preferences(
    api: CallerApi,
    body: dict[str, Any] = Body(
        description="Setting keys (as `paa config` names them) and their new values.", examples=[PREFERENCES_EXAMPLE]
    ),
) -> list[dict[str, Any]]:
    from paa.core.configuration import (
        current_settings,
        set_user_setting,
        unset_user_setting,
        user_setting,
        user_settings,
    )
    from paa.errors import InvalidInput

    if not body:
        raise InvalidInput("nothing to change", hint='send the settings to change, e.g. {"timezone": "UTC"}')
    changes = [user_setting(key, value) for key, value in body.items()]  # all checked before any is stored
    with api.write() as ctx:
        for field, value in changes:
            if value is None:
                unset_user_setting(ctx, field)
            else:
                set_user_setting(ctx, field, value)
        return [view.to_json() for view in user_settings(current_settings(ctx))]


@router.get(
    "/auth/tokens",
    tags=["auth"],
    summary="Your API tokens (never the tokens themselves)",
    **documented(list[schemas.ApiToken]),
)
def list_tokens(
    api: CallerApi, revoked: bool = Query(False, description="Include revoked tokens.")
) -> list[dict[str, Any]]:
    from paa.core.accounts.bearer import list_api_tokens

    with api.auth() as actx:
        return [view.to_json() for view in list_api_tokens(actx, include_revoked=revoked)]


@router.post(
    "/auth/tokens",
    tags=["auth"],
    status_code=201,
    summary="Create a long-lived API token; it is shown this once",
    **documented(schemas.NewApiToken, 201),
)
def create_token(body: TokenRequest, api: CallerApi) -> dict[str, Any]:
    from paa.core.accounts.bearer import create_api_token, parse_scopes

    api.caller.require_login("create API tokens")
    scopes = parse_scopes(body.scope)
    with api.auth(write=True) as actx:
        return create_api_token(actx, body.name, scopes, days=body.days).to_json()


@router.delete(
    "/auth/tokens/{token_id}",
    tags=["auth"],
    status_code=204,
    summary="Revoke one of your API tokens (with an API token: only that token itself)",
)
def revoke_token(token_id: int, api: CallerApi) -> Response:
    from paa.core.accounts.bearer import revoke_api_token

    # A leaked API token must not revoke its owner's other tokens (their scripts would stop); revoking itself ends
    # its own leak, so that stays open to it. Checked before any lookup: a token learns nothing of other ids.
    if api.caller.credential != f"token:{token_id}":
        api.caller.require_login("revoke other API tokens")
    with api.auth(write=True) as actx:
        revoke_api_token(actx, token_id)
    return Response(status_code=204)


@router.get(
    "/auth/sessions",
    tags=["auth"],
    summary="Your logins still valid: terminal sessions, API and browser logins (as `paa auth sessions`)",
    **documented(list[schemas.LoginSession]),
)
def list_logins(api: CallerApi) -> list[dict[str, Any]]:
    from paa.core.accounts.sessions import list_sessions

    with api.auth() as actx:
        return [view.to_json() for view in list_sessions(actx)]


@router.delete(
    "/auth/sessions/{session_id}",
    tags=["auth"],
    status_code=204,
    summary="End one of your logins: its tokens stop working (a browser's signs it out)",
)
def end_login(session_id: int, api: CallerApi) -> Response:
    from paa.core.accounts.sessions import revoke_session

    # a leaked API token must not sign its owner out (and keep them from revoking it): as for making tokens
    api.caller.require_login("end logins")
    with api.auth(write=True) as actx:
        revoke_session(actx, session_id)
    return Response(status_code=204)
