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
    assert scripts.get_current_head() == HEAD
    assert REVISIONS[:3] == ("0001_initial", "0002_checkin_prompts", "0003_reminders")


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


def _fill_0002(engine: Engine) -> None:
    """A database at 0002 with a user, a habit and one sent notification in the old columns."""
    _fill_0001(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO notifications (user_id, kind, ref_id, channel, title, body, due_at, status, attempts,"
                " error, sent_at, created_at) VALUES (1, 'habit', 1, 'desktop', 'Run', 'Time to run',"
                " '2026-11-20 08:00:00.000000', 'sent', 1, NULL, '2026-11-20 08:00:01.000000',"
                " '2026-11-20 08:00:00.000000')"
            )
        )


def test_upgrade_from_0002_keeps_notifications_and_adds_reminders(engine: Engine, tmp_path: Path) -> None:
    upgrade(engine, "0002_checkin_prompts")
    _fill_0002(engine)

    assert ensure_current(engine, tmp_path / "backups") == HEAD

    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT kind, channel, status, attempts, claimed_by, claimed_at, next_attempt_at FROM notifications")
        ).one()
        assert tuple(row) == ("habit", "desktop", "sent", 1, None, None, None)
        assert conn.execute(text("SELECT count(*) FROM reminders")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM reminder_cursors")).scalar_one() == 0
        conn.execute(
            text(
                "INSERT INTO reminders (user_id, text, kind, at, cron, active, created_at, updated_at)"
                " VALUES (1, 'Call mom', 'once', '2026-11-29 17:00:00.000000', NULL, 1,"
                " '2026-11-26 12:00:00.000000', '2026-11-26 12:00:00.000000')"
            )
        )
    assert _schema_differences(engine) == []


def test_downgrade_to_0002_undoes_0003(engine: Engine, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    upgrade(engine, "0002_checkin_prompts")
    _fill_0002(engine)
    ensure_current(engine, tmp_path / "backups")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002_checkin_prompts")
    assert current_revision(engine) == "0002_checkin_prompts"
    with engine.connect() as conn:
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(notifications)"))]
        tables = [row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
        assert conn.execute(text("SELECT status FROM notifications")).scalar_one() == "sent"
    assert "claimed_by" not in columns and "next_attempt_at" not in columns
    assert "reminders" not in tables and "reminder_cursors" not in tables
