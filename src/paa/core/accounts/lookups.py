"""Finding accounts and their credentials, and the role an account gets when it becomes one that must log in."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from paa.core.accounts import rules
from paa.core.accounts.users import PROTECTING_KINDS
from paa.db.models import User, UserAuth
from paa.errors import InvalidInput, NotFound


def user_named(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.username == name)).first()


def find_user(session: Session, name: str) -> User:
    """A user by name, or NotFound."""
    try:
        key = rules.username(name)
    except InvalidInput:
        raise NotFound(f"no user named {name[:40]!r}", hint="see `paa users list`") from None
    user = user_named(session, key)
    if user is None:
        raise NotFound(f"no user named {key!r}", hint="see `paa users list`")
    return user


def active_credential(session: Session, user_id: int, kind: str) -> UserAuth | None:
    return session.exec(
        select(UserAuth).where(UserAuth.user_id == user_id, UserAuth.kind == kind, col(UserAuth.revoked_at).is_(None))
    ).first()


def is_protected(session: Session, user_id: int) -> bool:
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


def protected_admins(session: Session, excluding: int | None = None) -> int:
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


def first_role(session: Session, user_id: int | None = None) -> str:
    """The role of an account that is becoming protected: admin if no other admin can log in, else member.

    When it becomes the first such admin, an admin that cannot log in (the local user, admin of a single-person
    install) becomes a member: from now on admin powers need a login.
    """
    if protected_admins(session, excluding=user_id):
        return "member"
    unprotected = session.exec(select(User).where(User.role == "admin", col(User.id) != user_id)).all()
    for user in unprotected:
        if user.id is not None and not is_protected(session, user.id):
            user.role = "member"
            session.add(user)
    return "admin"
