"""bigint_ids: on PostgreSQL, the ids of the tables that grow without end are BIGINT, and so are their sequences

Revision ID: 0014_bigint_ids
Revises: 0013_shared_vectors
Create Date: 2026-12-07

A PostgreSQL INTEGER ends at 2,147,483,647. At 10,000 users (docs/scaling.md) a row per message, memory, habit log,
reminder delivery, change-feed event and analytics event reaches that within years, after which every insert
fails. The ids of those tables become BIGINT, with the sequences that number them (a sequence keeps its own type)
and the columns that point at them (`memories.source_id`, `attachments.message_id`, `memories_fts.memory_id`,
`memory_vectors.memory_id`). Changing a column's type rewrites its table: on a large database the upgrade takes a
while and holds the tables meanwhile. SQLite's INTEGER PRIMARY KEY is 64-bit already: nothing changes there.

The downgrade puts INTEGER back; it fails, changing nothing, once an id is past INTEGER's range.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_bigint_ids"
down_revision = "0013_shared_vectors"
branch_labels = None
depends_on = None

# table -> its id's sequence is numbered; then the columns that hold such ids elsewhere
GROWING = ("messages", "memories", "analytics_events", "events", "notifications", "habit_logs", "idempotency_keys",
           "attachments")  # fmt: skip
POINTERS = (("memories", "source_id"), ("attachments", "message_id"), ("memories_fts", "memory_id"),
            ("memory_vectors", "memory_id"))  # fmt: skip


def _retype(kind: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in GROWING:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN id TYPE {kind}")
        sequence = bind.execute(sa.text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}).scalar()
        if sequence is not None:
            op.execute(f"ALTER SEQUENCE {sequence} AS {kind}")
    present = set(sa.inspect(bind).get_table_names())
    for table, column in POINTERS:
        if table in present:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind}")


def upgrade() -> None:
    _retype("BIGINT")


def downgrade() -> None:
    _retype("INTEGER")
