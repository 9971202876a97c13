"""Idempotency keys: a client's key for one write, kept with the write's answer so a replay gets that answer again."""

# Annotations stay real objects here (see models/checkins.py).
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from paa.db.models.base import BIG_ID, instant
from paa.db.sealed import sealed


class IdempotencyKey(SQLModel, table=True):
    """One write made with an `Idempotency-Key` (paa.core.idempotency): unique per user, kept for a while."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_id_key"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    key: str = Field(max_length=100)
    operation: str = Field(max_length=100)  # what was done ("habit.log"), so a key reused for another write is refused
    fingerprint: str = Field(max_length=64)  # SHA-256 of the operation and its request
    response: str = Field(sa_column=sealed("idempotency_keys", "response"))  # JSON: the answer the write gave
    created_at: datetime = Field(sa_column=instant())
