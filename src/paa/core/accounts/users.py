"""Users: the implicit local user, which user a command acts as, and each user's stored preferences.

Choosing the acting user is on every command's path, so it stays cheap: with a CLI session it is one query
on the indexed token hash; without accounts, one query on the indexed user name. No password hashing and no
token library is involved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Engine, bindparam, exists, literal
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from paa.clock import Clock, SystemClock
from paa.config import LoadedSettings, Paths, Settings, Source, validate_value
from paa.core.context import Acting as Acting  # defined with the Context it describes; named here by habit
from paa.core.context import Preferences
from paa.core.context import Via as Via
from paa.db.engine import writer
from paa.db.models import User, UserAuth, UserPreference
from paa.errors import AuthError, NotFound

LOCAL_USERNAME = "local"
USER_VARIABLE = "PAA_USER"
SESSION_KIND = "session"
PROTECTING_KINDS = ("password", "oauth")  # a user with one of these must log in to be acted as
# The preferences every core call reads (`ctx.prefs`), fixed for a user when the user is created. The other
# user-scope settings (the assistant's) are stored only when the person sets them, so a new default reaches them.
PREFERENCE_FIELDS = tuple(field.name for field in fields(Preferences))


def detect_timezone() -> str:
    """The system's IANA zone name, or UTC when it cannot be told."""
    try:
        import tzlocal

        name = tzlocal.get_localzone_name()
    except Exception:  # tzlocal raises several kinds on odd systems; UTC is a safe answer
        return "UTC"
    try:
        return validate_value("timezone", name) if name else "UTC"
    except Exception:
        return "UTC"


