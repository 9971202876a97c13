"""check-in prompts, and where a check-in's sentiment came from

Revision ID: 0002_checkin_prompts
Revises: 0001_initial
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_checkin_prompts"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkin_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("checkin_prompts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_prompts_user_id"), ["user_id"], unique=False)
    # A nullable column: SQLite adds it in place, so existing check-ins are kept as they are.
    with op.batch_alter_table("daily_checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sentiment_source", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("daily_checkins", schema=None) as batch_op:
        batch_op.drop_column("sentiment_source")
    with op.batch_alter_table("checkin_prompts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_prompts_user_id"))
    op.drop_table("checkin_prompts")
