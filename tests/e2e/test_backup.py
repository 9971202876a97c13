"""A backup taken while four real `paa` processes write is consistent and holds every write finished before it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from paa.core.habits.manage import HabitFields, add_habit
from tests.support.processes import child_env, paa_executable
from tests.support.waiting import GIVE_UP_SECONDS, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.sqlite_only,
]  # backups of the SQLite file; PostgreSQL's are pg_dump's (docs/data.md)

WRITERS = 4
FIRST_DAY = date(2026, 1, 1)  # each process logs its own habit on one new day after another


def _days_logged(db: Path, habit: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT l.day FROM habit_logs l JOIN habits h ON h.id = l.habit_id WHERE h.name = ?", (habit,)
        ).fetchall()
    return {row[0] for row in rows}


@pytest.mark.slow  # dozens of runs of the real executable on a busy machine
def test_a_backup_during_four_writers_restores_with_every_finished_write(make_ctx, paa_home: Path, tmp_path: Path):
    with make_ctx(write=True) as ctx:
        for n in range(WRITERS):
            add_habit(ctx, HabitFields(name=f"Writer {n}"))
    exe = paa_executable()
    env = child_env()
    finished: list[list[str]] = [[] for _ in range(WRITERS)]
    failures: list[str] = []
    stop = threading.Event()

    def write(n: int) -> None:
        day = FIRST_DAY
        while not stop.is_set() and not failures:
            command = [exe, "habit", "log", f"writer {n}", "--date", day.isoformat(), "--note", "sealed"]
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=GIVE_UP_SECONDS)
            if done.returncode != 0:
                failures.append(done.stderr)
                return
            finished[n].append(day.isoformat())  # only after the process has exited: its write is committed
            day += timedelta(days=1)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: failures or all(len(days) >= 3 for days in finished), what="every writer to log 3 days")
        before = [set(days) for days in finished]  # what had finished before the backup began
        target = tmp_path / "during.db"
        backup = subprocess.run([exe, "backup", str(target), "--json"], env=env, capture_output=True, text=True,
                                timeout=GIVE_UP_SECONDS)  # fmt: skip
        after = [len(days) for days in finished]  # writes that finish after this began after the backup ended
        wait_until(lambda: failures or all(len(days) > count for days, count in zip(finished, after, strict=True)),
                   what="the writers to go on after the backup")  # fmt: skip
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert backup.returncode == 0, backup.stderr
    assert json.loads(backup.stdout)["path"] == str(target)

    fresh = tmp_path / "fresh-home"
    fresh.mkdir(mode=0o700)
    assert json.loads(backup.stdout)["encrypted"] is True  # the notes are sealed
    shutil.copy(paa_home / "data.key", fresh / "data.key")  # so restoring it needs its data key
    restored = subprocess.run([exe, "restore", str(target), "--yes"], env=child_env({"PAA_HOME": str(fresh)}),
                              capture_output=True, text=True, timeout=GIVE_UP_SECONDS)  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    db = fresh / "paa.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    for n in range(WRITERS):
        assert before[n] <= _days_logged(db, f"Writer {n}")
    assert any(_days_logged(paa_home / "paa.db", f"Writer {n}") - _days_logged(db, f"Writer {n}")
               for n in range(WRITERS))  # fmt: skip  # the writers did go on after it: the copy is of one instant
