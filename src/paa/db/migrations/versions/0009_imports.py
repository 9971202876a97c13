"""imports: who said each message, and keys that make importing past conversations idempotent

Revision ID: 0009_imports
Revises: 0008_pg_words
Create Date: 2026-12-06

`paa memory import` brings conversations from ChatGPT, Claude, llm and paa's JSON Lines format. A message keeps its
speaker's name (`messages.speaker`, sealed like the text: empty before, so nothing to seal here), and an imported
conversation and message keep `import_key`, a SHA-256 of where they came from and their id there (never of their
text), unique per user, so importing a file again adds nothing. Columns are added in place: on SQLite a table copy
of `conversations` would take its messages with it (the foreign key cascades).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_imports"
down_revision = "0008_pg_words"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("conversations", sa.Column("imported_from", sa.String(length=16), nullable=True))
    op.add_column("conversations", sa.Column("import_key", sa.String(length=64), nullable=True))
    op.create_index("ux_conversations_import_key", "conversations", ["user_id", "import_key"], unique=True)
    op.add_column("messages", sa.Column("speaker", sa.String(), nullable=True))
    op.add_column("messages", sa.Column("import_key", sa.String(length=64), nullable=True))
    op.create_index("ux_messages_import_key", "messages", ["user_id", "import_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_messages_import_key", table_name="messages")
    op.drop_index("ux_conversations_import_key", table_name="conversations")
    # SQLite (3.35+) drops a column in place; a batch copy of conversations would cascade to its messages.
    op.drop_column("messages", "import_key")
    op.drop_column("messages", "speaker")
    op.drop_column("conversations", "import_key")
    op.drop_column("conversations", "imported_from")
