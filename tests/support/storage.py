"""Helpers for the end-to-end storage tests: start worker processes together, read the database independently."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import child_env
from tests.support.waiting import GIVE_UP_SECONDS

WORKER_SCRIPT = Path(__file__).with_name("storage_worker.py")


def start_worker(*args: str) -> subprocess.Popen[str]:
    """Start `storage_worker.py` with the test's environment; it imports paa, says `ready`, then waits for `release`."""
    return subprocess.Popen(
        [sys.executable, str(WORKER_SCRIPT), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(fixed_clock=False),
    )


def wait_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.strip() != "ready":
        _, err = process.communicate(timeout=GIVE_UP_SECONDS)
        raise AssertionError(f"worker did not start: {line!r}\n{err}")


def release(process: subprocess.Popen[str]) -> None:
    """Let a ready worker begin its writes."""
    assert process.stdin is not None
    process.stdin.write("go\n")
    process.stdin.flush()


@contextmanager
def workers_started_together(arg_lists: Sequence[Sequence[str]]) -> Iterator[list[subprocess.Popen[str]]]:
    """Start one worker per argument list, wait until all are ready, release them at once; kill leftovers on exit."""
    processes = [start_worker(*args) for args in arg_lists]
    try:
        for process in processes:
            wait_ready(process)
        for process in processes:
            release(process)
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=GIVE_UP_SECONDS)


def finish(process: subprocess.Popen[str], timeout: float = GIVE_UP_SECONDS) -> list[str]:
    """Wait for a released worker to exit successfully; return the lines it printed after `ready`."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"worker failed with {process.returncode}:\n{err}"
    return out.splitlines()


def connect(db_file: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection, independent of paa's engine, to check what is really on disk."""
    assert db_file.exists(), f"no database at {db_file}"
    return sqlite3.connect(db_file, timeout=30)


def integrity(db_file: Path) -> str:
    with connect(db_file) as conn:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    conn.close()
    return "; ".join(row[0] for row in rows)


def habit_total(db_file: Path, name: str) -> float:
    """The sum of every logged value of a habit (0 when nothing is logged)."""
    with connect(db_file) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(l.value), 0) FROM habit_logs AS l JOIN habits AS h ON h.id = l.habit_id "
            "WHERE h.name_key = ?",
            (name.casefold(),),
        ).fetchone()
    conn.close()
    return float(row[0])


def scalar(db_file: Path, sql: str) -> object:
    with connect(db_file) as conn:
        value = conn.execute(sql).fetchone()[0]
    conn.close()
    return value
