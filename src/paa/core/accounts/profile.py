"""A person's own profile: the display name and email address they see and are reached at."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from paa.core.accounts import rules
from paa.core.accounts.auth import AuthContext
from paa.core.accounts.views import UserView, user_view
from paa.db.models import User
from paa.errors import AuthError, Conflict, InvalidInput

KEEP: Any = object()  # leave a field as it is


def my_profile(actx: AuthContext) -> UserView:
    """The acting user's account as `paa auth whoami` shows it."""
    return user_view(actx.session, _me(actx))


def update_profile(actx: AuthContext, *, email: str | None = KEEP, display_name: str | None = KEEP) -> UserView:
    """Change the acting user's display name and email (None clears one); KEEP leaves a field as it is.

    An address another account uses is refused (emails are unique, and sign-in with GitHub/Google matches on them).
    """
    user = _me(actx)
    if email is KEEP and display_name is KEEP:
        raise InvalidInput("nothing to change", hint="give `email` or `display_name`", field="display_name")
    if display_name is not KEEP:
        user.display_name = _field(lambda: rules.display_name(display_name), "display_name")
    if email is not KEEP:
        address = _field(lambda: rules.email(email), "email")
        taken = actx.session.exec(select(User.id).where(User.email == address, col(User.id) != user.id)).first()
        if address is not None and taken is not None:
            raise Conflict("another account uses that email address", field="email")
        user.email = address
    actx.session.add(user)
    actx.session.flush()
    return user_view(actx.session, user)


def _me(actx: AuthContext) -> User:
    acting = actx.actor()
    user = actx.session.get(User, acting.user.id)
    if user is None:  # deleted while the request ran
        raise AuthError("the account no longer exists", hint="log in again")
    return user


def _field(check: Any, name: str) -> Any:
    """Run a rule's check, naming the field its complaint is about."""
    try:
        return check()
    except InvalidInput as exc:
        exc.field = exc.field or name
        raise


__all__ = ["KEEP", "my_profile", "update_profile"]
