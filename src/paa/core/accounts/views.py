"""How accounts and sessions are shown: the views `paa users`, `paa auth whoami` and `paa auth sessions` render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from paa.core.accounts.auth import PASSWORD_KIND, REFRESH_KIND
from paa.core.accounts.users import PROTECTING_KINDS
from paa.db.models import User, UserAuth

if TYPE_CHECKING:
    from paa.core.context import Acting


@dataclass(frozen=True)
class UserView:
    """An account as `paa users list` and `paa auth whoami` show it (docs/accounts.md documents its JSON)."""

    id: int
    username: str
    email: str | None
    display_name: str | None
    role: str
    is_active: bool
    created_at: datetime
    last_login: datetime | None
    has_password: bool
    identities: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "email": self.email,
            "display_name": self.display_name,
            "role": self.role,
            "is_active": self.is_active,
            "created_at": self.created_at.isoformat(),
            "last_login": self.last_login.isoformat() if self.last_login else None,
            "has_password": self.has_password,
            "identities": list(self.identities),
        }


@dataclass(frozen=True)
class SessionView:
    """A session (CLI login) or a refresh-token family (API login), without its token."""

    id: int
    username: str
    kind: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    current: bool

    def to_json(self) -> dict[str, Any]:
        def instant(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "username": self.username,
            "kind": self.kind,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "last_used_at": instant(self.last_used_at),
            "expires_at": instant(self.expires_at),
            "revoked": self.revoked_at is not None,
            "current": self.current,
        }


@dataclass(frozen=True)
class WhoAmI:
    """Who a command acts as and how: `paa auth whoami`."""

    user: UserView
    via: str
    authenticated: bool
    session: SessionView | None

    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.user.to_json(),
            "via": self.via,
            "authenticated": self.authenticated,
            "session": self.session.to_json() if self.session else None,
        }


def _identities(session: Session, user_ids: list[int]) -> dict[int, tuple[bool, tuple[str, ...]]]:
    rows = session.exec(
        select(UserAuth.user_id, UserAuth.kind, UserAuth.provider).where(
            col(UserAuth.user_id).in_(user_ids),
            col(UserAuth.kind).in_(PROTECTING_KINDS),
            col(UserAuth.revoked_at).is_(None),
        )
    ).all()
    found: dict[int, tuple[bool, tuple[str, ...]]] = {user_id: (False, ()) for user_id in user_ids}
    for user_id, kind, provider in rows:
        has_password, providers = found[user_id]
        if kind == PASSWORD_KIND:
            has_password = True
        elif provider and provider not in providers:
            providers = (*providers, provider)
        found[user_id] = (has_password, tuple(sorted(providers)))
    return found


def user_views(session: Session, users: list[User]) -> list[UserView]:
    known = _identities(session, [u.id for u in users if u.id is not None])
    views = []
    for user in users:
        assert user.id is not None
        has_password, providers = known[user.id]
        views.append(
            UserView(
                user.id,
                user.username,
                user.email,
                user.display_name,
                user.role,
                user.is_active,
                user.created_at,
                user.last_login,
                has_password,
                providers,
            )
        )
    return views


def user_view(session: Session, user: User) -> UserView:
    return user_views(session, [user])[0]


def session_view(row: UserAuth, username: str, acting: Acting) -> SessionView:
    """A session row as shown; `current` when it is the one `acting` came through: its terminal session, or the
    refresh family of the access token it presented (an API or browser login)."""
    assert row.id is not None
    current = (row.id == acting.session_id and acting.session_id is not None) or (
        row.family is not None and row.family == acting.login_family and row.kind == REFRESH_KIND
    )
    return SessionView(row.id, username, row.kind, row.label, row.created_at, row.last_used_at, row.expires_at,
                       row.revoked_at, current)  # fmt: skip
