"""Password accounts: registering one, and changing its password (which makes the local profile an account)."""

from __future__ import annotations

import json

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from paa.core.accounts import rules
from paa.core.accounts.auth import OAUTH_KIND, PASSWORD_KIND, AuthContext
from paa.core.accounts.lookups import active_credential, first_role, is_protected, user_named
from paa.core.accounts.passwords import hash_password
from paa.core.accounts.sessions import Login, authenticate, revoke_all_sessions, start_session
from paa.core.accounts.users import initial_preferences
from paa.db.models import User, UserAuth, UserPreference
from paa.errors import AuthError, Conflict, InvalidInput, NotFound


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
    user = create_account(actx, username, password, email=email, display_name=display_name)
    return start_session(actx, user, label=label, outcome="registered")


def create_account(
    actx: AuthContext, username: str, password: str, *, email: str | None = None, display_name: str | None = None
) -> User:
    """A new account with a password (for `register`, or an API client that then gets tokens instead of a session)."""
    name = rules.new_username(username)
    address = rules.email(email)
    shown = rules.display_name(display_name)
    secret = rules.check_new_password(password, user_name=name, email_address=address)
    session = actx.session
    if user_named(session, name) is not None:
        raise Conflict(f"the user name {name!r} is taken", hint="choose another one")
    if address is not None and session.exec(select(User.id).where(User.email == address)).first() is not None:
        raise Conflict("an account with that email address already exists", hint="log in to it instead")
    now = actx.now()
    user = User(username=name, email=address, display_name=shown, role=first_role(session), created_at=now,
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
    return user


def first_password_refusal(username: str, providers: tuple[str, ...] | list[str]) -> AuthError:
    """Why an account that signs in only through GitHub/Google cannot get a password from an open session alone."""
    flags = " or ".join(f"--{name}" for name in sorted(set(providers))) or "--github"
    return AuthError(
        f"{username} has no password yet: setting its first one takes proof through a linked identity, "
        "not only an open session",
        hint=f"paa auth passwd {flags}, and approve the code with the account linked to {username}",
    )


def change_password(
    actx: AuthContext,
    current: str | None,
    new: str,
    *,
    source: str,
    label: str | None = "cli",
    identity: tuple[str, str] | None = None,
) -> Login | None:
    """Set the acting user's password (checking the current one first); end their other sessions.

    An account that signs in only through GitHub/Google gets its first password only with `identity`, the
    (provider, user id) the provider has just vouched for, linked to that account: a session left open is no proof,
    and a password set by whoever sits at it would outlive every logout. The local profile without a password gets
    one here and becomes an account (admin if it is the first); then a session is started and returned, because
    from now on it must log in.
    """
    acting = actx.actor()
    session, now = actx.session, actx.now()
    user = session.get(User, acting.user.id)
    if user is None:
        raise NotFound("your account no longer exists")
    assert user.id is not None
    credential = active_credential(session, user.id, PASSWORD_KIND)
    protected = is_protected(session, user.id)
    if protected and not acting.authenticated:
        raise AuthError(f"log in as {user.username} first", hint=f"paa auth login {user.username}")
    if credential is not None:
        if current is None:
            raise InvalidInput("give your current password too")
        authenticate(actx, user.username, current, source=source)
    elif protected:
        _prove_identity(actx, user, identity)
    secret = rules.check_new_password(new, user_name=user.username, email_address=user.email)
    hashed = hash_password(secret, actx.params)
    if credential is None:
        if not protected:
            user.role = first_role(session, user.id)
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


def _prove_identity(actx: AuthContext, user: User, identity: tuple[str, str] | None) -> None:
    """Refuse unless `identity` is one of the account's linked identities (marking it used)."""
    assert user.id is not None
    linked = actx.session.exec(
        select(UserAuth).where(
            UserAuth.user_id == user.id, UserAuth.kind == OAUTH_KIND, col(UserAuth.revoked_at).is_(None)
        )
    ).all()
    if identity is None:
        raise first_password_refusal(user.username, [row.provider or "" for row in linked if row.provider])
    provider, subject = identity
    row = next((row for row in linked if (row.provider, row.subject) == (provider, str(subject))), None)
    if row is None:
        raise AuthError(
            f"that {provider} identity is not linked to {user.username}",
            hint=f"approve the code with the {provider} account linked to {user.username} (see `paa auth identities`)",
        )
    row.last_used_at = actx.now()
    actx.session.add(row)
