"""Files attached to chat messages: each attachment row names one stored blob, shared by equal files of one user."""

# Annotations stay real objects here (no `from __future__ import annotations`), as in the other table modules.
from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from paa.db.models.base import BIG_ID, instant
from paa.db.sealed import sealed


class AttachmentBlob(SQLModel, table=True):
    """The bytes of one file, encrypted with a key of its own (`blob_key`, itself sealed with the data key).

    `digest` is a keyed hash of the user and the content (paa.core.attachments.address): equal files of one user are
    stored once, and the digest says nothing about the content to someone without the data key.
    """

    __tablename__ = "attachment_blobs"
    __table_args__ = (UniqueConstraint("user_id", "digest", name="uq_attachment_blobs_user_digest"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    digest: str = Field(max_length=64)
    size: int  # bytes of the plain file
    blob_key: str = Field(sa_column=sealed("attachment_blobs", "blob_key"))
    data: bytes = Field(sa_column=Column("data", LargeBinary(), nullable=False))  # nonce + ciphertext + tag
    created_at: datetime = Field(sa_column=instant())


class Attachment(SQLModel, table=True):
    """One file as the person attached it: its name, kind and the message it went with (None: uploaded, not sent)."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_message", "message_id", "position"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    blob_id: int = Field(foreign_key="attachment_blobs.id", ondelete="CASCADE")
    message_id: int | None = Field(default=None, foreign_key="messages.id", ondelete="CASCADE", sa_type=BIG_ID)
    position: int = 0
    name: str = Field(sa_column=sealed("attachments", "name"))
    kind: str = Field(max_length=8)  # image | pdf | text
    media_type: str = Field(max_length=100)
    size: int
    pages: int | None = None  # a PDF's pages
    created_at: datetime = Field(sa_column=instant())
