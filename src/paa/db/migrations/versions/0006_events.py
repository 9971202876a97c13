"""events: the change feed that connected clients follow, and scopes on API tokens

Revision ID: 0006_events
Revises: 0005_auth
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_events"
down_revision = "0005_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.String(length=4000), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_user_id_id", "events", ["user_id", "id"], unique=False)
    with op.batch_alter_table("user_auth", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_auth", schema=None) as batch_op:
        batch_op.drop_column("scopes")
    op.drop_index("ix_events_user_id_id", table_name="events")
    op.drop_table("events")
