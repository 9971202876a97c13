"""pg_words: on PostgreSQL, the word index of memories as a tsvector of hashed words with a GIN index

Revision ID: 0008_pg_words
Revises: 0007_sealed
Create Date: 2026-12-06

SQLite keeps this index in FTS5 (0007); on PostgreSQL memory search read every sealed memory of the user until now.
The table holds the same keyed hashes of words (paa.db.blind), never a plain word. Nothing changes on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from paa.db import blind
from paa.db.sealed import DIALECT_ATTRIBUTE, DataKeys

revision = "0008_pg_words"
down_revision = "0007_sealed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in blind.PG_CREATE_INDEX:
        op.execute(statement)
    provider = getattr(bind.dialect, DIALECT_ATTRIBUTE, None)
    if isinstance(provider, DataKeys) and bind.execute(sa.text("SELECT 1 FROM memories LIMIT 1")).first():
        blind.rebuild(bind, provider.keyset())
    # A connection without a key (a test's bare engine) leaves the memories unindexed; `paa auth rotate-keys`
    # indexes every memory again.


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS memories_fts")
