"""Whose reminders a daemon tick serves: every enabled account, and which of them owns the machine's channels.

A single-person install (no account can log in) has one user, whoever the runtime acts as, exactly as before
accounts existed. Once accounts exist, the daemon and `paa remind run-due` serve every enabled account, acting as
each in turn; the channels config.toml sets belong to the install's owner (docs/reminders.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from paa.core.accounts.users import accounts_exist
from paa.db.models import User


@dataclass(frozen=True)
class Recipient:
    """A user a tick serves; `owner` when the install-wide channels carry their reminders."""

    user_id: int
    owner: bool


def install_owner(session: Session) -> int | None:
    """The install's owner: its oldest enabled admin (the local user on a single-person install), if any."""
    query = select(User.id).where(User.role == "admin", col(User.is_active).is_(True)).order_by(col(User.id))
    return session.exec(query.limit(1)).first()


def is_install_owner(session: Session, user_id: int) -> bool:
    """Whether the install-wide channels carry this user's reminders: always without accounts (one user), else
    only for the install owner."""
    return not accounts_exist(session) or install_owner(session) == user_id


def reminder_recipients(session: Session) -> list[Recipient] | None:
    """Every enabled account, oldest first, the owner marked; None when no accounts exist (serve the acting user).

    Every enabled account has something that can fall due (the daily check-in prompt at least), so this is one
    query for the users and one for the owner; whether anything is due is each user's own scan.
    """
    if not accounts_exist(session):
        return None
    owner = install_owner(session)
    ids = session.exec(select(User.id).where(col(User.is_active).is_(True)).order_by(col(User.id))).all()
    return [Recipient(user_id, user_id == owner) for user_id in ids if user_id is not None]
