"""Credentials, login attempts and token signing keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from paa.db.models.base import instant


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


class LoginAttempt(SQLModel, table=True):
    """Failed logins of one account name or one source, for the exponential slowdown (migration 0005)."""

    __tablename__ = "login_attempts"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # "user:<name>" or "source:<where from>"
    failures: int = 0
    last_failure_at: datetime | None = Field(default=None, sa_column=instant(True))
    blocked_until: datetime | None = Field(default=None, sa_column=instant(True))


class SigningKey(SQLModel, table=True):
    """A key that signs access tokens; a rotated-out key still verifies until `valid_until` (migration 0005)."""

    __tablename__ = "signing_keys"

    id: int | None = Field(default=None, primary_key=True)
    kid: str = Field(max_length=64, unique=True)
    algorithm: str = Field(default="HS256", max_length=16)
    secret: str = Field(max_length=256)  # base64url of the key bytes
    created_at: datetime = Field(sa_column=instant())
    retired_at: datetime | None = Field(default=None, sa_column=instant(True))
    valid_until: datetime | None = Field(default=None, sa_column=instant(True))
