"""Accounts: register, log in and out, passwords, sessions, OAuth identities, and what admins may do to accounts.

Every function takes an `AuthContext` (from `open_auth`), which, unlike a Context, also opens when nobody can be
acted as yet: that is when people log in. Passwords are hashed with argon2id (`paa.core.accounts.passwords`); session
tokens are random and stored as their SHA-256; nothing here ever returns or raises with a secret in it.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from paa.clock import Clock
from paa.config import LoadedSettings, Paths, load_settings, resolve_paths
from paa.core import validate
from paa.core.accounts import rbac, rules
from paa.core.accounts.passwords import (
    HashParams,
    dummy_hash,
    hash_password,
    needs_rehash,
    params_from,
    verify_password,
)
from paa.core.accounts.throttle import account_key, check_allowed, record_failure, record_success, source_key
from paa.core.accounts.users import (
    LOCAL_USERNAME,
    PROTECTING_KINDS,
    SESSION_KIND,
    Acting,
    accounts_exist,
    initial_preferences,
    resolve_acting,
    token_digest,
)
from paa.db.engine import writer
from paa.db.models import User, UserAuth, UserPreference
from paa.errors import AuthError, Conflict, InvalidInput, NotFound, PaaError, PermissionDenied

SESSION_TTL = timedelta(days=30)
SESSION_PREFIX = "paa_s_"
PASSWORD_KIND = "password"
OAUTH_KIND = "oauth"
REFRESH_KIND = "refresh"
LABEL_MAX = 100
WRONG = "wrong user name or password"


@dataclass
class AuthContext:
    """What account functions work with: a session on the database, and who is acting, if anyone can be yet."""

    session: Session
    clock: Clock
    paths: Paths
    loaded: LoadedSettings
    environ: Mapping[str, str]
    acting: Acting | None
    problem: PaaError | None  # why nobody can be acted as, when `acting` is None

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def params(self) -> HashParams:
        return params_from(self.environ)

    def actor(self) -> Acting:
        """Who is acting, or the reason nobody is (not logged in, session expired, ...)."""
        if self.acting is None:
            raise self.problem or AuthError("nobody is logged in", hint="paa auth login")
        return self.acting

    def accounts_exist(self) -> bool:
        return accounts_exist(self.session)


@contextmanager
def open_auth(
    *, write: bool = False, environ: Mapping[str, str] | None = None, clock: Clock | None = None
) -> Iterator[AuthContext]:
    """Open the database for an account command; with `write`, commit at the end."""
    from paa.core.context import clock_from_environ, open_engine

    env = os.environ if environ is None else environ
    paths = resolve_paths(env)
    loaded = load_settings(paths, env)
    clock = clock or clock_from_environ(env)
    engine = open_engine(paths, loaded)
    try:
        acting: Acting | None = None
        problem: PaaError | None = None
        try:
            acting = resolve_acting(engine, paths, loaded, clock, env)
        except (AuthError, NotFound) as exc:
            problem = exc
        bind = writer(engine) if write else engine
        with Session(bind, expire_on_commit=False) as session:
            yield AuthContext(session, clock, paths, loaded, env, acting, problem)
            if write:
                session.commit()
    finally:
        engine.dispose()


# ---- views -------------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Login:
    """A successful login: the user and the new session's token, which the caller stores and never shows."""

    user: User
    token: str = field(repr=False)
    session_id: int
    expires_at: datetime
    outcome: Literal["logged_in", "registered", "linked", "created"] = "logged_in"


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


def _views(session: Session, users: list[User]) -> list[UserView]:
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
    return _views(session, [user])[0]


def _session_view(row: UserAuth, username: str, current_id: int | None) -> SessionView:
    assert row.id is not None
    return SessionView(row.id, username, row.kind, row.label, row.created_at, row.last_used_at, row.expires_at,
                       row.revoked_at, row.id == current_id)  # fmt: skip


# ---- lookups -----------------------------------------------------------------------------------------------


def _user_named(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.username == name)).first()


def find_user(session: Session, name: str) -> User:
    """A user by name, or NotFound."""
    try:
        key = rules.username(name)
    except InvalidInput:
        raise NotFound(f"no user named {name[:40]!r}", hint="see `paa users list`") from None
    user = _user_named(session, key)
    if user is None:
        raise NotFound(f"no user named {key!r}", hint="see `paa users list`")
    return user


