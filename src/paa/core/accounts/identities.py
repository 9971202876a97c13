"""OAuth identities: signing in with one a provider vouched for, linking it to an account or making one.

Linking an identity to an existing account takes that account's password, not only an open session: an identity
is a way in that outlives password changes and logouts, so whoever adds one must prove they own the account. The
owner can list and unlink identities, and drop them all with a password change or a logout everywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from paa.core import validate
from paa.core.accounts import rules
from paa.core.accounts.auth import LABEL_MAX, OAUTH_KIND, PASSWORD_KIND, AuthContext
from paa.core.accounts.lookups import active_credential, first_role, user_named
from paa.core.accounts.sessions import Login, authenticate, start_session
from paa.core.accounts.tokens import TokenPair, issue_tokens
from paa.core.accounts.users import initial_preferences
from paa.db.models import User, UserAuth, UserPreference
from paa.errors import AuthError, InvalidInput, NotFound


@dataclass(frozen=True)
class IdentityView:
    """An identity linked to an account: the provider, its user id there, and a label (an email or login)."""

    id: int
    provider: str
    subject: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "subject": self.subject,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


def _known(session: Session, provider: str, subject: str) -> UserAuth | None:
    return session.exec(
        select(UserAuth).where(
            UserAuth.kind == OAUTH_KIND,
            UserAuth.provider == provider,
            UserAuth.subject == subject,
            col(UserAuth.revoked_at).is_(None),
        )
    ).first()


def _require_password(session: Session, user: User) -> None:
    assert user.id is not None
    if active_credential(session, user.id, PASSWORD_KIND) is None:
        raise AuthError(f"linking an identity to {user.username} needs the account's password, and it has none",
                        hint="set one first with `paa auth passwd`")  # fmt: skip


def link_target(actx: AuthContext, provider: str, subject: str) -> User | None:
    """The account signing in with this identity would link it to (the logged-in one), or None if it would not link.

    An interface asks first, to prompt for that account's password only when linking; AuthError if it has none.
    """
    if _known(actx.session, provider, validate.clean_text(str(subject), "identity", 256)) is not None:
        return None
    acting = actx.acting
    if acting is None or not acting.authenticated:
        return None
    user = actx.session.get(User, acting.user.id)
    if user is not None:
        _require_password(actx.session, user)
    return user


def sign_in_with_identity(actx: AuthContext, provider: str, subject: str, *, email: str | None,
                          email_verified: bool, name_hint: str | None, label: str | None = "cli",
                          password: str | None = None, source: str = "cli") -> Login:  # fmt: skip
    """Log in with an identity a provider vouched for, linking it to the logged-in account or a new one.

    - A known identity logs its account in.
    - Otherwise, a logged-in user gets it linked to their account, if `password` is that account's password
      (checked with the login slowdown, by `source`); an account without a password cannot link one.
    - Otherwise a new account is made (admin if it is the first that can log in). An existing account with the
      same email is never taken over: its owner must log in and link the identity themselves.
    """
    user, outcome = _identity_user(actx, provider, subject, email=email, email_verified=email_verified,
                                   name_hint=name_hint, password=password, source=source, link=True)  # fmt: skip
    return start_session(actx, user, label=label, outcome=outcome)


def identity_login(actx: AuthContext, provider: str, subject: str, *, email: str | None, email_verified: bool,
                   name_hint: str | None, label: str = "browser") -> TokenPair:  # fmt: skip
    """An API login (a new refresh family, as `api_login` gives) for an identity a provider vouched for: a known one
    logs its account in, an unknown one makes an account as `sign_in_with_identity` does. It never links: the
    request is anonymous (whoever runs the server may be logged in on its terminal, and that is not the caller),
    so linking stays with `paa auth login --github` on a terminal, which asks for the account's password."""
    user, _outcome = _identity_user(actx, provider, subject, email=email, email_verified=email_verified,
                                    name_hint=name_hint, password=None, source="api", link=False)  # fmt: skip
    return issue_tokens(actx.session, user, actx.secure_now(), label=label)


