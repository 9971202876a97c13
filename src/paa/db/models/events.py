"""The change feed: one row per change to a user's data or per event pushed to their clients."""

# Annotations stay real objects here (see models/reminders.py).
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from paa.db.models.base import BIG_ID, instant


class ChangeEvent(SQLModel, table=True):
    """Something a connected client should hear about: a data change or a reminder, in the order they happened.

    Ids only grow (SQLite AUTOINCREMENT, a PostgreSQL sequence), so a client resumes from the last id it saw.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_user_id_id", "user_id", "id"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    type: str = Field(max_length=40)  # data:changed | habit:reminder | checkin:prompt | chat:notification
    data: str = Field(default="{}", max_length=4000)  # JSON
    created_at: datetime = Field(sa_column=instant())
