"""Users, their typed preferences and their credentials (read on every command to tell who is acting)."""

# Annotations stay real objects here (no `from __future__ import annotations`): SQLModel would
# otherwise evaluate each string annotation again, a few milliseconds per table at every start.
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
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
    created_at: datetime = Field(sa_column=instant())
    expires_at: datetime | None = Field(default=None, sa_column=instant(True))
    last_used_at: datetime | None = Field(default=None, sa_column=instant(True))
    revoked_at: datetime | None = Field(default=None, sa_column=instant(True))
    family: str | None = Field(default=None, max_length=64, index=True)
    scopes: str | None = Field(default=None, max_length=100)  # an API token's scopes: "read" or "read,write"
