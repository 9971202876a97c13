"""Migration 0010_attachments: from 0009 a database keeps its conversations and gains the two attachment tables,
whose rows go with their message, their blob and their user; the downgrade takes the tables away again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from paa.db.engine import create_db_engine, sqlite_url
from paa.db.migrate import MIGRATIONS_DIR, current_revision, upgrade

pytestmark = pytest.mark.sqlite_only  # fills a SQLite file by hand; test_migrations_engines.py runs both engines

BEFORE = "0009_imports"


@pytest.fixture
def engine(tmp_path: Path):
    created = create_db_engine(sqlite_url(tmp_path / "paa.db"))
    yield created
    created.dispose()


def _fill_0009(engine: Engine) -> None:
    statements = [
        "INSERT INTO users (id, username, role, is_active, created_at) VALUES (1, 'ann', 'member', 1, '2026-11-01')",
        "INSERT INTO conversations (id, user_id, title, created_at, updated_at)"
        " VALUES (1, 1, 'trip', '2026-11-20 10:00:00', '2026-11-20 10:00:00')",
        "INSERT INTO messages (id, user_id, conversation_id, role, content, interrupted, created_at)"
        " VALUES (1, 1, 1, 'user', 'hello', 0, '2026-11-20 10:00:00')",
    ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}


def test_upgrade_from_0009_keeps_messages_and_adds_the_tables(engine: Engine) -> None:
    upgrade(engine, BEFORE)
    _fill_0009(engine)
    upgrade(engine, "0010_attachments")
    assert {"attachments", "attachment_blobs"} <= _tables(engine)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT content FROM messages")).scalar_one() == "hello"
        conn.execute(
            text(
                "INSERT INTO attachment_blobs (id, user_id, digest, size, blob_key, data, created_at)"
                " VALUES (1, 1, 'd1', 3, 'k', x'000102', '2026-11-20 10:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO attachments (user_id, blob_id, message_id, position, name, kind, media_type, size,"
                " created_at) VALUES (1, 1, 1, 0, 'a.txt', 'text', 'text/plain', 3, '2026-11-20 10:00:00')"
            )
        )
        with pytest.raises(Exception, match="UNIQUE"):  # one blob per user and content
            conn.execute(
                text(
                    "INSERT INTO attachment_blobs (user_id, digest, size, blob_key, data, created_at)"
                    " VALUES (1, 'd1', 3, 'k', x'00', '2026-11-20 10:00:00')"
                )
            )
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM messages WHERE id = 1"))  # the attachment goes with its message
        assert conn.execute(text("SELECT count(*) FROM attachments")).scalar_one() == 0


def test_downgrade_to_0009_removes_the_tables(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    upgrade(engine, "0010_attachments")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, BEFORE)
    assert current_revision(engine) == BEFORE
    assert not {"attachments", "attachment_blobs"} & _tables(engine)
