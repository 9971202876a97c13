"""The daemon's daily backup: taken when the newest backup is a day old, kept by backup.keep, off with backup.daily."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from paa.clock import FixedClock
from paa.core.dataio.backup import list_backups, manifest_path
from paa.core.habits.manage import HabitFields, add_habit
from tests.support.clock import FIXED_NOW
from tests.support.runtime import runtime_for


def _backup_at(hours: float) -> Path | None:
    from paa.daemon.runner import Daemon

    with runtime_for(clock=FixedClock(FIXED_NOW + timedelta(hours=hours))) as runtime:
        return Daemon(runtime).backup_if_due()


@pytest.mark.sqlite_only  # in the fast lane; PostgreSQL's (pg_dump is a process): test_backup_engines.py
def test_a_backup_a_day(make_ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Run"))
    monkeypatch.setenv("PAA_BACKUP_KEEP", "2")
    first = _backup_at(0)
    assert first is not None and json.loads(manifest_path(first).read_text())["created_at"] == FIXED_NOW.isoformat()
    assert _backup_at(23) is None  # the newest is not a day old yet
    second = _backup_at(24)
    third = _backup_at(48)
    assert second is not None and third is not None
    assert [info.path for info in list_backups(runtime_for().paths)] == [second, third]  # backup.keep = 2


def test_off_with_backup_daily_false(make_ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Run"))
    monkeypatch.setenv("PAA_BACKUP_DAILY", "false")
    assert _backup_at(0) is None


@pytest.mark.sqlite_only  # backups of the SQLite file; PostgreSQL's are issue #19
def test_a_failed_backup_is_reported_not_raised(make_ctx, paa_home: Path) -> None:
    from paa.daemon.runner import Daemon

    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Run"))
    (paa_home / "backups").write_text("a file where the folder should be")
    with runtime_for(clock=FixedClock(FIXED_NOW)) as runtime:
        daemon = Daemon(runtime)
        assert daemon.backup_if_due() is None
    assert any("daily backup failed" in error["message"] for error in daemon._errors)
