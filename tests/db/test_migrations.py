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

# Fills SQLite files at each revision; test_migrations_engines.py runs the revisions on both engines.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def engine(tmp_path: Path):
    created = create_db_engine(sqlite_url(tmp_path / "paa.db"))
    yield created
    created.dispose()


def _schema_differences(engine: Engine) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from paa.db.models import load_all

    load_all()  # every table on the metadata

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _is_modelled})
        return list(compare_metadata(context, SQLModel.metadata))


# Made by hand in migrations, not modelled: PostgreSQL's tables of memory vectors (0013, on PostgreSQL only), named
# exactly, and the FTS5 table of memories with the shadow tables SQLite keeps for it (`memories_fts_data`, ...);
# the partial index of waiting memories (0015: its WHERE clause, declared on the model, would load the PostgreSQL
# dialect in every command; tests/e2e/test_imports.py).
UNMODELLED_TABLES = frozenset({"memory_vectors", "memory_vector_sets"})
UNMODELLED_PREFIX = "memories_fts"
UNMODELLED_INDEXES = frozenset({"ix_memories_waiting"})


def _is_modelled(name: str | None, type_: str, _parent: object) -> bool:
    if type_ == "index":
        return name not in UNMODELLED_INDEXES
    if type_ != "table" or name is None:
        return True
    return name not in UNMODELLED_TABLES and not name.startswith(UNMODELLED_PREFIX)


@pytest.mark.parametrize("stray", ["memories_extra", "memory_vectors_old", "memory_vector"])
def test_the_schema_comparison_sees_a_stray_table(engine: Engine, tmp_path: Path, stray: str) -> None:
    """The filter above hides only the tables it names: any other table the models lack is still reported, even
    one whose name begins like them."""
    ensure_current(engine, tmp_path / "backups")
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {stray} (id INTEGER PRIMARY KEY)"))
    assert [diff[0] for diff in _schema_differences(engine)] == ["remove_table"]  # type: ignore[index]


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


# ---- 0004: memory -------------------------------------------------------------------------------


def _fill_0003(engine: Engine) -> None:
    _fill_0001(engine)
    rows = [
        "INSERT INTO users (id, username, role, is_active, created_at) VALUES (2, 'bob', 'member', 1, '2026-11-01')",
        "INSERT INTO conversations (id, user_id, title, created_at, updated_at)"
        " VALUES (1, 1, 'Running', '2026-11-21 08:00:00.000000', '2026-11-21 08:00:00.000000')",
        "INSERT INTO messages (id, user_id, conversation_id, role, content, interrupted, created_at) VALUES"
        " (1, 1, 1, 'user', 'My knee hurts after long runs', 0, '2026-11-21 08:00:00.000000'),"
        " (2, 1, 1, 'assistant', 'Rest it and stretch your quadriceps', 0, '2026-11-21 08:00:05.000000'),"
        " (3, 1, 1, 'tool', '{\"ok\": true}', 0, '2026-11-21 08:00:06.000000'),"
        " (4, 1, 1, 'user', '   ', 0, '2026-11-21 08:00:07.000000')",
        "INSERT INTO daily_checkins (user_id, day, mood, energy, answers, created_at, updated_at) VALUES (2,"
        ' \'2026-11-22\', 2, 2, \'[{"prompt": "How was your day?", "answer": "Tired,  slept badly"},'
        ' {"prompt": "Grateful for?", "answer": "Tea"}]\', \'2026-11-22 21:00:00.000000\','
        " '2026-11-22 21:00:00.000000')",
        "INSERT INTO memories (user_id, kind, content, source_id, created_at)"
        " VALUES (1, 'fact', 'Allergic to peanuts', NULL, '2026-11-10 10:00:00.000000')",
    ]
    with engine.begin() as conn:
        for statement in rows:
            conn.execute(text(statement))


def _fts_ids(conn: object, words: str) -> list[int]:
    found = conn.execute(  # type: ignore[attr-defined]
        text("SELECT rowid FROM memories_fts WHERE memories_fts MATCH :q ORDER BY rowid"), {"q": words}
    )
    return [row[0] for row in found]


