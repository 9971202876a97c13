"""Every revision on both engines: up from empty, up from each older revision with a row in it, down to nothing.

test_migrations.py fills SQLite files at each revision and checks their data; this runs the same scripts on
PostgreSQL too (the `pg` variants), where a boolean given the integer 1 or a SQLite-only statement fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from paa.db.engine import create_db_engine, sqlite_url
from paa.db.migrate import MIGRATIONS_DIR, current_revision, ensure_current, upgrade
from paa.db.revisions import HEAD, REVISIONS
from tests.db.test_migrations import _schema_differences


def _downgrade(engine: Engine, target: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, target)


@pytest.fixture
def empty_engine(db_engine: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database without any table: a new SQLite file, or this test's PostgreSQL database taken down."""
    if db_engine == "sqlite":
        engine = create_db_engine(sqlite_url(tmp_path / "paa.db"))
    else:
        engine = create_db_engine(os.environ["PAA_DB_URL"])
        _downgrade(engine, "base")
    assert current_revision(engine) is None
    yield engine
    engine.dispose()


def test_an_empty_database_reaches_head_and_matches_the_models(empty_engine: Engine, tmp_path: Path) -> None:
    assert ensure_current(empty_engine, tmp_path / "backups") == HEAD
    assert current_revision(empty_engine) == HEAD
    assert _schema_differences(empty_engine) == []


@pytest.mark.parametrize("start", REVISIONS[:-1])
def test_each_revision_upgrades_to_head_keeping_its_rows(empty_engine: Engine, tmp_path: Path, start: str) -> None:
    upgrade(empty_engine, start)
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, role, is_active, created_at) "
                "VALUES ('ann', 'member', TRUE, '2026-11-01 00:00:00')"
            )
        )

    assert ensure_current(empty_engine, tmp_path / "backups") == HEAD

    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT username FROM users")).scalars().all() == ["ann"]
    assert _schema_differences(empty_engine) == []


def test_head_goes_down_to_nothing_and_up_again(empty_engine: Engine, tmp_path: Path) -> None:
    upgrade(empty_engine)
    _downgrade(empty_engine, "base")
    assert current_revision(empty_engine) is None

    upgrade(empty_engine)
    assert current_revision(empty_engine) == HEAD
    assert _schema_differences(empty_engine) == []