def ensure_local_user(engine: Engine, loaded: LoadedSettings, clock: Clock) -> User:
    """Return the local user, creating it with its preferences on first use.

    Once accounts exist, whoever runs paa is no longer the local user: this refuses (AuthError) rather than let
    a caller act as `local` by mistake. Such callers should ask `resolve_acting` who is acting.
    """
    with Session(engine, expire_on_commit=False) as session:
        if accounts_exist(session):
            raise AuthError(
                "this part of paa cannot act for a logged-in user yet (it would act as the local user)",
                hint="see 'Not done yet' in docs/security.md",
            )
        user = session.exec(select(User).where(User.username == LOCAL_USERNAME)).first()
        if user is not None:
            return user
    with Session(writer(engine), expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.username == LOCAL_USERNAME)).first()
        if user is not None:  # created by another process while we waited for the lock
            return user
        now = clock.now()
        user = User(username=LOCAL_USERNAME, role="admin", created_at=now)
        session.add(user)
        session.flush()
        assert user.id is not None
        for field, value in initial_preferences(loaded).items():
            session.add(UserPreference(user_id=user.id, key=field, value=json.dumps(value), updated_at=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return session.exec(select(User).where(User.username == LOCAL_USERNAME)).one()
        return user


def initial_preferences(loaded: LoadedSettings) -> dict[str, Any]:
    """A new user's preferences: config.toml values where given, the detected zone, else defaults."""
    defaults = Settings()
    values: dict[str, Any] = {}
    for field in PREFERENCE_FIELDS:
        if field in loaded.file_values:
            values[field] = loaded.file_values[field]
        elif field == "timezone":
            values[field] = detect_timezone()
        else:
            values[field] = getattr(defaults, field)
    return values


@cache
def _stored_preferences_query() -> Any:
    # Built once: every context reads the preferences, and building the statement cost as much as running it.
    return select(UserPreference.key, UserPreference.value).where(UserPreference.user_id == bindparam("user_id"))


def stored_preferences(session: Session, user_id: int) -> dict[str, Any]:
    # The two columns, not the rows: every context reads them, and loading ORM rows cost five times as much.
    rows = session.exec(_stored_preferences_query(), params={"user_id": user_id}).all()
    stored: dict[str, Any] = {}
    for key, value in rows:
        checked = _checked_value(key, value)
        if checked is not _DAMAGED:  # a damaged row falls back to the default rather than breaking paa
            stored[key] = checked
    return stored


_DAMAGED = object()


@lru_cache(maxsize=512)
def _checked_value(key: str, stored: str) -> Any:
    """A stored preference's value, checked; the same text always gives the same (immutable) value, and checking
    it validated a whole Settings model each time, on every context (every API request)."""
    try:
        return validate_value(key, json.loads(stored))
    except Exception:
        return _DAMAGED


@cache
def _defaults() -> Settings:
    return Settings()  # only read: the defaults never change in a process


def resolve_preference(field: str, loaded: LoadedSettings, stored: dict[str, Any]) -> tuple[Any, Source]:
    """One user preference with where it came from: env > stored > config.toml > default."""
    if field in loaded.env_values:
        return loaded.env_values[field], "env"
    if field in stored:
        return stored[field], "stored"
    if field in loaded.file_values:
        return loaded.file_values[field], "file"
    if field == "timezone":
        return detect_timezone(), "detected"
    return getattr(_defaults(), field), "default"


def effective_preferences(session: Session, user: User, loaded: LoadedSettings) -> Preferences:
    assert user.id is not None
    stored = stored_preferences(session, user.id)
    values = {field: resolve_preference(field, loaded, stored)[0] for field in PREFERENCE_FIELDS}
    return Preferences(**values)


def set_preference(session: Session, user_id: int, field: str, value: Any, clock: Clock) -> None:
    """Store one preference for a user (already validated)."""
    row = session.exec(
        select(UserPreference).where(UserPreference.user_id == user_id, UserPreference.key == field)
    ).first()
    if row is None:
        row = UserPreference(user_id=user_id, key=field, value="null", updated_at=clock.now())
    row.value = json.dumps(value)
    row.updated_at = clock.now()
    session.add(row)


# ---- who a command acts as ------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    """How a session or refresh token is stored: its SHA-256 (the token is random, so no salt or stretching)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def selected_name(environ: Mapping[str, str]) -> str | None:
    """The user named by PAA_USER, normalised, if any."""
    return normalised_name(environ.get(USER_VARIABLE))


def normalised_name(name: str | None) -> str | None:
    """A user name as a person typed it, the way users are stored (None for none or blank)."""
    raw = (name or "").strip().lower()
    return raw or None


def _profile(session: Session, name: str) -> tuple[User, bool, bool] | None:
    """A user by name, whether they are protected, and whether any user is: one query on indexed columns."""
    protecting = col(UserAuth.kind).in_(PROTECTING_KINDS) & col(UserAuth.revoked_at).is_(None)
    protected = exists().where(col(UserAuth.user_id) == col(User.id), protecting)
    accounts = exists(select(literal(1)).select_from(UserAuth).where(protecting))
    row = session.exec(select(User, protected, accounts).where(User.username == name)).first()
    if row is None:
        return None
    user, is_protected, accounts_exist = row
    return user, bool(is_protected), bool(accounts_exist)


def accounts_exist(session: Session) -> bool:
    """Whether any user is protected by a password or OAuth (then users are kept apart and admins must log in)."""
    protecting = col(UserAuth.kind).in_(PROTECTING_KINDS) & col(UserAuth.revoked_at).is_(None)
    return session.exec(select(UserAuth.id).where(protecting).limit(1)).first() is not None


def session_for(session: Session, token: str) -> tuple[UserAuth, User] | None:
    """The session credential of a token and its user: one query on the indexed hash.

    Only the hash is in the WHERE clause, so SQLite cannot prefer the (kind, user_id) index, which would make it
    walk every session; the kind is checked here.
    """
    rows = session.exec(
        select(UserAuth, User)
        .join(User, col(User.id) == col(UserAuth.user_id))
        .where(UserAuth.secret_hash == token_digest(token))
    ).all()
    found = [(credential, user) for credential, user in rows if credential.kind == SESSION_KIND]
    return found[0] if found else None


def check_session(credential: UserAuth, user: User, now: datetime, name: str | None = None) -> None:
    """Refuse a revoked or expired session, or one of a disabled account."""
    who = name or user.username
    if credential.revoked_at is not None:
        raise AuthError(f"your session as {who} was ended (logged out or revoked)", hint=f"paa auth login {who}")
    if credential.expires_at is not None and credential.expires_at <= now:
        raise AuthError(f"your session as {who} has expired", hint=f"log in again: paa auth login {who}")
    if not user.is_active:
        raise AuthError(f"the account {who} is disabled", hint="ask an admin to enable it")


def resolve_acting(
    engine: Engine,
    paths: Paths,
    loaded: LoadedSettings,
    clock: Clock,
    wanted: str | None,
    *,
    security_clock: Clock | None = None,
) -> Acting:
    """The user this command acts as: `wanted` (PAA_USER, `paa --user`) or the CLI's session, else the local user.

    A user with a password (or an OAuth identity) must have a valid session; a user without one (the local
    profile) can be named freely. When accounts exist and nobody is logged in, this raises AuthError rather than
    guessing. A session's expiry is judged by `security_clock` (the system clock unless a test gives one), never
    by `clock`, which PAA_NOW may move.
    """
    from paa.core.accounts.tokenfile import read_tokens

    wanted = normalised_name(wanted)
    stored = read_tokens(paths)
    name = wanted or stored.current
    with Session(engine, expire_on_commit=False) as session:
        token = stored.tokens.get(name) if name else None
        if name is not None and token is not None:
            found = session_for(session, token)
            if found is None:
                raise AuthError(
                    f"your session as {name} is not known here", hint=f"log in again: paa auth login {name}"
                )
            credential, user = found
            if user.username != name:
                raise AuthError(f"the stored session for {name} belongs to someone else", hint="paa auth login")
            check_session(credential, user, (security_clock or SystemClock()).now(), name)
            return Acting(user, "session", True, True, credential.id, credential.last_used_at)
        if wanted is not None:
            profile = _profile(session, wanted)
            if profile is None:
                raise NotFound(
                    f"no user named {wanted!r}", hint="see `paa auth whoami`, or register with `paa auth register`"
                )
            user, protected, accounts = profile
            if protected:
                raise AuthError(f"{wanted} has a password: log in first", hint=f"paa --user {wanted} auth login")
            if not user.is_active:
                raise AuthError(f"the account {wanted} is disabled", hint="ask an admin to enable it")
            return Acting(user, "profile", False, accounts)
        profile = _profile(session, LOCAL_USERNAME)
        if profile is None and accounts_exist(session):
            raise AuthError("paa has accounts and nobody is logged in", hint="log in with `paa auth login`")
    if profile is None:
        return Acting(ensure_local_user(engine, loaded, clock), "local", False, False)
    user, protected, accounts = profile
    if protected or accounts:
        hint = "log in with `paa auth login`" + ("" if protected else ", or use the shared profile: paa --user local")
        raise AuthError("paa has accounts and nobody is logged in", hint=hint)
    return Acting(user, "local", False, False)


def recheck_acting(session: Session, acting: Acting, now: datetime) -> None:
    """Refuse (AuthError) when who is acting no longer may: one query on a primary key, made by every write.

    A session must still be open, unexpired and its account enabled; a profile acted as without a password must
    still have none (and be enabled). The local user and trusted code are not checked.
    """
    if acting.session_id is not None:
        row = session.exec(
            select(UserAuth, User)
            .join(User, col(User.id) == col(UserAuth.user_id))
            .where(UserAuth.id == acting.session_id)
        ).first()
        if row is None:
            who = acting.user.username
            raise AuthError(f"your session as {who} was ended (logged out or revoked)", hint=f"paa auth login {who}")
        check_session(*row, now, acting.user.username)
        return
    if acting.via != "profile":
        return
    protecting = col(UserAuth.kind).in_(PROTECTING_KINDS) & col(UserAuth.revoked_at).is_(None)
    protected = exists().where(col(UserAuth.user_id) == col(User.id), protecting)
    found = session.exec(select(User, protected).where(User.id == acting.user.id)).first()
    name = acting.user.username
    if found is None:
        raise AuthError(f"the account {name} no longer exists", hint="see `paa auth whoami`")
    user, is_protected = found
    if is_protected:
        raise AuthError(f"{name} has a password now: log in first", hint=f"paa --user {name} auth login")
    if not user.is_active:
        raise AuthError(f"the account {name} is disabled", hint="ask an admin to enable it")


def logged_in_names(paths: Paths) -> list[str]:
    """The users with a session stored on this machine (in the data folder), by name."""
    from paa.core.accounts.tokenfile import read_tokens

    return sorted(read_tokens(paths).tokens)


def acting_marker(acting: Acting, paths: Paths) -> str | None:
    """The name to show beside what a command does when it could be someone else: several accounts logged in here."""
    if acting.via != "session" or len(logged_in_names(paths)) < 2:
        return None
    return acting.user.username


def system_acting(engine: Engine, user_id: int) -> Acting:
    """Act as a given user from trusted code (the reminder daemon serving every user); never from user input."""
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id}")
        profile = _profile(session, user.username)
    return Acting(user, "system", False, profile is not None and profile[2])
