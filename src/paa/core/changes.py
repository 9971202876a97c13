"""The change feed: every write to a user's data leaves one row in `events`, whichever process made it.

A connected client (the API's WebSocket, a browser tab) follows the feed to refresh what it shows; ETags are
derived from the newest row. Recording is automatic: `Runtime.context(write=True)` watches what its session
writes and adds one `data:changed` row naming the areas touched, in the same transaction, so a rolled-back
write leaves no event and a committed one is never missed.

Readers follow the feed by id (`events_after(last seen)`), which needs ids to become visible in the order they
were given. SQLite gives that (one writer at a time). On PostgreSQL two transactions take ids from a sequence
and may commit in the other order, so a reader could see id 11 before 10 commits and pass 10 over for good.
There, `publish` first takes a transaction-scoped advisory lock, held until commit: transactions that add events
commit one after another from that point, so an id is given only once every smaller one is committed (or rolled
back) and visible. The lock covers just the end of a write (the event is its last statement), not the whole write.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, event, func, select
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, col, delete

from paa.core.feed_signal import ring_after_commit
from paa.db.models.events import ChangeEvent

DATA_CHANGED = "data:changed"
KEEP_FOR = timedelta(days=7)  # a client away longer reloads everything instead of resuming
PRUNE_EVERY = 500  # rows; pruning rides on an insert now and then instead of a timer
FEED_LOCK = 0x70_61_61_66  # the advisory lock key that orders the feed's commits on PostgreSQL ("paaf")
# What each table's rows are, to a client deciding what to refresh. Tables not named here (sign-in
# attempts, notification bookkeeping, the feed itself) are not the user's data and raise no event.
AREA_OF_TABLE: Mapping[str, str] = {
    "habits": "habits",
    "habit_logs": "habits",
    "daily_checkins": "checkins",
    "checkin_prompts": "checkins",
    "conversations": "chat",
    "messages": "chat",
    "memories": "memory",
    "reminders": "reminders",
    "reminder_cursor": "reminders",
    "users": "profile",
    "user_preferences": "profile",
}


@dataclass(frozen=True)
class FeedEvent:
    """One row of the feed, as a client receives it."""

    id: int
    type: str
    data: dict[str, Any]
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "data": self.data, "at": self.created_at.isoformat()}


class ChangeWatch:
    """Notes the areas a session writes to (ORM flushes and bulk UPDATE/DELETE statements alike)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.areas: set[str] = set()
        event.listen(session, "after_flush", self._flushed)
        event.listen(session, "do_orm_execute", self._executed)

    def _note(self, table: str | None) -> None:
        area = AREA_OF_TABLE.get(table or "")
        if area is not None:
            self.areas.add(area)

    def _flushed(self, session: Session, _context: object) -> None:
        for row in (*session.new, *session.dirty, *session.deleted):
            table = getattr(row, "__table__", None)
            self._note(getattr(table, "name", None))

    def _executed(self, state: ORMExecuteState) -> None:
        if state.is_update or state.is_delete:
            self._note(getattr(getattr(state.statement, "table", None), "name", None))

    def record(self, user_id: int, now: datetime) -> FeedEvent | None:
        """Add the `data:changed` row for what was written (nothing written, no row); call before commit."""
        self.session.flush()
        if not self.areas:
            return None
        return publish(self.session, user_id, DATA_CHANGED, {"areas": sorted(self.areas)}, now)

    def close(self) -> None:
        event.remove(self.session, "after_flush", self._flushed)
        event.remove(self.session, "do_orm_execute", self._executed)


def publish(session: Session, user_id: int, type_: str, data: Mapping[str, Any], now: datetime) -> FeedEvent:
    """Add one event to a user's feed, in the caller's transaction."""
    text = json.dumps(dict(data), separators=(",", ":"), default=str)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(FEED_LOCK)))  # ids commit in order: see the module's note
    row = ChangeEvent(user_id=user_id, type=type_, data=text[:4000], created_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    if row.id % PRUNE_EVERY == 0:
        session.execute(delete(ChangeEvent).where(col(ChangeEvent.created_at) < now - KEEP_FOR))
    ring_after_commit(session, user_id, row.id)  # with PAA_REDIS_URL: wakes every API worker once committed
    return FeedEvent(row.id, row.type, dict(data), now)


def latest_id(session: Session | Connection, user_id: int | None = None) -> int:
    """The newest event id (of one user, or of everyone); 0 when there is none. On a session's connection it runs
    as plain SQL, past the session guard's per-statement options (it names the user itself): the API asks on every
    cached read."""
    if user_id is None:
        return int(session.execute(select(func.max(ChangeEvent.id))).scalar() or 0)
    return int(session.execute(_latest_of_user(), {"user_id": user_id}).scalar() or 0)


@cache
def _latest_of_user() -> Any:
    # Built once (with a parameter): building it cost as much as running it, and the API asks on every read.
    return select(func.max(ChangeEvent.id)).where(col(ChangeEvent.user_id) == bindparam("user_id"))


def events_after(
    session: Session, after_id: int, *, user_id: int | None = None, limit: int = 500
) -> list[tuple[int, FeedEvent]]:
    """Events newer than `after_id`, oldest first, as (user id, event): a client's resume, or a server's fan-out."""
    query = select(ChangeEvent).where(col(ChangeEvent.id) > after_id).order_by(col(ChangeEvent.id)).limit(limit)
    if user_id is not None:
        query = query.where(col(ChangeEvent.user_id) == user_id)
    found: list[tuple[int, FeedEvent]] = []
    for row in session.scalars(query):
        assert row.id is not None
        found.append((row.user_id, FeedEvent(row.id, row.type, _data(row.data), row.created_at)))
    return found


def oldest_id(session: Session, user_id: int) -> int:
    """The oldest event id still kept for a user (0 when none): a resume from before it has missed events."""
    query = select(func.min(ChangeEvent.id)).where(col(ChangeEvent.user_id) == user_id)
    return int(session.execute(query).scalar() or 0)


def _data(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