def _credential(session: Session, user_id: int, kind: str) -> UserAuth | None:
    return session.exec(
        select(UserAuth).where(UserAuth.user_id == user_id, UserAuth.kind == kind, col(UserAuth.revoked_at).is_(None))
    ).first()


def _is_protected(session: Session, user_id: int) -> bool:
    return (
        session.exec(
            select(UserAuth.id).where(
                UserAuth.user_id == user_id,
                col(UserAuth.kind).in_(PROTECTING_KINDS),
                col(UserAuth.revoked_at).is_(None),
            )
        ).first()
        is not None
    )


def _protected_admins(session: Session, excluding: int | None = None) -> int:
    """How many active admins can log in (have a password or an OAuth identity), leaving one out if asked."""
    query = (
        select(func.count(func.distinct(User.id)))
        .join(UserAuth, col(UserAuth.user_id) == col(User.id))
        .where(
            User.role == "admin",
            col(User.is_active).is_(True),
            col(UserAuth.kind).in_(PROTECTING_KINDS),
            col(UserAuth.revoked_at).is_(None),
        )
    )
    if excluding is not None:
        query = query.where(col(User.id) != excluding)
    return int(session.exec(query).one())


def _first_role(session: Session, user_id: int | None = None) -> str:
    """The role of an account that is becoming protected: admin if no other admin can log in, else member.

    When it becomes the first such admin, an admin that cannot log in (the local user, admin of a single-person
    install) becomes a member: from now on admin powers need a login.
    """
    if _protected_admins(session, excluding=user_id):
        return "member"
    unprotected = session.exec(select(User).where(User.role == "admin", col(User.id) != user_id)).all()
    for user in unprotected:
        if user.id is not None and not _is_protected(session, user.id):
            user.role = "member"
            session.add(user)
    return "admin"


# ---- sessions ----------------------------------------------------------------------------------------------


def _label(label: str | None) -> str | None:
    if label is None:
        return None
    text = " ".join(label.split())[:LABEL_MAX]
    return validate.optional_text(text, "session label", LABEL_MAX)


def start_session(actx: AuthContext, user: User, *, label: str | None, outcome: str = "logged_in") -> Login:
    """A new CLI session for a user: a random token, stored as its SHA-256, valid for 30 days."""
    assert user.id is not None
    now = actx.now()
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
    row.revoked_at = actx.now()
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
    now = actx.now()
    rows = actx.session.exec(query.order_by(col(UserAuth.created_at).desc(), col(UserAuth.id).desc())).all()
    views = []
    for row, username in rows:
        ended = row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now)
        if ended and not include_ended:
            continue
        views.append(_session_view(row, username, acting.session_id))
    return views


def revoke_session(actx: AuthContext, session_id: int) -> SessionView:
    """End one session (or a refresh-token family) of the acting user; an admin may end anyone's."""
    acting = actx.actor()
    row = actx.session.get(UserAuth, session_id)
    mine = row is not None and row.user_id == acting.user.id
    if row is not None and not mine:
        try:
            require_admin(actx)
        except PermissionDenied:
            row = None  # another user's session is not something a member can even see
    if row is None or row.kind not in (SESSION_KIND, REFRESH_KIND):
        raise NotFound(f"no session with id {session_id}", hint="see `paa auth sessions`")
    now = actx.now()
    if row.kind == REFRESH_KIND and row.family:
        from paa.core.accounts.tokens import revoke_family

        revoke_family(actx.session, row.family, now)
    elif row.revoked_at is None:
        row.revoked_at = now
        actx.session.add(row)
    actx.session.flush()
    owner = actx.session.get(User, row.user_id)
    return _session_view(row, owner.username if owner else "?", acting.session_id)


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


# ---- registering and logging in ----------------------------------------------------------------------------


def register(
    actx: AuthContext,
    username: str,
    password: str,
    *,
    email: str | None = None,
    display_name: str | None = None,
    label: str | None = "cli",
) -> Login:
    """Create an account with a password and log it in; the first account that can log in becomes admin."""
    name = rules.new_username(username)
    address = rules.email(email)
    shown = rules.display_name(display_name)
    secret = rules.check_new_password(password, user_name=name, email_address=address)
    session = actx.session
    if _user_named(session, name) is not None:
        raise Conflict(f"the user name {name!r} is taken", hint="choose another one")
    if address is not None and session.exec(select(User.id).where(User.email == address)).first() is not None:
        raise Conflict("an account with that email address already exists", hint="log in to it instead")
    now = actx.now()
    user = User(username=name, email=address, display_name=shown, role=_first_role(session), created_at=now,
                last_login=now)  # fmt: skip
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"the user name {name!r} or that email was just taken", hint="try again") from None
    assert user.id is not None
    for key, value in initial_preferences(actx.loaded).items():
        session.add(UserPreference(user_id=user.id, key=key, value=json.dumps(value), updated_at=now))
    hashed = hash_password(secret, actx.params)
    session.add(UserAuth(user_id=user.id, kind=PASSWORD_KIND, secret_hash=hashed, created_at=now))
    return start_session(actx, user, label=label, outcome="registered")


