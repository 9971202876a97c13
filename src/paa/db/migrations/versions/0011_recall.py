"""recall: memory's word index gets a message's neighbouring turns and its speaker as fields; canned replies go;
memories are indexed by user and time

Revision ID: 0011_recall
Revises: 0010_attachments
Create Date: 2026-12-06

On SQLite the FTS5 table of hashed words becomes `memories_fts(terms, context, speaker)` (paa.db.blind.FIELDS) and
every memory is indexed again, a message with the words of the turns around it in its conversation and its
speaker's name; on PostgreSQL the same three go into the one tsvector with weights A, D and B. Either way the
index needs the data key: a connection without one (a test's bare engine) leaves the new table empty on SQLite and
the old entries on PostgreSQL, and `paa auth rotate-keys` indexes everything again. The assistant's canned replies
(the offline rules' answers and tool confirmations, `model = 'offline'`) stop being memories, and so do a model's
short status lines beside its tool calls (with the key: the text is sealed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from paa.db import blind
from paa.db.sealed import DIALECT_ATTRIBUTE, DataKeys

revision = "0011_recall"
down_revision = "0010_attachments"
branch_labels = None
depends_on = None

CANNED = (
    "DELETE FROM memories WHERE kind = 'message' AND derived = TRUE AND source_id IN "
    "(SELECT id FROM messages WHERE role = 'assistant' AND model = 'offline')"
)


STATUS_CHARS_MAX = 160  # as paa.ai.memory.STATUS_CHARS_MAX was when this migration was made


def _forget_status_lines(bind: sa.Connection, provider: DataKeys) -> None:
    """A model's short text beside its tool calls ("Logging that now.") is a status line, not a memory."""
    from paa.db.sealed import unseal

    keyset = provider.keyset()
    rows = bind.execute(
        sa.text(
            "SELECT m.id, s.content FROM memories AS m JOIN messages AS s ON s.id = m.source_id "
            "WHERE m.kind = 'message' AND m.derived = TRUE AND s.role = 'assistant' AND s.tool_calls IS NOT NULL"
        )
    ).all()
    short = [memory_id for memory_id, content in rows
             if len(unseal(keyset, content, "messages", "content").strip()) <= STATUS_CHARS_MAX]  # fmt: skip
    for memory_id in short:
        bind.execute(sa.text("DELETE FROM memories WHERE id = :id"), {"id": memory_id})


def _index_again(bind: sa.Connection) -> None:
    provider = getattr(bind.dialect, DIALECT_ATTRIBUTE, None)
    if isinstance(provider, DataKeys) and bind.execute(sa.text("SELECT 1 FROM memories LIMIT 1")).first():
        blind.rebuild(bind, provider.keyset())


def upgrade() -> None:
    bind = op.get_bind()
    # A question naming a day reads that day's memories of the user.
    op.create_index("ix_memories_user_created", "memories", ["user_id", "created_at"], unique=False)
    op.execute(CANNED)
    provider = getattr(bind.dialect, DIALECT_ATTRIBUTE, None)
    if isinstance(provider, DataKeys):
        _forget_status_lines(bind, provider)
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS memories_fts")  # the delete trigger is on memories: it stays
        op.execute(blind.CREATE_INDEX_FIELDS)
    _index_again(bind)


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_memories_user_created", table_name="memories")
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS memories_fts")
        op.execute(blind.CREATE_INDEX)
    _index_again(bind)  # canned replies stay forgotten: `paa memory reindex` would bring them back