def _identity_user(actx: AuthContext, provider: str, subject: str, *, email: str | None, email_verified: bool,
                   name_hint: str | None, password: str | None, source: str,
                   link: bool) -> tuple[User, Literal["logged_in", "linked", "created"]]:  # fmt: skip
    session, now = actx.session, actx.now()
    subject = validate.clean_text(str(subject), "identity", 256)
    row = _known(session, provider, subject)
    if row is not None:
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            raise AuthError("the account linked to that identity is disabled", hint="ask an admin to enable it")
        row.last_used_at = now
        user.last_login = now
        session.add_all([row, user])
        return user, "logged_in"
    acting = actx.acting if link else None
    if acting is not None and acting.authenticated:
        user = session.get(User, acting.user.id)
        assert user is not None and user.id is not None
        _require_password(session, user)
        if password is None:
            raise AuthError(
                f"linking your {provider} identity to {user.username} needs that account's password",
                hint=f"run `paa auth login --{provider}` on a terminal, or with --password-stdin",
            )
        authenticate(actx, user.username, password, source=source)
        session.add(UserAuth(user_id=user.id, kind=OAUTH_KIND, provider=provider, subject=subject, created_at=now,
                             last_used_at=now, label=(email or name_hint or "")[:LABEL_MAX] or None))  # fmt: skip
        user.last_login = now
        session.add(user)
        return user, "linked"
    address = None
    if email and email_verified:
        try:
            address = rules.email(email)
        except InvalidInput:
            address = None
    if address is not None and session.exec(select(User.id).where(User.email == address)).first() is not None:
        raise AuthError(
            f"an account with the email of this {provider} identity exists, but is not linked to it",
            hint=f"log in to that account first, then run `paa auth login --{provider}` to link it",
        )
    user = User(username=_free_username(session, name_hint, address, provider), email=address,
                role=first_role(session), created_at=now, last_login=now)  # fmt: skip
    session.add(user)
    session.flush()
    assert user.id is not None
    for key, value in initial_preferences(actx.loaded).items():
        session.add(UserPreference(user_id=user.id, key=key, value=json.dumps(value), updated_at=now))
    session.add(UserAuth(user_id=user.id, kind=OAUTH_KIND, provider=provider, subject=subject, created_at=now,
                         last_used_at=now, label=(address or name_hint or "")[:LABEL_MAX] or None))  # fmt: skip
    return user, "created"


def _free_username(session: Session, hint: str | None, address: str | None, provider: str) -> str:
    """A valid, unused user name made from the provider's login name or the email's local part."""
    base = ""
    for raw in (hint, address.split("@")[0] if address else None):
        if raw:
            cleaned = "".join(ch for ch in raw.lower() if ch.isascii() and (ch.isalnum() or ch in "._-"))
            cleaned = cleaned.lstrip("._-0123456789")[: rules.USERNAME_MAX - 4]
            if len(cleaned) >= rules.USERNAME_MIN:
                base = cleaned
                break
    base = base or f"{provider}-user"
    if base in rules.RESERVED_USERNAMES:
        base = f"{base}-{provider}"[: rules.USERNAME_MAX - 4]
    candidate, number = base, 1
    while user_named(session, candidate) is not None:
        number += 1
        candidate = f"{base}{number}"
    return candidate


def _linked(session: Session, user_id: int) -> list[UserAuth]:
    return list(
        session.exec(
            select(UserAuth)
            .where(UserAuth.user_id == user_id, UserAuth.kind == OAUTH_KIND, col(UserAuth.revoked_at).is_(None))
            .order_by(col(UserAuth.created_at), col(UserAuth.id))
        ).all()
    )


def _view(row: UserAuth) -> IdentityView:
    assert row.id is not None
    return IdentityView(row.id, row.provider or "", row.subject or "", row.label, row.created_at, row.last_used_at)


def list_identities(actx: AuthContext) -> list[IdentityView]:
    """The identities linked to the acting user's account, oldest first."""
    user_id = actx.actor().user.id
    assert user_id is not None
    return [_view(row) for row in _linked(actx.session, user_id)]


def _unlink(actx: AuthContext, user: User, rows: list[UserAuth]) -> list[IdentityView]:
    """Revoke these identities, unless that would leave the account with no way to log in (no password)."""
    assert user.id is not None
    passwordless = active_credential(actx.session, user.id, PASSWORD_KIND) is None
    if passwordless and len(_linked(actx.session, user.id)) <= len(rows):
        raise InvalidInput(f"{user.username} could not log in any more: it has no password",
                           hint="set one first with `paa auth passwd`")  # fmt: skip
    now = actx.now()
    for row in rows:
        row.revoked_at = now
        actx.session.add(row)
    actx.session.flush()
    return [_view(row) for row in rows]


def unlink_identity(actx: AuthContext, provider: str) -> list[IdentityView]:
    """Unlink the acting user's identities of one provider and return them; never the account's last way in."""
    user = actx.session.get(User, actx.actor().user.id)
    if user is None or user.id is None:
        raise NotFound("your account no longer exists")
    wanted = provider.strip().lower()
    rows = [row for row in _linked(actx.session, user.id) if row.provider == wanted]
    if not rows:
        raise NotFound(f"no {wanted[:20]} identity is linked to your account", hint="see `paa auth identities`")
    return _unlink(actx, user, rows)


def drop_identities(actx: AuthContext, user: User) -> list[IdentityView]:
    """Unlink every identity of an account (a password change, a logout everywhere); it must have a password."""
    assert user.id is not None
    rows = _linked(actx.session, user.id)
    return _unlink(actx, user, rows) if rows else []
