"""auth: failed-login counters, token signing keys, refresh-token families, and credential indexes

Revision ID: 0005_auth
Revises: 0004_memory
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_auth"
down_revision = "0004_memory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("secret", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.Column("valid_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kid"),
    )
    # A nullable column: SQLite adds it in place, so stored credentials are kept as they are.
    with op.batch_alter_table("user_auth", schema=None) as batch_op:
        batch_op.add_column(sa.Column("family", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_auth_family"), ["family"], unique=False)
        batch_op.create_index("ix_user_auth_provider_subject", ["provider", "subject"], unique=False)
        batch_op.create_index("ix_user_auth_kind_user", ["kind", "user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_auth", schema=None) as batch_op:
        batch_op.drop_index("ix_user_auth_kind_user")
        batch_op.drop_index("ix_user_auth_provider_subject")
        batch_op.drop_index(batch_op.f("ix_user_auth_family"))
        batch_op.drop_column("family")
    op.drop_table("signing_keys")
    op.drop_table("login_attempts")
