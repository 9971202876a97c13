"""A user's data version (newest change-feed id, current habit day): what the API's ETags are made of."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from paa.clock import FixedClock
from paa.core.configuration import set_user_setting
from paa.core.freshness import data_version
from paa.core.habits.logs import log_habit
from paa.core.habits.manage import HabitFields, add_habit
from tests.support.runtime import runtime_for


def _version(clock: FixedClock) -> tuple[int, date]:
    with runtime_for(clock=clock) as runtime, runtime.context() as ctx, Session(runtime.engine) as session:
        return data_version(session, ctx.user, runtime.loaded, clock)


def test_a_committed_write_moves_the_version_and_a_read_does_not(make_ctx, clock: FixedClock) -> None:
    with make_ctx(write=True) as ctx:
        habit = add_habit(ctx, HabitFields(name="Run"))
    before = _version(clock)
    assert _version(clock) == before
    with make_ctx(write=True) as ctx:
        log_habit(ctx, habit, ctx.today())
    after = _version(clock)
    assert after[0] > before[0] and after[1] == before[1]


def test_the_day_is_the_users_habit_day(make_ctx, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAA_TIMEZONE")  # the stored preference decides
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Run"))
    assert _version(clock)[1] == date(2026, 11, 26)  # 12:00 UTC
    with make_ctx(write=True) as ctx:
        set_user_setting(ctx, "timezone", "UTC")
    clock.advance(timedelta(hours=11, minutes=30))  # 23:30 UTC: still the 26th in UTC, the 27th in Tokyo
    assert _version(clock)[1] == date(2026, 11, 26)
    with make_ctx(write=True) as ctx:
        set_user_setting(ctx, "timezone", "Asia/Tokyo")
    assert _version(clock)[1] == date(2026, 11, 27)
