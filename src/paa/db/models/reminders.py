"""Custom reminders, the reminder cursor and every notification sent."""

# Annotations stay real objects here (no `from __future__ import annotations`): SQLModel would
# otherwise evaluate each string annotation again, a few milliseconds per table at every start.
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from paa.db.models.base import BIG_ID, instant


class Notification(SQLModel, table=True):
    """One delivery of one reminder on one channel; the unique key keeps it from firing twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "ref_id", "due_at", "channel"),
        Index("ix_notifications_user_status", "user_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=32)  # habit | checkin | custom
    ref_id: int | None = None
    channel: str = Field(max_length=32)
    title: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=2000)
    due_at: datetime = Field(sa_column=instant())
    # pending | sending | sent | logged | failed | missed | snoozed | done
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    error: str | None = None
    sent_at: datetime | None = Field(default=None, sa_column=instant(True))
    created_at: datetime = Field(sa_column=instant())
    claimed_by: str | None = Field(default=None, max_length=100)  # "host:pid" of the process delivering it
    claimed_at: datetime | None = Field(default=None, sa_column=instant(True))
    next_attempt_at: datetime | None = Field(default=None, sa_column=instant(True))  # retry of a failed one


class Reminder(SQLModel, table=True):
    """A custom reminder: once at an instant, or on a cron schedule in the user's time zone."""

    __tablename__ = "reminders"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    text: str = Field(max_length=200)
    kind: str = Field(max_length=8)  # once | cron
    at: datetime | None = Field(default=None, sa_column=instant(True))  # the instant of a one-off reminder
    cron: str | None = Field(default=None, max_length=100)  # "0 17 * * FRI", read in the user's zone
    active: bool = True
    created_at: datetime = Field(sa_column=instant())
    updated_at: datetime = Field(sa_column=instant())


class ReminderCursor(SQLModel, table=True):
    """How far reminders have been looked at for a user: due instants up to here are dealt with."""

    __tablename__ = "reminder_cursors"

    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    scanned_until: datetime = Field(sa_column=instant())
