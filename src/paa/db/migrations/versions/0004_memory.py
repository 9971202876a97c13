"""memory: FTS5 index of memories, embedding state, and the text of past messages and check-ins

Revision ID: 0004_memory
Revises: 0003_reminders
Create Date: 2026-11-26
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004_memory"
down_revision = "0003_reminders"
branch_labels = None
depends_on = None

# An external-content FTS5 table: the text lives once, in `memories`; triggers keep the index in step.
FTS_STATEMENTS = (
    "CREATE VIRTUAL TABLE memories_fts USING fts5("
    "content, content='memories', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN "
    "INSERT INTO memories_fts(rowid, content) VALUES (new.id, new.content); END",
    "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN "
    "INSERT INTO memories_fts(memories_fts, rowid, content) VALUES ('delete', old.id, old.content); END",
    "CREATE TRIGGER memories_fts_update AFTER UPDATE OF content ON memories BEGIN "
    "INSERT INTO memories_fts(memories_fts, rowid, content) VALUES ('delete', old.id, old.content); "
    "INSERT INTO memories_fts(rowid, content) VALUES (new.id, new.content); END",
)


def _checkin_text(day: str, answers: str) -> str:
    """The searchable text of a check-in, as `paa.ai.memory.checkin_text` wrote it when this migration was made."""
    try:
        items = json.loads(answers or "[]")
    except ValueError:
        items = []
    texts = [" ".join(str(item.get("answer") or "").split()) for item in items if isinstance(item, dict)]
    texts = [text for text in texts if text]
    return f"Check-in {day}: {' / '.join(texts)}" if texts else ""


def upgrade() -> None:
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("derived", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("embedded_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_memories_source", ["user_id", "kind", "source_id"], unique=False)
        batch_op.create_index("ix_memories_embedded_at", ["embedded_at"], unique=False)

    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        for statement in FTS_STATEMENTS:
            op.execute(statement)

    # What was said and written before this version becomes searchable too.
    op.execute(
        "INSERT INTO memories (user_id, kind, content, source_id, derived, created_at) "
        "SELECT user_id, 'message', content, id, TRUE, created_at FROM messages "
        "WHERE role IN ('user', 'assistant') AND trim(content) != '' ORDER BY id"
    )
    rows = bind.execute(sa.text("SELECT id, user_id, day, answers, created_at FROM daily_checkins ORDER BY id"))
    insert = sa.text(
        "INSERT INTO memories (user_id, kind, content, source_id, derived, created_at) "
        "VALUES (:user_id, 'checkin', :content, :id, TRUE, :created_at)"
    )
    for checkin_id, user_id, day, answers, created_at in rows.fetchall():
        content = _checkin_text(str(day), answers)
        if content:
            bind.execute(insert, {"user_id": user_id, "content": content, "id": checkin_id, "created_at": created_at})
    if sqlite:
        op.execute("INSERT INTO memories_fts(memories_fts) VALUES ('rebuild')")  # rows stored before 0004 too


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("memories_fts_insert", "memories_fts_delete", "memories_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS memories_fts")
    op.execute("DELETE FROM memories WHERE derived = TRUE")
    with op.batch_alter_table("memories", schema=None) as batch_op:
        batch_op.drop_index("ix_memories_embedded_at")
        batch_op.drop_index("ix_memories_source")
        batch_op.drop_column("embedded_at")
        batch_op.drop_column("derived")
