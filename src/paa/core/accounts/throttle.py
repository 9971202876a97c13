"""The login slowdown: after a few failures, a (name, source) pair and a source each wait, twice as long every time.

A source is where logins come from: the OS user on the CLI, the client address on a server. Failures are counted
per pair of account name and source (whether or not the name exists, so the slowdown says nothing about which
names are real), and per source over every name. While either count blocks, a login is refused at once, before
any password is checked. Nothing is counted per account alone: failures from one source never lock an account
for the others, so nobody can lock someone else out. A source gets more free failures than a pair (it may be a
household sharing one OS account). A success clears its pair's count (not the source's: logging in to one's own
account must not reset a guessing spree); a quiet day clears any count. Times come from the system clock
(`AuthContext.secure_now`), never PAA_NOW.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from paa.db.models import LoginAttempt
from paa.errors import TooManyAttempts

FREE_FAILURES = 3  # failures allowed for a (name, source) pair before the first wait
FREE_SOURCE_FAILURES = 10  # failures allowed from one source, over every name, before it waits
FIRST_WAIT = timedelta(seconds=1)
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)  # a count with no failure for this long starts again from zero


def pair_key(user_name: str, source: str) -> str:
    """The count of one account name tried from one source."""
    return f"pair:{source[:120]}|{user_name.strip().lower()[:120]}"


def source_key(source: str) -> str:
    """The count of every name tried from one source."""
    return f"source:{source[:190]}"


def login_keys(user_name: str, source: str) -> list[str]:
    """The counts a login from `source` as `user_name` is checked against and adds to."""
    return [pair_key(user_name, source), source_key(source)]


def wait_after(failures: int, free: int = FREE_FAILURES) -> timedelta:
    """How long to block after this many failures in a row: 0 for the first `free`, then 1 s, 2 s, 4 s, ... 15 min."""
    if failures < free:
        return timedelta(0)
    return min(FIRST_WAIT * (2 ** (failures - free)), LONGEST_WAIT)


def _free(key: str) -> int:
    return FREE_SOURCE_FAILURES if key.startswith("source:") else FREE_FAILURES


def _rows(session: Session, keys: Sequence[str]) -> list[LoginAttempt]:
    return list(session.exec(select(LoginAttempt).where(col(LoginAttempt.key).in_(list(keys)))).all())


def check_allowed(session: Session, keys: Sequence[str], now: datetime) -> None:
    """Raise TooManyAttempts (an AuthError) saying how long to wait when any of the keys is blocked now."""
    blocked = [row.blocked_until for row in _rows(session, keys) if row.blocked_until and row.blocked_until > now]
    if blocked:
        seconds = max(1, int((max(blocked) - now).total_seconds() + 0.999))
        raise TooManyAttempts(
            "too many failed logins",
            hint=f"wait {seconds} s and try again; each failure doubles the wait",
            retry_after=seconds,
        )


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
        wait = wait_after(row.failures, _free(key))
        row.blocked_until = now + wait if wait else None
        longest = max(longest, wait)
        session.add(row)
    session.flush()
    return longest


def record_success(session: Session, keys: Sequence[str]) -> None:
    """Clear the counts of these keys."""
    session.execute(delete(LoginAttempt).where(col(LoginAttempt.key).in_(list(keys))))
