"""Encryption at rest: a copy of the database file, without the data key, reveals no sensitive text.

The attack: someone copies `paa.db` (a backup, a sync tool, another OS user who can read it) and opens it with
`sqlite3`. Check-in answers, chat messages, memories, habit log notes and token signing keys must not be in it, and
paa, which has the key, must still read them, search them and rotate the key.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from paa.ai import memory
from paa.ai.checkins import save as save_checkin
from paa.ai.store import add_message, create_conversation, search_messages
from paa.config import resolve_paths
from paa.core.checkins.entries import Answer
from paa.core.encryption import finish_rotation, key_file, key_status, rotate_data_key
from paa.core.habits.form import HabitFields
from paa.core.habits.logs import log_habit
from paa.core.habits.manage import add_habit
from paa.db.sealed import SEALED_COLUMNS, KeyMissing, SealBroken, key_id_of
from tests.support.runtime import runtime_for

ANSWER = "Felt anxious about the biopsy results"
MESSAGE = "My divorce hearing is on Thursday"
FACT = "Allergic to penicillin"
NOTE = "Skipped because of the migraine"
SECRETS = (ANSWER, MESSAGE, FACT, NOTE, "biopsy", "divorce", "penicillin", "migraine")


@pytest.fixture
def filled(make_ctx) -> dict[str, str]:
    """A check-in, a chat message, a remembered fact, a habit log note and a token signing key, stored by paa."""
    from paa.core.accounts.tokens import current_signing_key

    with make_ctx(write=True) as ctx:
        save_checkin(ctx, date(2026, 11, 20), [Answer("How was your day?", ANSWER)], mood=2)
        conversation = create_conversation(ctx, MESSAGE)
        assert conversation.id is not None
        add_message(ctx, conversation.id, "user", MESSAGE)
        memory.index_message(ctx, ctx.session.exec(_last_message()).one())
        memory.remember(ctx, FACT)
        habit = add_habit(ctx, HabitFields(name="Run"))
        log_habit(ctx, habit, date(2026, 11, 20), note=NOTE)
        key = current_signing_key(ctx.session, ctx.now())
    return {"signing_key": key.secret}


def _last_message():  # type: ignore[no-untyped-def]
    from sqlmodel import col, select

    from paa.db.models import Message

    return select(Message).order_by(col(Message.id).desc()).limit(1)


def _database() -> Path:
    return resolve_paths(os.environ).database_file


def _file_bytes() -> bytes:
    """Everything SQLite keeps on disk for the database: the file and its write-ahead log."""
    path = _database()
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_a_copied_database_file_reveals_no_checkin_answers(filled: dict[str, str], tmp_path: Path) -> None:
    """The attack: copy the file and read it with sqlite3, without paa and without the key."""
    copy = tmp_path / "stolen.db"
    with sqlite3.connect(_database()) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with sqlite3.connect(copy) as raw:
        answers = raw.execute("SELECT answers FROM daily_checkins").fetchall()
        dumped = "\n".join(raw.iterdump())
    assert answers and all(value.startswith("enc:v1:") for (value,) in answers)
    for secret in (*SECRETS, filled["signing_key"]):
        assert secret not in dumped
        assert secret.encode() not in copy.read_bytes()
    assert ANSWER.encode() not in _file_bytes() and FACT.encode() not in _file_bytes()


def test_every_sealed_column_holds_only_sealed_values(filled: dict[str, str]) -> None:
    with sqlite3.connect(_database()) as raw:
        for table, column in SEALED_COLUMNS:
            values = [row[0] for row in raw.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")]
            assert all(value.startswith("enc:v1:") for value in values), (table, column)
        stored = [row[0] for row in raw.execute("SELECT content FROM memories")]
        index = " ".join(row[0] for row in raw.execute("SELECT terms FROM memories_fts"))
    assert len(stored) == 3  # the check-in, the message, the fact
    for word in ("biopsy", "divorce", "penicillin", "anxious", "allerg"):
        assert word not in index


def test_paa_reads_back_and_searches_what_it_sealed(filled: dict[str, str], make_ctx) -> None:
    from sqlmodel import select

    from paa.db.models import DailyCheckin, HabitLog, SigningKey

    with make_ctx() as ctx:
        checkin = ctx.session.exec(select(DailyCheckin)).one()
        assert json.loads(checkin.answers)[0]["answer"] == ANSWER
        assert ctx.session.exec(select(HabitLog)).one().note == NOTE
        assert ctx.session.exec(select(SigningKey)).one().secret == filled["signing_key"]
        assert [row.content for row in memory.list_memories(ctx, kind="fact")] == [FACT]
        # Words and stems are still found through the index of hashed words, and only the right rows are.
        assert [hit.content for hit in memory.search(ctx, "penicillin")] == [FACT]
        assert {hit.kind for hit in memory.search(ctx, "biopsies anxiety")} == {"checkin"}
        assert memory.search(ctx, "peanuts") == []
        assert [hit.message.content for hit in search_messages(ctx, "DIVORCE thursday")] == [MESSAGE]


def test_tampered_or_moved_ciphertext_is_a_clear_error_not_garbage(filled: dict[str, str], make_ctx) -> None:
    from sqlmodel import select

    from paa.db.models import HabitLog, Memory

    with sqlite3.connect(_database()) as raw:
        note = raw.execute("SELECT note FROM habit_logs").fetchone()[0]
        flipped = note[:-3] + ("A" if note[-3] != "A" else "B") + note[-2:]
        raw.execute("UPDATE habit_logs SET note = ?", (flipped,))
        message = raw.execute("SELECT content FROM messages").fetchone()[0]
        raw.execute("UPDATE memories SET content = ? WHERE kind = 'fact'", (message,))  # moved to another column
    with make_ctx() as ctx, pytest.raises(SealBroken, match=r"habit_logs\.note failed its integrity check"):
        ctx.session.exec(select(HabitLog)).one()
    with make_ctx() as ctx, pytest.raises(SealBroken, match=r"memories\.content .*moved from another column"):
        ctx.session.exec(select(Memory).where(Memory.kind == "fact")).one()


def test_the_key_file_is_private(filled: dict[str, str]) -> None:
    path = key_file(resolve_paths(os.environ))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = json.loads(path.read_text())
    assert stored["where"] == "file" and list(stored["keys"]) == [stored["current"]]
    status = key_status(resolve_paths(os.environ), {"PAA_KEYRING": "off"})
    assert (status.where, status.current, status.keys) == ("file", stored["current"], 1)


def test_a_missing_key_is_a_one_line_error_and_no_new_key_is_made(filled: dict[str, str], cli) -> None:
    path = key_file(resolve_paths(os.environ))
    before = _database().read_bytes()
    path.rename(path.with_name("data.key.away"))
    done = cli("memory", "list")
    assert done.code != 0
    lines = done.err.strip().splitlines()
    assert "data key is missing" in lines[0] and "Traceback" not in done.err
    assert any("restore data.key" in line for line in lines)
    assert not path.exists()  # never replaced by a new key that would orphan the sealed data
    done = cli("memory", "add", "a new fact")  # a write: the error is raised while SQLAlchemy binds the value
    assert done.code == 6 and done.err.startswith("paa: error: the data key is missing") and not path.exists()
    assert "unexpected" not in done.err and "Traceback" not in done.err
    path.with_name("data.key.away").rename(path)
    assert json.loads(cli("memory", "list", "--json").out)  # readable again once restored
    assert before  # the file was there all along: nothing was lost


def test_a_key_this_install_does_not_have_names_it(filled: dict[str, str], make_ctx) -> None:
    from sqlmodel import select

    from paa.db.models import HabitLog

    path = key_file(resolve_paths(os.environ))
    stored = json.loads(path.read_text())
    stored["keys"] = {"ffffffff": stored["keys"][stored["current"]]}
    stored["current"] = "ffffffff"
    path.write_text(json.dumps(stored))
    with make_ctx() as ctx, pytest.raises(KeyMissing, match=r"sealed with data key [0-9a-f]{8}, which this install"):
        ctx.session.exec(select(HabitLog)).one()


def test_rotation_seals_everything_with_a_new_key_and_forgets_the_old(filled: dict[str, str], make_ctx) -> None:
    paths = resolve_paths(os.environ)
    environ = {"PAA_KEYRING": "off"}
    old = key_status(paths, environ).current
    with runtime_for() as runtime:
        with runtime.auth(write=True) as actx:
            rotation = rotate_data_key(actx.session, paths, environ)
        finish_rotation(runtime.engine, paths, environ)
    assert rotation.retired == (old,) and rotation.current != old and rotation.values >= 7
    assert key_status(paths, environ).current == rotation.current
    assert old not in json.loads(key_file(paths).read_text())["keys"]
    with sqlite3.connect(_database()) as raw:
        for table, column in SEALED_COLUMNS:
            for (value,) in raw.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"):
                assert key_id_of(value) == rotation.current, (table, column)
    with make_ctx() as ctx:
        assert [hit.content for hit in memory.search(ctx, "penicillin")] == [FACT]  # the index was hashed again
        assert [row.content for row in memory.list_memories(ctx, kind="fact")] == [FACT]


def test_plain_text_from_before_encryption_reads_and_rotation_seals_it(filled: dict[str, str], make_ctx) -> None:
    from sqlmodel import select

    from paa.db.models import HabitLog

    with sqlite3.connect(_database()) as raw:
        raw.execute("UPDATE habit_logs SET note = 'written by an older paa'")
    with make_ctx() as ctx:
        assert ctx.session.exec(select(HabitLog)).one().note == "written by an older paa"
    paths = resolve_paths(os.environ)
    with runtime_for() as runtime:
        with runtime.auth(write=True) as actx:
            rotate_data_key(actx.session, paths, {"PAA_KEYRING": "off"})
        finish_rotation(runtime.engine, paths, {"PAA_KEYRING": "off"})
    with sqlite3.connect(_database()) as raw:
        assert raw.execute("SELECT note FROM habit_logs").fetchone()[0].startswith("enc:v1:")
    with make_ctx() as ctx:
        assert ctx.session.exec(select(HabitLog)).one().note == "written by an older paa"


def test_migration_0007_seals_an_older_database(tmp_path: Path) -> None:
    from paa.core.encryption import attach
    from paa.db.engine import create_db_engine, sqlite_url
    from paa.db.migrate import ensure_current, upgrade

    paths = resolve_paths({"PAA_HOME": str(tmp_path / "home")})
    paths.data_dir.mkdir(parents=True)
    engine = create_db_engine(sqlite_url(paths.database_file))
    try:
        upgrade(engine, "0006_events")
        with engine.begin() as conn:
            for statement in (
                "INSERT INTO users (id, username, role, is_active, created_at)"
                " VALUES (1, 'ann', 'member', 1, '2026-11-01')",
                "INSERT INTO memories (user_id, kind, content, derived, created_at)"
                f" VALUES (1, 'fact', '{FACT}', 0, '2026-11-10 10:00:00.000000')",
                "INSERT INTO habits (id, user_id, name, name_key, kind, target_type, schedule_type, weekdays, times,"
                " period_days, reminder_days, archived, position, created_at, updated_at) VALUES (1, 1, 'Run', 'run',"
                " 'boolean', 'at_least', 'daily', 0, 1, 1, 0, 0, 0, '2026-11-01', '2026-11-01')",
                "INSERT INTO habit_logs (user_id, habit_id, day, status, note, created_at, updated_at)"
                f" VALUES (1, 1, '2026-11-20', 'done', '{NOTE}', '2026-11-20', '2026-11-20')",
            ):
                conn.execute(text(statement))
        attach(engine, paths, None)
        ensure_current(engine, paths.backup_dir)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT content FROM memories")).scalar_one().startswith("enc:v1:")
            assert conn.execute(text("SELECT note FROM habit_logs")).scalar_one().startswith("enc:v1:")
            assert conn.execute(text("SELECT count(*) FROM memories_fts")).scalar_one() == 1
    finally:
        engine.dispose()
    assert stat.S_IMODE(key_file(paths).stat().st_mode) == 0o600


def test_rotate_keys_command_rotates_the_data_key_too(filled: dict[str, str], cli, stdin) -> None:
    from sqlmodel import Session, select

    from paa.db.models import HabitLog
    from tests.support.accounts import ALICE_PASSWORD

    stdin(ALICE_PASSWORD + "\n")
    assert cli("auth", "register", "alice", "--password-stdin").code == 0
    paths = resolve_paths(os.environ)
    old = key_status(paths, {"PAA_KEYRING": "off"}).current
    done = cli("auth", "rotate-keys")
    assert done.code == 0, done.err
    new = key_status(paths, {"PAA_KEYRING": "off"}).current
    assert new != old and f"New data key {new}" in done.out
    assert list(json.loads(key_file(paths).read_text())["keys"]) == [new]  # the old key id is gone
    with sqlite3.connect(_database()) as raw:
        assert key_id_of(raw.execute("SELECT note FROM habit_logs").fetchone()[0]) == new
    with runtime_for() as runtime, Session(runtime.engine) as session:
        assert session.exec(select(HabitLog)).one().note == NOTE


def test_doctor_says_encryption_is_on_and_where_the_key_is(filled: dict[str, str], cli) -> None:
    done = cli("doctor", "--json")
    found = [check for check in json.loads(done.out) if check["name"] == "encryption"]
    assert found and found[0]["status"] == "ok"
    assert "AES-256-GCM" in found[0]["detail"] and str(key_file(resolve_paths(os.environ))) in found[0]["detail"]
    stored = json.loads(key_file(resolve_paths(os.environ)).read_text())
    assert stored["keys"][stored["current"]] not in done.out  # where the key is, never the key
    key_file(resolve_paths(os.environ)).unlink()
    lost = [check for check in json.loads(cli("doctor", "--json").out) if check["name"] == "encryption"]
    assert lost[0]["status"] == "error" and "data key is missing" in lost[0]["detail"]
    assert "restore data.key" in lost[0]["advice"]


def test_without_fts5_memory_search_opens_the_sealed_text_itself(filled: dict[str, str], make_ctx, monkeypatch) -> None:
    """The path an engine without a word index takes (PostgreSQL has its own since 0008, tests/db/test_word_index.py;
    the database cannot compare sealed text): same answers."""
    with make_ctx() as ctx:
        fast = [hit.content for hit in memory.search(ctx, "penicillin")]
        dialect = type(ctx.session.connection().dialect)
    monkeypatch.setattr(dialect, "name", "mysql")
    with make_ctx() as ctx:
        assert ctx.session.connection().dialect.name == "mysql"
        assert [hit.content for hit in memory.search(ctx, "penicillin")] == fast == [FACT]
        assert {hit.kind for hit in memory.search(ctx, "biopsy", kinds=["checkin"])} == {"checkin"}
        assert memory.search(ctx, "peanuts") == []


class _FakeKeyring:
    """An OS keyring standing in for the real one (tests never touch the machine's keyring)."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, name: str) -> str | None:
        return self.entries.get((service, name))

    def set_password(self, service: str, name: str, value: str) -> None:
        self.entries[(service, name)] = value


def test_with_a_keyring_the_key_lives_there_and_data_key_only_names_it(tmp_path: Path, monkeypatch) -> None:
    from paa.core import encryption

    keyring = _FakeKeyring()
    monkeypatch.setattr(encryption, "_keyring", lambda environ: keyring if environ is not None else None)
    paths = resolve_paths({"PAA_HOME": str(tmp_path / "home")})
    made = encryption.load_keys(paths, {})
    stored = json.loads(key_file(paths).read_text())
    assert stored["where"] == "keyring" and "keys" not in stored  # no key material in the file
    assert [json.loads(value)["current"] for value in keyring.entries.values()] == [made.current]
    assert stat.S_IMODE(key_file(paths).stat().st_mode) == 0o600
    assert encryption.load_keys(paths, {}).keys == made.keys  # read back from the keyring
    status = key_status(paths, {})
    assert status.where == "keyring" and stored["entry"] in status.detail
    # The keyring cannot be reached today: a clear error, and never a new key in the file instead.
    with pytest.raises(KeyMissing, match=r"in the OS keyring .* which cannot be reached now"):
        encryption.load_keys(paths, None)
    keyring.entries.clear()
    with pytest.raises(KeyMissing, match="has no entry paa/data-keys-"):
        encryption.load_keys(paths, {})
    assert json.loads(key_file(paths).read_text()) == stored
