"""The tables of paa. Every user-owned row carries `user_id`; instants are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Column, DateTime, Index, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and gives them back aware (SQLite forgets the zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _instant(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(UTCDateTime(), nullable=nullable)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    email: str | None = Field(default=None, max_length=254, unique=True)
    display_name: str | None = Field(default=None, max_length=100)
    role: str = Field(default="member", max_length=16)
    is_active: bool = True
    created_at: datetime = Field(sa_column=_instant())
    last_login: datetime | None = Field(default=None, sa_column=_instant(True))


class UserAuth(SQLModel, table=True):
    """A credential: a password hash, a session or refresh token (hashed), or an OAuth identity.

    `kind` is password | session | refresh | oauth. Tokens are stored as their SHA-256, never as given out;
    refresh tokens of one login share a `family`, so reuse of a spent one revokes them all.
    """

    __tablename__ = "user_auth"
    __table_args__ = (
        Index("ix_user_auth_provider_subject", "provider", "subject"),
        Index("ix_user_auth_kind_user", "kind", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)
    secret_hash: str | None = Field(default=None, max_length=512, index=True)
    provider: str | None = Field(default=None, max_length=32)
    subject: str | None = Field(default=None, max_length=256)
    label: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=_instant())
    expires_at: datetime | None = Field(default=None, sa_column=_instant(True))
    last_used_at: datetime | None = Field(default=None, sa_column=_instant(True))
    revoked_at: datetime | None = Field(default=None, sa_column=_instant(True))
    family: str | None = Field(default=None, max_length=64, index=True)


class LoginAttempt(SQLModel, table=True):
    """Failed logins of one account name or one source, for the exponential slowdown (migration 0005)."""

    __tablename__ = "login_attempts"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # "user:<name>" or "source:<where from>"
    failures: int = 0
    last_failure_at: datetime | None = Field(default=None, sa_column=_instant(True))
    blocked_until: datetime | None = Field(default=None, sa_column=_instant(True))


class SigningKey(SQLModel, table=True):
    """A key that signs access tokens; a rotated-out key still verifies until `valid_until` (migration 0005)."""

    __tablename__ = "signing_keys"

    id: int | None = Field(default=None, primary_key=True)
    kid: str = Field(max_length=64, unique=True)
    algorithm: str = Field(default="HS256", max_length=16)
    secret: str = Field(max_length=256)  # base64url of the key bytes
    created_at: datetime = Field(sa_column=_instant())
    retired_at: datetime | None = Field(default=None, sa_column=_instant(True))
    valid_until: datetime | None = Field(default=None, sa_column=_instant(True))


class UserPreference(SQLModel, table=True):
    """One typed preference of one user; `value` holds JSON."""

    __tablename__ = "user_preferences"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    key: str = Field(max_length=64)
    value: str = Field(max_length=4096)
    updated_at: datetime = Field(sa_column=_instant())


class Habit(SQLModel, table=True):
    __tablename__ = "habits"
    __table_args__ = (UniqueConstraint("user_id", "name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=100)
    name_key: str = Field(max_length=100)  # casefolded name: names are unique regardless of case
    description: str | None = Field(default=None, max_length=2000)
    category: str | None = Field(default=None, max_length=50)
    color: str | None = Field(default=None, max_length=20)
    kind: str = Field(default="boolean", max_length=16)  # boolean | measurable
    unit: str | None = Field(default=None, max_length=30)
    target: float | None = None
    target_type: str = Field(default="at_least", max_length=16)  # at_least | at_most
    schedule_type: str = Field(default="daily", max_length=16)  # daily | weekdays | x_per_y
    weekdays: int = 0  # bit i set = due on weekday i (Monday = 0)
    times: int = 1
    period_days: int = 1
    reminder_times: str | None = Field(default=None, max_length=200)  # "09:00,13:00"
    reminder_days: int = 0  # weekday bits; 0 = the days the habit is due
    archived: bool = False
    position: int = 0
    created_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())


class HabitLog(SQLModel, table=True):
    """What happened to a habit on one local day: done (with a value when measurable) or skipped."""

    __tablename__ = "habit_logs"
    __table_args__ = (
        UniqueConstraint("habit_id", "day"),
        Index("ix_habit_logs_user_day", "user_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    habit_id: int = Field(foreign_key="habits.id", ondelete="CASCADE")
    day: date
    status: str = Field(max_length=16)  # done | skipped
    value: float | None = None
    note: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    title: str | None = Field(default=None, max_length=200)
    summary: str | None = None
    created_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())


class Message(SQLModel, table=True):
    __tablename__ = "messages"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    conversation_id: int = Field(foreign_key="conversations.id", ondelete="CASCADE", index=True)
    role: str = Field(max_length=16)  # user | assistant | tool
    content: str
    tool_calls: str | None = None  # JSON
    model: str | None = Field(default=None, max_length=100)
    input_tokens: int | None = None
    output_tokens: int | None = None
    interrupted: bool = False
    created_at: datetime = Field(sa_column=_instant())


class DailyCheckin(SQLModel, table=True):
    __tablename__ = "daily_checkins"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    day: date
    mood: int | None = None
    energy: int | None = None
    answers: str = "[]"  # JSON list of {"prompt", "answer"}
    sentiment_score: float | None = None
    sentiment_label: str | None = Field(default=None, max_length=16)
    sentiment_source: str | None = Field(default=None, max_length=32)  # "vader", or the model that refined it
    reflection: str | None = None
    created_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())


class CheckinPrompt(SQLModel, table=True):
    """One of the questions a user's check-in asks, in `position` order (1 first)."""

    __tablename__ = "checkin_prompts"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    text: str = Field(max_length=200)
    position: int = 0
    created_at: datetime = Field(sa_column=_instant())


