"""Habits and their daily logs."""

# Annotations stay real objects here (no `from __future__ import annotations`): SQLModel would
# otherwise evaluate each string annotation again, a few milliseconds per table at every start.
from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from paa.db.models.base import BIG_ID, instant
from paa.db.sealed import sealed


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
    created_at: datetime = Field(sa_column=instant())
    updated_at: datetime = Field(sa_column=instant())


class HabitLog(SQLModel, table=True):
    """What happened to a habit on one local day: done (with a value when measurable) or skipped."""

    __tablename__ = "habit_logs"
    __table_args__ = (
        UniqueConstraint("habit_id", "day"),
        Index("ix_habit_logs_user_day", "user_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    habit_id: int = Field(foreign_key="habits.id", ondelete="CASCADE")
    day: date
    status: str = Field(max_length=16)  # done | skipped
    value: float | None = None
    note: str | None = Field(default=None, sa_column=sealed("habit_logs", "note", True))  # at most 2000 characters
    created_at: datetime = Field(sa_column=instant())
    updated_at: datetime = Field(sa_column=instant())
