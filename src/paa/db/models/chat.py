"""Conversations, messages and analytics events (memories are in `paa.db.models.memory`)."""

# Annotations stay real objects here (no `from __future__ import annotations`): SQLModel would
# otherwise evaluate each string annotation again, a few milliseconds per table at every start.
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from paa.db.models.base import BIG_ID, instant
from paa.db.sealed import sealed


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"
    # An imported conversation's key (a hash of where it came from and its id there): importing it again adds nothing.
    __table_args__ = (Index("ux_conversations_import_key", "user_id", "import_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    title: str | None = Field(default=None, sa_column=sealed("conversations", "title", True))  # 200 characters at most
    summary: str | None = Field(default=None, sa_column=sealed("conversations", "summary", True))
    created_at: datetime = Field(sa_column=instant())
    updated_at: datetime = Field(sa_column=instant())
    imported_from: str | None = Field(default=None, max_length=16)  # chatgpt | claude | llm | jsonl; None: said here
    import_key: str | None = Field(default=None, max_length=64)


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (Index("ux_messages_import_key", "user_id", "import_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    conversation_id: int = Field(foreign_key="conversations.id", ondelete="CASCADE", index=True)
    role: str = Field(max_length=16)  # user | assistant | tool | other (another person, in an imported conversation)
    content: str = Field(sa_column=sealed("messages", "content"))
    speaker: str | None = Field(default=None, sa_column=sealed("messages", "speaker", True))  # a name, when known
    tool_calls: str | None = Field(default=None, sa_column=sealed("messages", "tool_calls", True))  # JSON
    model: str | None = Field(default=None, max_length=100)
    input_tokens: int | None = None
    output_tokens: int | None = None
    interrupted: bool = False
    created_at: datetime = Field(sa_column=instant())
    import_key: str | None = Field(default=None, max_length=64)  # see Conversation.import_key


class AnalyticsEvent(SQLModel, table=True):
    __tablename__ = "analytics_events"
    __table_args__ = (Index("ix_analytics_events_user_time", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: str = Field(max_length=50)
    payload: str = "{}"  # JSON
    created_at: datetime = Field(sa_column=instant())
