"""recall: memory's word index gets a message's neighbouring turns and its speaker as fields; canned replies go;
memories are indexed by user and time

Revision ID: 0011_recall
Revises: 0010_attachments
Create Date: 2026-12-06

On SQLite the FTS5 table of hashed words becomes `memories_fts(terms, context, speaker)` (as paa.db.blind.FIELDS) and
every memory is indexed again, a message with the words of the turns around it in its conversation and its
speaker's name; on PostgreSQL the same three go into the one tsvector with weights A, D and B. Either way the
index needs the data key: a connection without one (a test's bare engine) leaves the new table empty on SQLite and
the old entries on PostgreSQL, and `paa auth rotate-keys` indexes everything again. The assistant's canned replies
(the offline rules' answers and tool confirmations, `model = 'offline'`) stop being memories, and so do a model's
short status lines beside its tool calls (with the key: the text is sealed).

The index is written by code frozen below as paa.db.blind had it when this migration was made (December 2026), so
a later change to paa.db.blind cannot change what this migration does.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3

import sqlalchemy as sa
from alembic import op

from paa.db.sealed import DIALECT_ATTRIBUTE, DataKeys, KeySet, unseal

revision = "0011_recall"
down_revision = "0010_attachments"
branch_labels = None
depends_on = None

CANNED = (
    "DELETE FROM memories WHERE kind = 'message' AND derived = TRUE AND source_id IN "
    "(SELECT id FROM messages WHERE role = 'assistant' AND model = 'offline')"
)


STATUS_CHARS_MAX = 160  # as paa.ai.memory.STATUS_CHARS_MAX was when this migration was made

# ---- paa.db.blind as it was when this migration was made: the three-field word index and its rebuild ----------

TOKENIZER = "porter unicode61 remove_diacritics 2"
CREATE_INDEX = "CREATE VIRTUAL TABLE memories_fts USING fts5(terms, tokenize='unicode61')"  # 0007's, for downgrade
CREATE_INDEX_FIELDS = "CREATE VIRTUAL TABLE memories_fts USING fts5(terms, context, speaker, tokenize='unicode61')"
FIELD_COUNT = 3  # terms, context, speaker


class _Cutter:
    """Terms as FTS5's tokenizer cuts them, from a private in-memory SQLite database (closed after the migration)."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute(f"CREATE VIRTUAL TABLE cut USING fts5(t, tokenize='{TOKENIZER}')")
        self.conn.execute("CREATE VIRTUAL TABLE cut_terms USING fts5vocab(cut, 'instance')")

    def terms(self, text: str) -> list[str]:
        with self.conn:
            self.conn.execute("INSERT INTO cut(rowid, t) VALUES (1, ?)", (text,))
            found = [row[0] for row in self.conn.execute("SELECT term FROM cut_terms ORDER BY offset")]
            self.conn.execute("DELETE FROM cut")
        return found

    def hashed_text(self, key: bytes, text: str) -> str:
        return " ".join(
            "h" + hmac.new(key, term.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for term in self.terms(text)
        )


def _index_key(keyset: KeySet) -> bytes:
    return hmac.new(keyset.key(keyset.current, "the word index"), b"paa blind word index v1", hashlib.sha256).digest()


def _columns(bind: sa.Connection, table: str) -> set[str]:
    if bind.dialect.name == "sqlite":
        return {row[1] for row in bind.exec_driver_sql(f"PRAGMA table_info({table})").all()}
    rows = bind.exec_driver_sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %(table)s", {"table": table}
    ).all()
    return {row[0] for row in rows}


def _message_neighbours(bind: sa.Connection, keyset: KeySet) -> dict[int, tuple[str, str]]:
    """For each message: (the text of the turns before and after it in its conversation, its speaker)."""
    speaker = "speaker" if "speaker" in _columns(bind, "messages") else "NULL"
    rows = bind.exec_driver_sql(
        f"SELECT id, conversation_id, content, {speaker} FROM messages "
        "WHERE role IN ('user', 'assistant', 'other') ORDER BY conversation_id, id"
    ).all()
    found: dict[int, tuple[str, str]] = {}
    for number, (message_id, conversation_id, _content, who) in enumerate(rows):
        around = [
            unseal(keyset, rows[other][2], "messages", "content")
            for other in (number - 1, number + 1)
            if 0 <= other < len(rows) and rows[other][1] == conversation_id
        ]
        name = unseal(keyset, who, "messages", "speaker") if who else ""
        found[message_id] = (" ".join(around), name)
    return found


def _write_entry(
    bind: sa.Connection, cutter: _Cutter, key: bytes, memory_id: int, text: str, context: str, speaker: str, fields: int
) -> None:
    terms_text = cutter.hashed_text(key, text)
    context_text = cutter.hashed_text(key, context) if context else ""
    speaker_text = cutter.hashed_text(key, speaker) if speaker else ""
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(
            "INSERT INTO memories_fts (memory_id, terms) VALUES (%(id)s, "
            "setweight(to_tsvector('simple', %(terms)s), 'A') || setweight(to_tsvector('simple', %(context)s), 'D')"
            " || setweight(to_tsvector('simple', %(speaker)s), 'B')) "
            "ON CONFLICT (memory_id) DO UPDATE SET terms = excluded.terms",
            {"id": memory_id, "terms": terms_text, "context": context_text, "speaker": speaker_text},
        )
        return
    bind.exec_driver_sql("DELETE FROM memories_fts WHERE rowid = ?", (memory_id,))
    if fields == 1:
        bind.exec_driver_sql("INSERT INTO memories_fts(rowid, terms) VALUES (?, ?)", (memory_id, terms_text))
        return
    bind.exec_driver_sql(
        "INSERT INTO memories_fts(rowid, terms, context, speaker) VALUES (?, ?, ?, ?)",
        (memory_id, terms_text, context_text, speaker_text),
    )


def rebuild(bind: sa.Connection, keyset: KeySet) -> int:
    """Index every memory again, a message with its neighbouring turns and its speaker; return how many."""
    fields = FIELD_COUNT
    if bind.dialect.name == "sqlite":
        fields = len(_columns(bind, "memories_fts")) or 1
    bind.exec_driver_sql("DELETE FROM memories_fts")
    rows = bind.exec_driver_sql("SELECT id, content, kind, source_id FROM memories").all()
    neighbours = _message_neighbours(bind, keyset) if any(row[2] == "message" for row in rows) else {}
    key, cutter = _index_key(keyset), _Cutter()
    try:
        for memory_id, content, kind, source_id in rows:
            context, speaker = neighbours.get(source_id, ("", "")) if kind == "message" else ("", "")
            text = unseal(keyset, content, "memories", "content")
            _write_entry(bind, cutter, key, memory_id, text, context, speaker, fields)
    finally:
        cutter.conn.close()
    return len(rows)


# ---- the migration -----------------------------------------------------------------------------------------------


def _forget_status_lines(bind: sa.Connection, provider: DataKeys) -> None:
    """A model's short text beside its tool calls ("Logging that now.") is a status line, not a memory."""
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
        rebuild(bind, provider.keyset())


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
        op.execute(CREATE_INDEX_FIELDS)
    _index_again(bind)


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_memories_user_created", table_name="memories")
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS memories_fts")
        op.execute(CREATE_INDEX)
    _index_again(bind)  # canned replies stay forgotten: `paa memory reindex` would bring them back
