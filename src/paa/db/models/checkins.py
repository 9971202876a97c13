"""Daily check-ins and the user's own check-in prompts."""

# Annotations stay real objects here (no `from __future__ import annotations`): SQLModel would
# otherwise evaluate each string annotation again, a few milliseconds per table at every start.
from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from paa.db.models.base import instant
from paa.db.sealed import sealed


class DailyCheckin(SQLModel, table=True):
    __tablename__ = "daily_checkins"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    day: date
    mood: int | None = None
    energy: int | None = None
    answers: str = Field(default="[]", sa_column=sealed("daily_checkins", "answers"))  # JSON: [{"prompt", "answer"}]
    sentiment_score: float | None = None
    sentiment_label: str | None = Field(default=None, max_length=16)
    sentiment_source: str | None = Field(default=None, max_length=32)  # "vader", or the model that refined it
    reflection: str | None = Field(default=None, sa_column=sealed("daily_checkins", "reflection", True))
    created_at: datetime = Field(sa_column=instant())
    updated_at: datetime = Field(sa_column=instant())


class CheckinPrompt(SQLModel, table=True):
    """One of the questions a user's check-in asks, in `position` order (1 first)."""

    __tablename__ = "checkin_prompts"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    text: str = Field(max_length=200)
    position: int = 0
    created_at: datetime = Field(sa_column=instant())