def test_upgrade_from_0003_indexes_old_memories_messages_and_checkins(engine: Engine, tmp_path: Path) -> None:
    from datetime import date

    from paa.ai.memory import checkin_text
    from paa.db.models import DailyCheckin

    upgrade(engine, "0003_reminders")
    _fill_0003(engine)

    upgrade(engine, "0004_memory")  # the plain-text FTS5 index of 0004 (0007 replaces it with hashed words)

    with engine.begin() as conn:
        rows = conn.execute(
            text("SELECT id, user_id, kind, content, source_id, derived, embedded_at FROM memories ORDER BY id")
        ).all()
        assert [tuple(row) for row in rows] == [
            (1, 1, "fact", "Allergic to peanuts", None, 0, None),
            (2, 1, "message", "My knee hurts after long runs", 1, 1, None),
            (3, 1, "message", "Rest it and stretch your quadriceps", 2, 1, None),
            (4, 1, "checkin", "Check-in 2026-11-20: Fine", 1, 1, None),
            (5, 2, "checkin", "Check-in 2026-11-22: Tired, slept badly / Tea", 2, 1, None),
        ]
        answers = conn.execute(text("SELECT answers FROM daily_checkins WHERE user_id = 2")).scalar_one()
        # The migration's copy of the check-in text agrees with the code's, so indexing it again changes nothing.
        stored = DailyCheckin(user_id=2, day=date(2026, 11, 22), answers=answers)  # type: ignore[call-arg]  # no times
        assert rows[4][3] == checkin_text(stored)
        # The FTS5 index holds the old rows (rebuilt) and the new ones (stemmed: "running" finds "runs").
        assert _fts_ids(conn, "peanuts") == [1]
        assert _fts_ids(conn, "running") == [2]
        assert _fts_ids(conn, "sleeping OR tea") == [5]
        # ...and the triggers keep it in step with the table.
        conn.execute(text("UPDATE memories SET content = 'Allergic to cashews' WHERE id = 1"))
        conn.execute(text("DELETE FROM memories WHERE id = 2"))
        assert _fts_ids(conn, "peanuts") == [] and _fts_ids(conn, "cashews") == [1]
        assert _fts_ids(conn, "knee") == []
        conn.execute(text("DELETE FROM users WHERE id = 2"))  # the cascade fires the delete trigger too
        assert _fts_ids(conn, "tea") == []
        conn.execute(text("INSERT INTO memories_fts(memories_fts) VALUES ('integrity-check')"))  # raises if out of step
    assert ensure_current(engine, tmp_path / "backups") == HEAD
    assert _schema_differences(engine) == []


def test_downgrade_to_0003_undoes_0004(engine: Engine, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    upgrade(engine, "0003_reminders")
    _fill_0003(engine)
    ensure_current(engine, tmp_path / "backups")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003_reminders")
    assert current_revision(engine) == "0003_reminders"
    with engine.connect() as conn:
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(memories)"))]
        names = [row[0] for row in conn.execute(text("SELECT name FROM sqlite_master"))]
        kept = conn.execute(text("SELECT kind, content FROM memories")).all()
    assert "derived" not in columns and "embedded_at" not in columns
    assert not [name for name in names if name.startswith("memories_fts")]
    assert [tuple(row) for row in kept] == [("fact", "Allergic to peanuts")]  # the copies made by 0004 are gone


# ---- 0005: auth ---------------------------------------------------------------------------------


def _fill_0004(engine: Engine) -> None:
    """A database at 0004 with a user, a password and a session credential in the old columns."""
    _fill_0001(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_auth (user_id, kind, secret_hash, provider, subject, label, created_at, expires_at)"
                " VALUES (1, 'password', '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA', NULL, NULL, NULL,"
                " '2026-11-01 10:00:00.000000', NULL),"
                " (1, 'session', 'ab12', NULL, NULL, 'cli', '2026-11-02 10:00:00.000000', '2026-12-02 10:00:00.000000')"
            )
        )


def test_upgrade_from_0004_keeps_credentials_and_adds_the_auth_tables(engine: Engine, tmp_path: Path) -> None:
    upgrade(engine, "0004_memory")
    _fill_0004(engine)

    assert ensure_current(engine, tmp_path / "backups") == HEAD

    with engine.begin() as conn:
        rows = conn.execute(text("SELECT kind, secret_hash, label, family FROM user_auth ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [
            ("password", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", None, None),
            ("session", "ab12", "cli", None),
        ]
        assert conn.execute(text("SELECT count(*) FROM login_attempts")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM signing_keys")).scalar_one() == 0
        conn.execute(text("INSERT INTO login_attempts (key, failures) VALUES ('user:ann', 2)"))
        with pytest.raises(Exception, match="UNIQUE"):
            conn.execute(text("INSERT INTO login_attempts (key, failures) VALUES ('user:ann', 1)"))
        plan = " ".join(
            str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN SELECT id FROM user_auth WHERE family = 'f'"))
        )
        assert "ix_user_auth_family" in plan
    assert _schema_differences(engine) == []


def test_downgrade_to_0004_undoes_0005(engine: Engine, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    upgrade(engine, "0004_memory")
    _fill_0004(engine)
    ensure_current(engine, tmp_path / "backups")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004_memory")
    assert current_revision(engine) == "0004_memory"
    with engine.connect() as conn:
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(user_auth)"))]
        tables = [row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
        kept = conn.execute(text("SELECT kind FROM user_auth ORDER BY id")).scalars().all()
    assert "family" not in columns
    assert "login_attempts" not in tables and "signing_keys" not in tables
    assert kept == ["password", "session"]
