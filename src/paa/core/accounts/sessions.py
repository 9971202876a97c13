"""Sessions: logging in with a password, starting, listing and ending sessions, and who is acting.

Session tokens are random and stored as their SHA-256; failed logins are slowed down per (name, source) and per
source (`paa.core.accounts.throttle`); nothing here returns or raises with a secret in it. Lifetimes and the
slowdown use the real clock (`AuthContext.secure_now`), so PAA_NOW cannot stretch a session or skip a wait.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import update
from sqlmodel import Session, col, select

from paa.core import validate
from paa.core.accounts import rules
from paa.core.accounts.auth import LABEL_MAX, PASSWORD_KIND, REFRESH_KIND, AuthContext, require_admin
from paa.core.accounts.lookups import active_credential, user_named
from paa.core.accounts.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from paa.core.accounts.throttle import check_allowed, login_keys, pair_key, record_failure, record_success
from paa.core.accounts.users import SESSION_KIND, token_digest
from paa.core.accounts.views import SessionView, WhoAmI, session_view, user_view
from paa.core.ids import get_row
from paa.db.models import User, UserAuth
from paa.errors import AuthError, InvalidInput, NotFound, PermissionDenied

SESSION_TTL = timedelta(days=30)
SESSION_PREFIX = "paa_s_"
WRONG = "wrong user name or password"


@dataclass(frozen=True)
class Login:
    """A successful login: the user and the new session's token, which the caller stores and never shows."""

    user: User
    token: str = field(repr=False)
    session_id: int
    expires_at: datetime
    outcome: Literal["logged_in", "registered", "linked", "created"] = "logged_in"


def _label(label: str | None) -> str | None:
    if label is None:
        return None
    text = " ".join(label.split())[:LABEL_MAX]
    return validate.optional_text(text, "session label", LABEL_MAX)


def start_session(actx: AuthContext, user: User, *, label: str | None, outcome: str = "logged_in") -> Login:
    """A new CLI session for a user: a random token, stored as its SHA-256, valid for 30 days."""
    assert user.id is not None
    now = actx.secure_now()
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    row = UserAuth(
        user_id=user.id, kind=SESSION_KIND, secret_hash=token_digest(token), label=_label(label),
        created_at=now, expires_at=now + SESSION_TTL,
    )  # fmt: skip
    actx.session.add(row)
    actx.session.flush()
    assert row.id is not None and row.expires_at is not None
    return Login(user, token, row.id, row.expires_at, outcome)  # type: ignore[arg-type]


def end_session(actx: AuthContext, token: str) -> bool:
    """Revoke the session of a token; False when it was unknown or already ended."""
    rows = actx.session.exec(select(UserAuth).where(UserAuth.secret_hash == token_digest(token))).all()
    row = next((found for found in rows if found.kind == SESSION_KIND), None)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = actx.secure_now()
    actx.session.add(row)
    actx.session.flush()
    return True


def list_sessions(actx: AuthContext, *, every_user: bool = False, include_ended: bool = False) -> list[SessionView]:
    """The acting user's sessions and API logins, newest first; an admin may ask for everyone's."""
    acting = actx.actor()
    if every_user:
        require_admin(actx)
    query = select(UserAuth, User.username).join(User, col(User.id) == col(UserAuth.user_id))
    query = query.where(col(UserAuth.kind).in_((SESSION_KIND, REFRESH_KIND)))
    if not every_user:
        query = query.where(UserAuth.user_id == acting.user.id)
    now = actx.secure_now()
    rows = actx.session.exec(query.order_by(col(UserAuth.created_at).desc(), col(UserAuth.id).desc())).all()
    views = []
    for row, username in rows:
        ended = row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now)
        if ended and not include_ended:
            continue
        views.append(session_view(row, username, acting))
    return views