class AnalyticsEvent(SQLModel, table=True):
    __tablename__ = "analytics_events"
    __table_args__ = (Index("ix_analytics_events_user_time", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: str = Field(max_length=50)
    payload: str = "{}"  # JSON
    created_at: datetime = Field(sa_column=_instant())


class Notification(SQLModel, table=True):
    """One delivery of one reminder on one channel; the unique key keeps it from firing twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "ref_id", "due_at", "channel"),
        Index("ix_notifications_user_status", "user_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=32)  # habit | checkin | custom
    ref_id: int | None = None
    channel: str = Field(max_length=32)
    title: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=2000)
    due_at: datetime = Field(sa_column=_instant())
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed | missed
    attempts: int = 0
    error: str | None = None
    sent_at: datetime | None = Field(default=None, sa_column=_instant(True))
    created_at: datetime = Field(sa_column=_instant())
    claimed_by: str | None = Field(default=None, max_length=100)  # "host:pid" of the process delivering it
    claimed_at: datetime | None = Field(default=None, sa_column=_instant(True))
    next_attempt_at: datetime | None = Field(default=None, sa_column=_instant(True))  # retry of a failed one


class Reminder(SQLModel, table=True):
    """A custom reminder: once at an instant, or on a cron schedule in the user's time zone."""

    __tablename__ = "reminders"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    text: str = Field(max_length=200)
    kind: str = Field(max_length=8)  # once | cron
    at: datetime | None = Field(default=None, sa_column=_instant(True))  # the instant of a one-off reminder
    cron: str | None = Field(default=None, max_length=100)  # "0 17 * * FRI", read in the user's zone
    active: bool = True
    created_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())


class ReminderCursor(SQLModel, table=True):
    """How far reminders have been looked at for a user: due instants up to here are dealt with."""

    __tablename__ = "reminder_cursors"

    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    scanned_until: datetime = Field(sa_column=_instant())


class Memory(SQLModel, table=True):
    """Something paa can recall: a fact, or the text of a message or check-in; searched by words (FTS5) and meaning.

    The FTS5 index `memories_fts` (migration 0004) follows this table through triggers; the vectors live in
    chromadb, and `embedded_at` says when this row's vector was stored there (NULL: not yet, found by words only).
    """

    __tablename__ = "memories"
    __table_args__ = (
        Index("ix_memories_source", "user_id", "kind", "source_id"),
        Index("ix_memories_embedded_at", "embedded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)  # fact | message | checkin
    content: str
    source_id: int | None = None
    derived: bool = False  # a copy of a message's or check-in's text, kept in step with it (not a remembered fact)
    created_at: datetime = Field(sa_column=_instant())
    embedded_at: datetime | None = Field(default=None, sa_column=_instant(True))
