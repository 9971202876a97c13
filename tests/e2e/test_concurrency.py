"""Several processes writing to one database at once lose nothing and leave it intact: on SQLite and on PostgreSQL
(the `pg` variants, tests/support/engines.py)."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from paa.core.habits.manage import HabitFields, add_habit
from paa.db.revisions import HEAD
from tests.support.clock import FIXED_NOW
from tests.support.processes import paa_executable
from tests.support.storage import finish, habit_total, integrity, scalar, workers_started_together

pytestmark = pytest.mark.e2e

PROCESSES = 4


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every process logs on the same day, so all writes land on one row and contend for it."""
    monkeypatch.setenv("PAA_NOW", FIXED_NOW.isoformat())


def _add_water(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Water", unit="glasses", target=8))


def _written(db_engine: str, paa_home: Path) -> tuple[float, int]:
    """The Water habit's logged total and the number of log rows, read apart from paa's own engine."""
    if db_engine == "sqlite":
        db = paa_home / "paa.db"
        assert integrity(db) == "ok"
        return habit_total(db, "Water"), int(scalar(db, "SELECT COUNT(*) FROM habit_logs"))  # type: ignore[call-overload]
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(os.environ["PAA_DB_URL"], poolclass=NullPool)
    try:
        with engine.connect() as conn:
            total = conn.execute(
                text(
                    "SELECT COALESCE(SUM(l.value), 0) FROM habit_logs AS l JOIN habits AS h ON h.id = l.habit_id "
                    "WHERE h.name_key = 'water'"
                )
            ).scalar()
            rows = conn.execute(text("SELECT COUNT(*) FROM habit_logs")).scalar()
    finally:
        engine.dispose()
    return float(total or 0), int(rows or 0)


@pytest.mark.slow  # about 12 s alone, more on a busy machine
def test_four_processes_logging_through_core_lose_nothing(make_ctx, paa_home: Path, db_engine: str) -> None:
    _add_water(make_ctx)
    per_process = 250

    with workers_started_together([("log", "water", str(per_process))] * PROCESSES) as workers:
        reports = [finish(worker) for worker in workers]

    expected = [f"saved {step}" for step in range(1, per_process + 1)]
    assert all([line for line in lines if line.startswith("saved")] == expected for lines in reports)
    assert _written(db_engine, paa_home) == (PROCESSES * per_process, 1)


@pytest.mark.slow  # 40 runs of the real executable: about 15 s on 2 cores
def test_four_processes_running_paa_habit_log_lose_nothing(make_ctx, paa_home: Path, db_engine: str) -> None:
    _add_water(make_ctx)
    exe = paa_executable()
    per_process = 10
    start = threading.Barrier(PROCESSES)
    failures: list[str] = []

    def log_repeatedly() -> None:
        start.wait()
        for _ in range(per_process):
            done = subprocess.run([exe, "habit", "log", "water", "1"], capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                failures.append(done.stderr)

    threads = [threading.Thread(target=log_repeatedly) for _ in range(PROCESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert _written(db_engine, paa_home) == (PROCESSES * per_process, 1)


@pytest.mark.sqlite_only  # a new SQLite file; a test's PostgreSQL database exists already, migrated
def test_first_use_by_four_processes_at_once(paa_home: Path) -> None:
    """Four processes open a database that does not exist yet: one migrates, all succeed, one user results."""
    assert not paa_home.exists()

    with workers_started_together([("add", f"Book {n}") for n in range(PROCESSES)]) as workers:
        ids = [finish(worker) for worker in workers]

    assert sorted(int(lines[0]) for lines in ids) == [1, 2, 3, 4]
    db = paa_home / "paa.db"
    assert scalar(db, "SELECT version_num FROM alembic_version") == HEAD
    assert scalar(db, "SELECT COUNT(*) FROM users") == 1
    assert scalar(db, "SELECT COUNT(*) FROM habits") == PROCESSES
    assert scalar(db, "SELECT COUNT(DISTINCT position) FROM habits") == PROCESSES
    assert integrity(db) == "ok"


@pytest.mark.sqlite_only  # a new SQLite file, as above
def test_first_use_of_paa_by_four_processes_at_once(paa_home: Path) -> None:
    exe = paa_executable()
    processes = [
        subprocess.Popen([exe, "habit", "add", f"Walk {n}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(PROCESSES)
    ]
    results = [(process.wait(timeout=120), process.communicate()[1]) for process in processes]

    assert [code for code, _ in results] == [0] * PROCESSES, [err for _, err in results]
    db = paa_home / "paa.db"
    assert scalar(db, "SELECT version_num FROM alembic_version") == HEAD
    assert scalar(db, "SELECT COUNT(*) FROM users") == 1
    assert scalar(db, "SELECT COUNT(*) FROM habits") == PROCESSES
    assert integrity(db) == "ok"
