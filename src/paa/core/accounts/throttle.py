"""The login slowdown: after a few failures, an account name and a source each wait, twice as long every time.

Failures are counted per account name (whether or not it exists, so the slowdown says nothing about which names
are real) and per source (the OS user on the CLI; the client address on a server). While either is blocked, a
login is refused at once, before any password is checked. A success clears the account's count; a quiet day
clears any count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from paa.db.models import LoginAttempt
from paa.errors import AuthError

FREE_FAILURES = 3  # failures allowed before the first wait
FIRST_WAIT = timedelta(seconds=1)
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)  # a count with no failure for this long starts again from zero


def account_key(user_name: str) -> str:
    return f"user:{user_name.strip().lower()[:190]}"


def source_key(source: str) -> str:
    return f"source:{source[:190]}"


def wait_after(failures: int) -> timedelta:
    """How long to block after this many failures in a row: 0 for the first few, then 1 s, 2 s, 4 s, ... 15 min."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_WAIT * (2 ** (failures - FREE_FAILURES)), LONGEST_WAIT)


def _rows(session: Session, keys: Sequence[str]) -> list[LoginAttempt]:
    return list(session.exec(select(LoginAttempt).where(col(LoginAttempt.key).in_(list(keys)))).all())


def check_allowed(session: Session, keys: Sequence[str], now: datetime) -> None:
    """Raise AuthError saying how long to wait when any of the keys is blocked now."""
    blocked = [row.blocked_until for row in _rows(session, keys) if row.blocked_until and row.blocked_until > now]
    if blocked:
        seconds = max(1, int((max(blocked) - now).total_seconds() + 0.999))
        raise AuthError("too many failed logins", hint=f"wait {seconds} s and try again; each failure doubles the wait")


def record_failure(session: Session, keys: Sequence[str], now: datetime) -> timedelta:
    """Count one failure for each key and block it as long as its count says; return the longest wait set."""
    existing = {row.key: row for row in _rows(session, keys)}
    longest = timedelta(0)
    for key in keys:
        row = existing.get(key) or LoginAttempt(key=key, failures=0)
        if row.last_failure_at is not None and now - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        wait = wait_after(row.failures)
        row.blocked_until = now + wait if wait else None
        longest = max(longest, wait)
        session.add(row)
    session.flush()
    return longest


def record_success(session: Session, keys: Sequence[str]) -> None:
    """Clear the counts of these keys."""
    session.execute(delete(LoginAttempt).where(col(LoginAttempt.key).in_(list(keys))))
