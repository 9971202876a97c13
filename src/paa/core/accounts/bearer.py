"""Who an HTTP request acts as: a short-lived access JWT, or a long-lived API token a person created.

API tokens (`paa auth token create`) are for scripts and phones: random, shown once, stored as their SHA-256,
scoped to `read` or `read,write`, revocable. Access tokens come from a login and are checked by
`paa.core.accounts.tokens`. Either way the answer is an `Acting` the runtime opens contexts with.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from paa.core import validate
from paa.core.accounts.auth import AuthContext
from paa.core.accounts.users import accounts_exist, token_digest
from paa.core.context import Acting
from paa.core.ids import get_row
from paa.db.models import User, UserAuth
from paa.errors import AuthError, InvalidInput, NotFound, PermissionDenied

API_TOKEN_KIND = "api_token"
API_TOKEN_PREFIX = "paa_t_"
SCOPES = ("read", "write")
NAME_MAX = 100


@dataclass(frozen=True)
class Caller:
    """The user behind a request, what the credential allows, and which credential it was (never the secret)."""

    acting: Acting
    scopes: frozenset[str]
    credential: str  # "login:<family>" or "token:<id>", for logs and rate-limit keys

    @property
    def user_id(self) -> int:
        assert self.acting.user.id is not None
        return self.acting.user.id

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionDenied(f"this token may not {scope}", hint="create a token with --scope read,write")

    def require_login(self, what: str) -> None:
        """Refuse `what` to an API token: a token is as strong as what made it, so only a login makes new ones
        (a leaked read-only token must not mint a read,write one)."""
        if not self.credential.startswith("login:"):
            raise PermissionDenied(f"an API token cannot {what}", hint="log in with a password and use that login")


@dataclass(frozen=True)
class ApiTokenView:
    id: int
    name: str | None
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "scopes": list(self.scopes),
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class NewApiToken:
    token: str = field(repr=False)
    view: ApiTokenView

    def to_json(self) -> dict[str, Any]:
        """The token's view and, this once, the token itself."""
        return {**self.view.to_json(), "token": self.token}


def parse_scopes(text: str) -> frozenset[str]:
    """`read`, `write` or `read,write`; `write` includes `read` (a client that changes data must see it)."""
    given = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(given - set(SCOPES))
    if unknown or not given:
        raise InvalidInput(f"unknown scope {', '.join(unknown) or '(none)'}: use read or read,write", field="scope")
    return frozenset(given | {"read"})


def _view(row: UserAuth) -> ApiTokenView:
    assert row.id is not None
    scopes = tuple(sorted((row.scopes or "read").split(",")))
    return ApiTokenView(row.id, row.label, scopes, row.created_at, row.expires_at, row.last_used_at, row.revoked_at)


def create_api_token(actx: AuthContext, name: str, scopes: frozenset[str], *, days: int | None = None) -> NewApiToken:
    """A new API token for the acting user, who must have logged in (a token is as strong as what made it)."""
    acting = actx.actor()
    if not acting.authenticated:
        raise AuthError("log in before creating an API token", hint=f"paa auth login {acting.user.username}")
    label = validate.clean_text(" ".join(name.split()), "token name", NAME_MAX, field="name")
    if days is not None and not 1 <= days <= 3650:
        raise InvalidInput("a token lives 1 to 3650 days", field="days")
    assert acting.user.id is not None
    now = actx.secure_now()
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = UserAuth(
        user_id=acting.user.id, kind=API_TOKEN_KIND, secret_hash=token_digest(token), label=label,
        scopes=",".join(sorted(scopes)), created_at=now,
        expires_at=None if days is None else now + timedelta(days=days),
    )  # fmt: skip
    actx.session.add(row)
    actx.session.flush()
    return NewApiToken(token, _view(row))


def list_api_tokens(actx: AuthContext, *, include_revoked: bool = False) -> list[ApiTokenView]:
    acting = actx.actor()
    query = select(UserAuth).where(UserAuth.user_id == acting.user.id, UserAuth.kind == API_TOKEN_KIND)
    if not include_revoked:
        query = query.where(col(UserAuth.revoked_at).is_(None))
    return [_view(row) for row in actx.session.exec(query.order_by(col(UserAuth.id)))]


def revoke_api_token(actx: AuthContext, token_id: int) -> ApiTokenView:
    """Revoke one of the acting user's API tokens; another user's id is not found, as in every other lookup."""
    acting = actx.actor()
    row = get_row(actx.session, UserAuth, token_id)
    if row is None or row.kind != API_TOKEN_KIND or row.user_id != acting.user.id:
        raise NotFound(f"no API token with id {token_id}", hint="see `paa auth token list`")
    if row.revoked_at is None:
        row.revoked_at = actx.secure_now()
        actx.session.add(row)
        actx.session.flush()
    return _view(row)


def caller_for(session: Session, token: str, now: datetime) -> Caller:
    """The caller a bearer token proves, or AuthError saying why it is refused (never echoing the token)."""
    if token.startswith(API_TOKEN_PREFIX):
        return _api_token_caller(session, token, now)
    from paa.core.accounts.tokens import verify_access_token

    claims = verify_access_token(session, token, now)
    acting = Acting(claims.user, "session", True, accounts_exist(session))
    return Caller(acting, frozenset(SCOPES), f"login:{claims.session_family}")


def _api_token_caller(session: Session, token: str, now: datetime) -> Caller:
    found = session.exec(
        select(UserAuth, User)
        .join(User, col(User.id) == col(UserAuth.user_id))
        .where(UserAuth.secret_hash == token_digest(token), UserAuth.kind == API_TOKEN_KIND)
    ).first()
    if found is None:
        raise AuthError("the API token is not valid", hint="create one with `paa auth token create`")
    row, user = found
    if row.revoked_at is not None:
        raise AuthError("the API token was revoked", hint="create a new one with `paa auth token create`")
    if row.expires_at is not None and row.expires_at <= now:
        raise AuthError("the API token has expired", hint="create a new one with `paa auth token create`")
    if not user.is_active:
        raise AuthError("the account is disabled", hint="ask an admin to enable it")
    scopes = frozenset((row.scopes or "read").split(","))
    return Caller(Acting(user, "session", True, accounts_exist(session)), scopes, f"token:{row.id}")


def touch_api_token(session: Session, token_id: int, now: datetime) -> None:
    """Record when a token was last used (at most once a minute, so reads stay cheap)."""
    row = session.get(UserAuth, token_id)
    if row is not None and (row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1)):
        row.last_used_at = now
        session.add(row)


__all__ = ["API_TOKEN_KIND", "Caller", "caller_for", "create_api_token", "list_api_tokens", "revoke_api_token"]