def authenticate(actx: AuthContext, username: str, password: str, *, source: str) -> User:
    """Check a user name and password, with the slowdown; record the login; re-hash an outdated hash.

    A failure is committed before AuthError is raised, so the slowdown holds even though the command fails.
    """
    session, now, params = actx.session, actx.now(), actx.params
    typed = str(username).strip().lower()[:200]
    keys = [account_key(typed), source_key(source)]
    check_allowed(session, keys, now)
    user: User | None = None
    credential: UserAuth | None = None
    try:
        user = _user_named(session, rules.username(typed))
        secret = rules.password_text(password)
    except InvalidInput:
        user, secret = None, ""
    if user is not None and user.id is not None:
        credential = _credential(session, user.id, PASSWORD_KIND)
    stored = credential.secret_hash if credential is not None and credential.secret_hash else dummy_hash(params)
    matches = verify_password(stored, secret, params) and credential is not None
    if not matches or user is None or credential is None:
        wait = record_failure(session, keys, now)
        session.commit()
        hint = f"wait {int(wait.total_seconds())} s before the next try" if wait else "check both and try again"
        raise AuthError(WRONG, hint=hint)
    if not user.is_active:
        raise AuthError(f"the account {user.username} is disabled", hint="ask an admin to enable it")
    record_success(session, [account_key(typed)])
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
    return issue_tokens(actx.session, user, actx.now(), label=_label(label))


def change_password(
    actx: AuthContext, current: str | None, new: str, *, source: str, label: str | None = "cli"
) -> Login | None:
    """Set the acting user's password (checking the current one first); end their other sessions.

    The local profile without a password gets one here and becomes an account (admin if it is the first); then
    a session is started and returned, because from now on it must log in.
    """
    acting = actx.actor()
    session, now = actx.session, actx.now()
    user = session.get(User, acting.user.id)
    if user is None:
        raise NotFound("your account no longer exists")
    assert user.id is not None
    credential = _credential(session, user.id, PASSWORD_KIND)
    protected = _is_protected(session, user.id)
    if protected and not acting.authenticated:
        raise AuthError(f"log in as {user.username} first", hint=f"paa auth login {user.username}")
    if credential is not None:
        if current is None:
            raise InvalidInput("give your current password too")
        authenticate(actx, user.username, current, source=source)
    secret = rules.check_new_password(new, user_name=user.username, email_address=user.email)
    hashed = hash_password(secret, actx.params)
    if credential is None:
        if not protected:
            user.role = _first_role(session, user.id)
            session.add(user)
        session.add(UserAuth(user_id=user.id, kind=PASSWORD_KIND, secret_hash=hashed, created_at=now))
    else:
        credential.secret_hash = hashed
        session.add(credential)
    revoke_all_sessions(session, user.id, now, keep=acting.session_id)
    session.flush()
    if acting.session_id is None:
        return start_session(actx, user, label=label)
    return None


def whoami(actx: AuthContext) -> WhoAmI:
    acting = actx.actor()
    user = actx.session.get(User, acting.user.id) or acting.user
    current = None
    if acting.session_id is not None:
        row = actx.session.get(UserAuth, acting.session_id)
        if row is not None:
            current = _session_view(row, user.username, acting.session_id)
    return WhoAmI(user_view(actx.session, user), acting.via, acting.authenticated, current)


# ---- admins ------------------------------------------------------------------------------------------------


def require_admin(actx: AuthContext) -> Acting:
    """The acting user, if they are an admin who may act as one now; else PermissionDenied (or AuthError)."""
    acting = actx.actor()
    user = actx.session.get(User, acting.user.id) or acting.user
    rbac.require_admin(user, authenticated=acting.authenticated, accounts_exist=actx.accounts_exist())
    return acting


