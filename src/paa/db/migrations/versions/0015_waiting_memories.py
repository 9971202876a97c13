"""waiting_memories: an index of each user's memories that wait for their vector

Revision ID: 0015_waiting_memories
Revises: 0014_bigint_ids
Create Date: 2026-12-07

`paa memory search` first asks whether any of the user's memories waits for a vector (and embeds those first).
Without statistics SQLite answered that through the (user, time) index, reading every memory of the user: 15 ms
at 50,000, in every search. A partial index of the waiting rows, by user and id, answers it at once and serves the
indexer's reading of them in id order; it holds only the rows not yet embedded, so it stays small. The same on
PostgreSQL. The index is made here only, not declared on the model: its WHERE clause is a dialect option, and
declaring `postgresql_where` loads SQLAlchemy's PostgreSQL dialect in every command that loads the model.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_waiting_memories"
down_revision = "0014_bigint_ids"
branch_labels = None
depends_on = None

WAITING = "embedded_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_memories_waiting", "memories", ["user_id", "id"],
        sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_memories_waiting", table_name="memories")
