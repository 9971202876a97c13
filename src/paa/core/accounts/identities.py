"""OAuth identities: signing in with one a provider vouched for, linking it to an account or making one."""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from paa.core import validate
from paa.core.accounts import rules
from paa.core.accounts.auth import LABEL_MAX, OAUTH_KIND, AuthContext
from paa.core.accounts.lookups import first_role, user_named
from paa.core.accounts.sessions import Login, start_session
from paa.core.accounts.users import initial_preferences
from paa.db.models import User, UserAuth, UserPreference
from paa.errors import AuthError, InvalidInput


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
                role=first_role(session), created_at=now, last_login=now)  # fmt: skip
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
    while user_named(session, candidate) is not None:
        number += 1
        candidate = f"{base}{number}"
    return candidate
