"""Memories: what paa can recall (kept apart from the chat tables so that indexing a check-in defines only this one)."""

# Annotations stay real objects here (no `from __future__ import annotations`): SQLModel would
# otherwise evaluate each string annotation again, a few milliseconds per table at every start.
from datetime import datetime

from sqlalchemy import Index, event
from sqlmodel import Field, SQLModel

from paa.db.blind import index_changed_memory, index_new_memory
from paa.db.models.base import BIG_ID, instant
from paa.db.sealed import sealed


class Memory(SQLModel, table=True):
    """Something paa can recall: a fact, or the text of a message or check-in; searched by words (FTS5) and meaning.

    The FTS5 index `memories_fts` (migration 0007: hashed words, see paa.db.blind) is written as rows are flushed
    and loses a row through a trigger; the vectors live in
    `<data dir>/memory/vectors.sqlite3` (paa.ai.vectors), or on PostgreSQL in `memory_vectors` (migration 0013),
    and `embedded_at` says when this row's vector was stored there (NULL: not yet, found by words only).
    """

    __tablename__ = "memories"
    __table_args__ = (
        Index("ix_memories_source", "user_id", "kind", "source_id"),
        Index("ix_memories_embedded_at", "embedded_at"),
        Index("ix_memories_user_created", "user_id", "created_at"),  # a day's memories (migration 0011)
        # Not declared here: `ix_memories_waiting`, a partial index of the memories waiting for their vector
        # (migration 0015). Its WHERE clause is a dialect option, and naming `postgresql_where` would load
        # SQLAlchemy's PostgreSQL dialect (~20 ms) in every command that loads this model, on SQLite too.
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)  # fact | message | checkin
    content: str = Field(sa_column=sealed("memories", "content"))
    source_id: int | None = Field(default=None, sa_type=BIG_ID)  # the row it came from (a message, a check-in, ...)
    derived: bool = False  # a copy of a message's or check-in's text, kept in step with it (not a remembered fact)
    created_at: datetime = Field(sa_column=instant())
    embedded_at: datetime | None = Field(default=None, sa_column=instant(True))


# The word index holds keyed hashes of the words, which only paa can compute: rows are indexed as they are flushed.
event.listen(Memory, "after_insert", index_new_memory)
event.listen(Memory, "after_update", index_changed_memory)
