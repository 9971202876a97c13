"""idempotency: a client's key for a write, stored with the write so a replay is answered, not written again

Revision ID: 0012_idempotency
Revises: 0011_recall
Create Date: 2026-12-07

One table, `idempotency_keys`: unique per user and key, with a fingerprint of the request and the write's answer
(sealed like the data it repeats). See paa.core.idempotency.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_idempotency"
down_revision = "0011_recall"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("response", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_id_key"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
