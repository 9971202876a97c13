"""shared_vectors: on PostgreSQL, memory's vectors live in the main database, shared by every process on it

Revision ID: 0013_shared_vectors
Revises: 0012_idempotency
Create Date: 2026-12-07

Until now each data folder kept its own vector file (`<data dir>/memory/vectors.sqlite3`), so two API pods or a pod
and a daemon on one PostgreSQL each had vectors of their own, and a memory embedded by one was not found by meaning
by the other. `memory_vectors` holds one row per memory (its user, the vector as 384 int8 values and a float32
scale), `memory_vector_sets` one per user (which embedder made that user's vectors, a generation bumped by every
write so other processes read them again, and a random epoch that marks the set in snapshot files). See
paa.ai.vectors.SharedVectorIndex. Nothing is copied: memories already marked embedded are found without vectors
here and embedded again by the indexer (as after any change of embedder). Nothing changes on SQLite, which keeps
the vector file beside its database.
"""

from __future__ import annotations

from alembic import op

revision = "0013_shared_vectors"
down_revision = "0012_idempotency"
branch_labels = None
depends_on = None

CREATE = (
    "CREATE TABLE memory_vector_sets ("
    "user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE, "
    "embedder TEXT NOT NULL, generation BIGINT NOT NULL, epoch TEXT NOT NULL)",
    # A vector goes with its memory: deleting the memory (or the user) deletes it in the same transaction.
    "CREATE TABLE memory_vectors ("
    "user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, "
    "memory_id INTEGER NOT NULL REFERENCES memories (id) ON DELETE CASCADE, "
    "scale REAL NOT NULL, vector BYTEA NOT NULL, PRIMARY KEY (user_id, memory_id))",
    "CREATE INDEX ix_memory_vectors_memory_id ON memory_vectors (memory_id)",  # the cascade from memories
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in CREATE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS memory_vectors")
        op.execute("DROP TABLE IF EXISTS memory_vector_sets")
