"""A habit list reads only recent logs; its states and current streaks must equal those from every log.

Real SQLite (and PostgreSQL) databases with years of logs: streaks far longer than the days read first, an
X-per-Y habit whose streak spans many periods, an at-most limit, a habit with logs backfilled before it was
created, and one with no logs at all.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert

from paa.core.habits.manage import HabitFields, add_habit, list_habits
from paa.core.habits.overview import RECENT_DAYS, statuses
from paa.db.models import HabitLog

TODAY = date(2026, 11, 26)


def _log(user_id: int, habit_id: int, day: date, status: str, value: float | None = None) -> dict[str, object]:
    at = datetime(day.year, day.month, day.day, 20, 0, tzinfo=UTC)
    return {"user_id": user_id, "habit_id": habit_id, "day": day, "status": status, "value": value,
            "created_at": at, "updated_at": at}  # fmt: skip


def _seed(make_ctx) -> None:
    rng = random.Random(20261207)
    with make_ctx(write=True) as ctx:
        fields = [
            HabitFields(name="Meditate"),  # done every day for 300 days: a streak far past the recent days
            HabitFields(name="Budget", times=1, per=30),  # monthly, kept for years
            HabitFields(name="Coffee", unit="cups", target=2.0, at_most=True),  # a limit, kept when nothing logged
            HabitFields(name="Run", days="mon,wed,fri"),  # random, with skips
            HabitFields(name="Swim", times=2, per=7),  # random
            HabitFields(name="Piano"),  # logs backfilled from before it was created, none recent
            HabitFields(name="Floss"),  # never logged
        ]
        habits = {f.name: add_habit(ctx, f) for f in fields}
        user = ctx.user_id
        rows = []
        start = TODAY - timedelta(days=3 * 365)
        days = [start + timedelta(days=i) for i in range((TODAY - start).days + 1)]
        ids: dict[str, int] = {}
        for name, habit in habits.items():
            assert habit.id is not None
            ids[name] = habit.id
        for day in days:
            if day >= TODAY - timedelta(days=300) or rng.random() < 0.7:
                rows.append(_log(user, ids["Meditate"], day, "done"))
            if day.day == 3 or (day.day == 20 and rng.random() < 0.3):
                rows.append(_log(user, ids["Budget"], day, "done"))
            if rng.random() < 0.6:
                rows.append(_log(user, ids["Coffee"], day, "done", rng.choice([1.0, 2.0, 3.0])))
            roll = rng.random()
            if day.weekday() in (0, 2, 4) and roll < 0.85:
                rows.append(_log(user, ids["Run"], day, "done"))
            elif roll > 0.97:
                rows.append(_log(user, ids["Run"], day, "skipped"))
            if rng.random() < 0.35:
                rows.append(_log(user, ids["Swim"], day, "done"))
            if day < start + timedelta(days=200):
                rows.append(_log(user, ids["Piano"], day, "done"))
        ctx.session.execute(insert(HabitLog), rows)


def test_a_list_from_recent_logs_says_what_every_log_says(make_ctx) -> None:
    _seed(make_ctx)
    with make_ctx() as ctx:
        habits = list_habits(ctx)
        as_of_days = [TODAY - timedelta(days=n) for n in (0, 1, 2, 5, 17, 40, 100, 365, 800)]
        for as_of in as_of_days:
            whole = statuses(ctx, habits, as_of)
            recent = statuses(ctx, habits, as_of, best=False)
            for full, part in zip(whole, recent, strict=True):
                assert (part.habit.id, part.day, part.state, part.entry, part.first_day) == (
                    full.habit.id, full.day, full.state, full.entry, full.first_day
                ), as_of  # fmt: skip
                assert part.current_streak == full.streaks.current, (full.habit.name, as_of)
        today = {s.habit.name: s for s in statuses(ctx, habits, TODAY, best=False)}
    # The cases the test is for did happen: streaks longer than the days read first, and a year-old first day.
    assert today["Meditate"].current_streak is not None
    assert today["Meditate"].current_streak.length > RECENT_DAYS + 30
    assert today["Budget"].current_streak is not None
    assert today["Budget"].current_streak.length > RECENT_DAYS + 30
    assert today["Piano"].first_day < TODAY - timedelta(days=2 * 365)
    assert today["Floss"].current_streak is None


def test_a_status_without_the_best_streak_does_not_pretend_to_have_one(make_ctx) -> None:
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Read"))
    with make_ctx() as ctx:
        (status,) = statuses(ctx, list_habits(ctx), best=False)
        (whole,) = statuses(ctx, list_habits(ctx))
    with pytest.raises(LookupError):
        _ = status.streaks
    with pytest.raises(LookupError):
        status.to_json()
    assert whole.to_json()["streak"] == {"current": 0, "current_start": None, "best": 0}