def revoke_session(actx: AuthContext, session_id: int) -> SessionView:
    """End one session (or a refresh-token family) of the acting user; an admin may end anyone's."""
    acting = actx.actor()
    row = get_row(actx.session, UserAuth, session_id)
    mine = row is not None and row.user_id == acting.user.id
    if row is not None and not mine:
        try:
            require_admin(actx)
        except PermissionDenied:
            row = None  # another user's session is not something a member can even see
    if row is None or row.kind not in (SESSION_KIND, REFRESH_KIND):
        raise NotFound(f"no session with id {session_id}", hint="see `paa auth sessions`")
    now = actx.secure_now()
    if row.kind == REFRESH_KIND and row.family:
        from paa.core.accounts.tokens import revoke_family

        revoke_family(actx.session, row.family, now)
    elif row.revoked_at is None:
        row.revoked_at = now
        actx.session.add(row)
    actx.session.flush()
    owner = actx.session.get(User, row.user_id)
    return session_view(row, owner.username if owner else "?", acting)


def revoke_all_sessions(session: Session, user_id: int, now: datetime, *, keep: int | None = None) -> int:
    """End every session and refresh token of a user, except `keep`; return how many were ended."""
    query = (
        update(UserAuth)
        .where(
            col(UserAuth.user_id) == user_id,
            col(UserAuth.kind).in_((SESSION_KIND, REFRESH_KIND)),
            col(UserAuth.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    if keep is not None:
        query = query.where(col(UserAuth.id) != keep)
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def authenticate(actx: AuthContext, username: str, password: str, *, source: str) -> User:
    """Check a user name and password, with the slowdown; record the login; re-hash an outdated hash.

    A failure is committed before AuthError is raised, so the slowdown holds even though the command fails.
    """
    session, now, params = actx.session, actx.secure_now(), actx.params
    typed = str(username).strip().lower()[:200]
    keys = login_keys(typed, source)
    check_allowed(session, keys, now)
    user: User | None = None
    credential: UserAuth | None = None
    try:
        user = user_named(session, rules.username(typed))
        secret = rules.password_text(password)
    except InvalidInput:
        user, secret = None, ""
    if user is not None and user.id is not None:
        credential = active_credential(session, user.id, PASSWORD_KIND)
    stored = credential.secret_hash if credential is not None and credential.secret_hash else dummy_hash(params)
    matches = verify_password(stored, secret, params) and credential is not None
    if not matches or user is None or credential is None:
        wait = record_failure(session, keys, now)
        session.commit()
        hint = f"wait {int(wait.total_seconds())} s before the next try" if wait else "check both and try again"
        raise AuthError(WRONG, hint=hint)
    if not user.is_active:
        raise AuthError(f"the account {user.username} is disabled", hint="ask an admin to enable it")
    record_success(session, [pair_key(typed, source)])
    if needs_rehash(stored, params):
        credential.secret_hash = hash_password(secret, params)
        session.add(credential)
    user.last_login = now
    session.add(user)
    session.flush()
    return user


def login(actx: AuthContext, username: str, password: str, *, source: str, label: str | None = "cli") -> Login:
    """Log in with a password and start a CLI session."""
    user = authenticate(actx, username, password, source=source)
    return start_session(actx, user, label=label)


def api_login(actx: AuthContext, username: str, password: str, *, source: str, label: str | None = "api") -> Any:
    """Log in an API client with a password: a JWT access token and a refresh token (`paa.core.accounts.tokens`)."""
    from paa.core.accounts.tokens import issue_tokens

    user = authenticate(actx, username, password, source=source)
    return issue_tokens(actx.session, user, actx.secure_now(), label=_label(label))


def whoami(actx: AuthContext) -> WhoAmI:
    acting = actx.actor()
    user = actx.session.get(User, acting.user.id) or acting.user
    current = None
    if acting.session_id is not None:
        row = actx.session.get(UserAuth, acting.session_id)
        if row is not None:
            current = session_view(row, user.username, acting)
    return WhoAmI(user_view(actx.session, user), acting.via, acting.authenticated, current)