def require_install_admin() -> None:
    """Install-wide changes (API keys, config.toml) serve everyone: with accounts, only an admin makes them."""
    with open_auth() as actx:
        if actx.accounts_exist():
            require_admin(actx)


def list_users(actx: AuthContext) -> list[UserView]:
    require_admin(actx)
    users = list(actx.session.exec(select(User).order_by(col(User.id))).all())
    return _views(actx.session, users)


def set_role(actx: AuthContext, username: str, role: str) -> UserView:
    """Make a user an admin or a member; the last admin who can log in cannot be demoted."""
    require_admin(actx)
    wanted = rbac.check_role(role)
    user = find_user(actx.session, username)
    assert user.id is not None
    if wanted != "admin" and user.role == "admin" and _keeps_admins(actx.session, user) is False:
        raise PermissionDenied(f"{user.username} is the last admin", hint="make someone else an admin first")
    user.role = wanted
    actx.session.add(user)
    actx.session.flush()
    return user_view(actx.session, user)


def set_active(actx: AuthContext, username: str, active: bool) -> UserView:
    """Enable or disable an account; disabling ends its sessions, and the last admin cannot be disabled."""
    acting = require_admin(actx)
    user = find_user(actx.session, username)
    assert user.id is not None
    if not active:
        if user.id == acting.user.id:
            raise PermissionDenied("you cannot disable your own account", hint="ask another admin")
        if user.role == "admin" and _keeps_admins(actx.session, user) is False:
            raise PermissionDenied(f"{user.username} is the last admin", hint="make someone else an admin first")
        revoke_all_sessions(actx.session, user.id, actx.now())
    user.is_active = active
    actx.session.add(user)
    actx.session.flush()
    return user_view(actx.session, user)


def _keeps_admins(session: Session, leaving: User) -> bool:
    """Whether another admin who can log in remains once `leaving` stops being one."""
    return _protected_admins(session, excluding=leaving.id) > 0


# ---- OAuth identities --------------------------------------------------------------------------------------


def sign_in_with_identity(actx: AuthContext, provider: str, subject: str, *, email: str | None,
                          email_verified: bool, name_hint: str | None, label: str | None = "cli") -> Login:  # fmt: skip
    """Log in with an identity a provider vouched for, linking it to the logged-in account or a new one.

    - A known identity logs its account in.
    - Otherwise, a logged-in user gets it linked to their account.
    - Otherwise a new account is made (admin if it is the first that can log in). An existing account with the
      same email is never taken over: its owner must log in and link the identity themselves.
    """
    session, now = actx.session, actx.now()
    subject = validate.clean_text(str(subject), "identity", 256)
    row = session.exec(
        select(UserAuth).where(
            UserAuth.kind == OAUTH_KIND,
            UserAuth.provider == provider,
            UserAuth.subject == subject,
            col(UserAuth.revoked_at).is_(None),
        )
    ).first()
    if row is not None:
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            raise AuthError("the account linked to that identity is disabled", hint="ask an admin to enable it")
        row.last_used_at = now
        user.last_login = now
        session.add_all([row, user])
        return start_session(actx, user, label=label)
    acting = actx.acting
    if acting is not None and acting.authenticated:
        user = session.get(User, acting.user.id)
        assert user is not None and user.id is not None
        session.add(UserAuth(user_id=user.id, kind=OAUTH_KIND, provider=provider, subject=subject, created_at=now,
                             last_used_at=now, label=(email or name_hint or "")[:LABEL_MAX] or None))  # fmt: skip
        user.last_login = now
        session.add(user)
        return start_session(actx, user, label=label, outcome="linked")
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
                role=_first_role(session), created_at=now, last_login=now)  # fmt: skip
    session.add(user)
    session.flush()
    assert user.id is not None
    for key, value in initial_preferences(actx.loaded).items():
        session.add(UserPreference(user_id=user.id, key=key, value=json.dumps(value), updated_at=now))
    session.add(UserAuth(user_id=user.id, kind=OAUTH_KIND, provider=provider, subject=subject, created_at=now,
                         last_used_at=now, label=(address or name_hint or "")[:LABEL_MAX] or None))  # fmt: skip
    return start_session(actx, user, label=label, outcome="created")


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
    while _user_named(session, candidate) is not None:
        number += 1
        candidate = f"{base}{number}"
    return candidate


__all__ = ["LOCAL_USERNAME", "AuthContext", "Login", "SessionView", "UserView", "WhoAmI", "open_auth"]
