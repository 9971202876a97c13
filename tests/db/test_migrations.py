"""Migrations: a fresh database matches the models, an old one upgrades with its data, a newer one is refused."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from paa.db.engine import create_db_engine, sqlite_url
from paa.db.migrate import MIGRATIONS_DIR, current_revision, ensure_current, upgrade
from paa.db.revisions import HEAD, REVISIONS
from paa.errors import StorageError


@pytest.fixture
def engine(tmp_path: Path):
    created = create_db_engine(sqlite_url(tmp_path / "paa.db"))
    yield created
    created.dispose()


def _schema_differences(engine: Engine) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import paa.db.models  # noqa: F401  (registers the tables)

    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_revision_list_matches_the_scripts() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    scripts = ScriptDirectory.from_config(config)
    oldest_first = [script.revision for script in reversed(list(scripts.walk_revisions()))]
    assert tuple(oldest_first) == REVISIONS
    assert scripts.get_current_head() == HEAD == "0002_checkin_prompts"


def test_fresh_database_reaches_head_and_matches_the_models(engine: Engine, tmp_path: Path) -> None:
    assert current_revision(engine) is None
    assert ensure_current(engine, tmp_path / "backups") == HEAD
    assert current_revision(engine) == HEAD
    assert _schema_differences(engine) == []
    assert not (tmp_path / "backups").exists()  # nothing to back up on a new database


def test_open_context_on_a_new_home_reaches_head(make_ctx) -> None:
    with make_ctx() as ctx:
        assert current_revision(ctx.session.get_bind()) == HEAD


def _fill_0001(engine: Engine) -> None:
    rows = [
        "INSERT INTO users (id, username, role, is_active, created_at) VALUES (1, 'ann', 'member', 1, '2026-11-01')",
        "INSERT INTO daily_checkins (user_id, day, mood, energy, answers, sentiment_score, sentiment_label,"
        " reflection, created_at, updated_at) VALUES (1, '2026-11-20', 4, 3,"
        ' \'[{"prompt": "How was your day?", "answer": "Fine"}]\', 0.2, \'positive\', NULL,'
        " '2026-11-20 20:00:00', '2026-11-20 20:00:00')",
        "INSERT INTO habits (user_id, name, name_key, kind, target_type, schedule_type, weekdays, times,"
        " period_days, reminder_days, archived, position, created_at, updated_at)"
        " VALUES (1, 'Run', 'run', 'boolean', 'at_least', 'daily', 0, 1, 1, 0, 0, 1, '2026-11-01', '2026-11-01')",
    ]
    with engine.begin() as conn:
        for statement in rows:
            conn.execute(text(statement))


def test_upgrade_from_0001_keeps_data_and_backs_up(engine: Engine, tmp_path: Path) -> None:
    upgrade(engine, "0001_initial")
    _fill_0001(engine)
    backups = tmp_path / "backups"

    assert ensure_current(engine, backups) == HEAD

    with engine.connect() as conn:
        checkin = conn.execute(
            text("SELECT day, mood, energy, answers, sentiment_label, sentiment_source FROM daily_checkins")
        ).one()
        assert tuple(checkin) == (
            "2026-11-20", 4, 3, '[{"prompt": "How was your day?", "answer": "Fine"}]', "positive", None,
        )  # fmt: skip
        assert conn.execute(text("SELECT name FROM habits")).scalar_one() == "Run"
        assert conn.execute(text("SELECT count(*) FROM checkin_prompts")).scalar_one() == 0
    assert _schema_differences(engine) == []

    [backup] = list(backups.iterdir())
    assert backup.name.startswith("paa-0001_initial-")
    with sqlite3.connect(backup) as old:
        assert old.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001_initial",)
        assert old.execute("SELECT mood FROM daily_checkins").fetchall() == [(4,)]
        assert old.execute("SELECT name FROM sqlite_master WHERE name = 'checkin_prompts'").fetchall() == []


def test_downgrade_to_0001_undoes_0002(engine: Engine, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    ensure_current(engine, tmp_path / "backups")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001_initial")
    assert current_revision(engine) == "0001_initial"
    with engine.connect() as conn:
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(daily_checkins)"))]
        tables = [row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
    assert "sentiment_source" not in columns
    assert "checkin_prompts" not in tables


def test_newer_database_is_refused_and_left_untouched(engine: Engine, tmp_path: Path) -> None:
    ensure_current(engine, tmp_path / "backups")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    engine.dispose()
    database = Path(engine.url.database or "")
    with sqlite3.connect(database) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _digest(database)

    with pytest.raises(StorageError) as refused:
        ensure_current(engine, tmp_path / "backups")
    assert "0099_from_the_future" in refused.value.message
    assert "not touched" in (refused.value.hint or "")

    engine.dispose()
    assert _digest(database) == before
    assert not (tmp_path / "backups").exists()
    with sqlite3.connect(database) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchone() == ("0099_from_the_future",)
