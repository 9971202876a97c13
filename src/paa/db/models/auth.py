"""Login attempts and token signing keys: read only by account commands."""

# Annotations stay real objects here (no `from __future__ import annotations`): SQLModel would
# otherwise evaluate each string annotation again, a few milliseconds per table at every start.
from datetime import datetime

from sqlmodel import Field, SQLModel

from paa.db.models.base import instant
from paa.db.sealed import sealed


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
    secret: str = Field(sa_column=sealed("signing_keys", "secret"))  # base64url of the key bytes, sealed
    created_at: datetime = Field(sa_column=instant())
    retired_at: datetime | None = Field(default=None, sa_column=instant(True))
    valid_until: datetime | None = Field(default=None, sa_column=instant(True))
