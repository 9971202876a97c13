"""Users and their typed preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from paa.db.models.base import instant


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    email: str | None = Field(default=None, max_length=254, unique=True)
    display_name: str | None = Field(default=None, max_length=100)
    role: str = Field(default="member", max_length=16)
    is_active: bool = True
    created_at: datetime = Field(sa_column=instant())
    last_login: datetime | None = Field(default=None, sa_column=instant(True))


class UserPreference(SQLModel, table=True):
    """One typed preference of one user; `value` holds JSON."""

    __tablename__ = "user_preferences"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    key: str = Field(max_length=64)
    value: str = Field(max_length=4096)
    updated_at: datetime = Field(sa_column=instant())
