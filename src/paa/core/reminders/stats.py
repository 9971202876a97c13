"""Figures about reminder deliveries over every user, for a server's metrics (no user's rows are shown)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from paa.db.models import Notification

DELIVERED = ("sent", "logged")  # reached its channel (or, for the log channel and a desktop fallback, the log)


def delivered_by_channel(session: Session) -> dict[str, int]:
    """How many reminder deliveries reached each channel, from whichever process sent them (daemon or run-due)."""
    query = (
        select(Notification.channel, func.count())
        .where(col(Notification.status).in_(DELIVERED))
        .group_by(col(Notification.channel))
    )
    return {channel: int(count) for channel, count in session.exec(query).all()}


REDELIVERED = ("failed", "snoozed")  # rows the daemon sends again at their next_attempt_at
LATENESS_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class OutboxFigures:
    """The state of reminder delivery over every user, for the daemons' metrics (counts and seconds only)."""

    queue_depth: int  # deliveries under way, or due (again) now and not yet taken by a daemon
    oldest_waiting_seconds: float  # how long the longest-waiting of those has waited (0 with none)
    failed_by_channel: dict[str, int]  # deliveries whose last attempt failed: waiting for a retry, or given up
    lateness_seconds: list[float]  # from due to delivered, for each delivery of the last LATENESS_WINDOW


def outbox_figures(session: Session, now: datetime, window: timedelta = LATENESS_WINDOW) -> OutboxFigures:
    """What the outbox says of the daemons right now, whichever process (daemon or run-due) delivers."""
    waiting: list[datetime] = []
    rows = session.exec(
        select(Notification.status, Notification.due_at, Notification.next_attempt_at).where(
            col(Notification.status).in_(("pending", "sending", *REDELIVERED))
        )
    ).all()
    for status, due_at, next_attempt_at in rows:
        if status in ("pending", "sending"):
            if as_utc(due_at) <= now:
                waiting.append(as_utc(due_at))
        elif next_attempt_at is not None and as_utc(next_attempt_at) <= now:
            waiting.append(as_utc(next_attempt_at))  # a retry or a snoozed reminder waits from when it is due again
    failed = session.exec(
        select(Notification.channel, func.count())
        .where(col(Notification.status) == "failed")
        .group_by(col(Notification.channel))
    ).all()
    delivered = session.exec(
        select(Notification.due_at, Notification.sent_at).where(
            col(Notification.status).in_(DELIVERED),
            col(Notification.sent_at).is_not(None),
            col(Notification.sent_at) >= now - window,
        )
    ).all()
    lateness = [
        max(0.0, (as_utc(sent_at) - as_utc(due_at)).total_seconds()) for due_at, sent_at in delivered if sent_at
    ]
    return OutboxFigures(
        queue_depth=len(waiting),
        oldest_waiting_seconds=max(0.0, (now - min(waiting)).total_seconds()) if waiting else 0.0,
        failed_by_channel={channel: int(count) for channel, count in failed},
        lateness_seconds=lateness,
    )


def as_utc(instant: datetime) -> datetime:
    """An instant read back from the database, aware in UTC (SQLite hands back naive UTC)."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
