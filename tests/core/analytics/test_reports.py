"""Analytics read from a real SQLite database under a temporary PAA_HOME.

Time-zone transitions used (2026, Europe/Berlin):
  spring forward Sun 29 March 02:00 CET -> 03:00 CEST (01:00 UTC)
  fall back      Sun 25 October 03:00 CEST -> 02:00 CET (01:00 UTC)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert

from paa.clock import FixedClock
from paa.core.analytics.load import read_entries, read_message_days
from paa.core.analytics.periods import ALL, parse_period
from paa.core.analytics.reports import (
    as_of_day,
    engagement_report,
    export,
    habit_report,
    overall_heatmap,
    overview,
)
from paa.core.habits.logs import log_habit, skip_habit
from paa.core.habits.manage import HabitFields, add_habit, set_archived
from paa.db.models import Conversation, DailyCheckin, Habit, HabitLog, Message, User
from tests.support.runtime import open_context

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # Thursday


def nov(day: int) -> date:
    return date(2026, 11, day)


def add_checkin(ctx, day: date, mood: int | None, sentiment: float | None = None, user_id: int | None = None) -> None:
    stamp = datetime(day.year, day.month, day.day, 20, 0, tzinfo=UTC)
    ctx.session.add(
        DailyCheckin(
            user_id=user_id or ctx.user_id, day=day, mood=mood, energy=3, answers="[]",
            sentiment_score=sentiment, created_at=stamp, updated_at=stamp,
        )
    )  # fmt: skip


def add_messages(ctx, instants: list[datetime], role: str = "user", user_id: int | None = None) -> None:
    owner = user_id or ctx.user_id
    conversation = Conversation(user_id=owner, created_at=instants[0], updated_at=instants[0])
    ctx.session.add(conversation)
    ctx.session.flush()
    assert conversation.id is not None
    for instant in instants:
        ctx.session.add(
            Message(user_id=owner, conversation_id=conversation.id, role=role, content="hi", created_at=instant)
        )


@pytest.fixture
def sample(make_ctx) -> None:
    """Run (Mon/Wed/Fri) and Water (8 glasses) for the local user, plus another user's data that must not show."""
    with make_ctx(write=True) as ctx:
        run = add_habit(ctx, HabitFields(name="Run", days="mon,wed,fri"))
        water = add_habit(ctx, HabitFields(name="Water", unit="glasses", target=8.0))
        for day in (16, 18, 20, 23, 25):
            log_habit(ctx, run, nov(day))
        for day, amount in ((20, 8.0), (21, 5.0), (23, 10.0), (24, 8.0), (25, 3.0)):
            log_habit(ctx, water, nov(day), value=amount)
        skip_habit(ctx, water, nov(22))
        for day, mood in ((20, 4), (21, 3), (22, 2), (23, 5), (24, 4), (25, 5)):
            add_checkin(ctx, nov(day), mood, sentiment=(mood - 3) / 2)
        add_messages(ctx, [datetime(2026, 11, 24, 18, tzinfo=UTC), datetime(2026, 11, 24, 18, 5, tzinfo=UTC)])
        add_messages(ctx, [datetime(2026, 11, 24, 18, 1, tzinfo=UTC)], role="assistant")
        other = User(username="someone-else", created_at=NOW)
        ctx.session.add(other)
        ctx.session.flush()
        assert other.id is not None
        theirs = Habit(user_id=other.id, name="Run", name_key="run", created_at=NOW, updated_at=NOW)
        ctx.session.add(theirs)
        ctx.session.flush()
        ctx.session.execute(
            insert(HabitLog),
            [{"user_id": other.id, "habit_id": theirs.id, "day": nov(d), "status": "done",
              "created_at": NOW, "updated_at": NOW} for d in range(1, 27)],
        )  # fmt: skip
        for day in range(1, 27):
            add_checkin(ctx, nov(day), 1, user_id=other.id)
        add_messages(ctx, [datetime(2026, 11, 24, 18, tzinfo=UTC)] * 5, user_id=other.id)


def test_overview_reads_only_the_users_data(sample, make_ctx) -> None:
    with make_ctx() as ctx:
        view = overview(ctx, ctx.today(), parse_period("7d"))
    assert [s.habit.name for s in view.habits] == ["Run", "Water"]
    assert view.start == nov(20)  # 7 days: Fri 20 - Thu 26
    usage = view.engagement
    # Logs in 20-26: Run 20, 23, 25; Water 20, 21, 22 (skipped), 23, 24, 25. Check-ins 20-25.
    assert (usage.checkins, usage.user_messages, usage.all_messages) == (6, 2, 3)
    assert usage.logs == 9 and usage.active_days == 6
    assert (usage.checkin_streak, usage.checkin_best) == (6, 6)  # 20-25; today's may still come
    mood = view.mood
    assert mood.mood_average == pytest.approx(23 / 6)
    run = next(c for c in mood.correlations if c.habit.name == "Run")
    # Run done 20, 23, 25 (moods 4, 5, 5); other days with a mood: 21, 22, 24 (3, 2, 4).
    assert (run.n_done, run.n_other, run.mood_done, run.mood_other) == (3, 3, pytest.approx(14 / 3), 3.0)
    assert run.caution is not None


def test_overview_window_is_the_period_when_data_reaches_back(sample, make_ctx) -> None:
    with make_ctx() as ctx:
        view = overview(ctx, nov(25), parse_period("3d"))
    assert view.start == nov(23) and [d.day for d in view.completion.days] == [nov(23), nov(24), nov(25)]
    # 23: Run done, Water done; 24: Water done (Run not due); 25: Run done, Water partial (3 of 8).
    assert [(d.done, d.due) for d in view.completion.days] == [(2, 2), (1, 1), (1, 2)]


def test_habit_report_and_as_of(sample, make_ctx) -> None:
    with make_ctx() as ctx:
        water = habit_report(ctx, "water", nov(26), parse_period("7d"))
        earlier = habit_report(ctx, "water", nov(21), ALL)
    assert water.measure is not None and water.measure.total == 34.0
    assert earlier.measure is not None and earlier.measure.total == 13.0  # 20 and 21 only
    assert earlier.first_day == nov(20) and earlier.as_of == nov(21)


def test_archived_and_future_habits_are_left_out_of_the_overview(sample, make_ctx, clock) -> None:
    with make_ctx(write=True) as ctx:
        water = ctx.session.get(Habit, 2)
        set_archived(ctx, water, True)
    clock.advance(timedelta(days=10))
    with make_ctx(write=True) as ctx:
        add_habit(ctx, HabitFields(name="Read"))  # created 6 December
    with make_ctx() as ctx:
        names = [s.habit.name for s in overview(ctx, nov(26), parse_period("30d")).habits]
        archived = habit_report(ctx, "water", nov(26), parse_period("7d"))
    assert names == ["Run"]
    assert archived.habit.archived and archived.measure is not None


def test_read_entries_stops_at_the_as_of_day(sample, make_ctx) -> None:
    with make_ctx() as ctx:
        found = read_entries(ctx, [1, 2], nov(21))
    assert sorted(found[1]) == [nov(16), nov(18), nov(20)]
    assert sorted(found[2]) == [nov(20), nov(21)]
    assert found[2][nov(21)].value == 5.0


def test_export_rows(sample, make_ctx) -> None:
    with make_ctx() as ctx:
        data = export(ctx, nov(26), ALL)
    rows = data.habit_rows()
    # Run's first check (Mon 16): 1 of the 6 checks a doubled 14-day window wants, smoothed at 3/7:
    # (1/6) * (1 - 0.5 ** (sqrt(3/7) / 13)) = 0.005717.
    assert rows[0] == {"day": "2026-11-16", "habit_id": 1, "habit": "Run", "kind": "boolean", "state": "done",
                       "done": 1, "value": None, "strength": pytest.approx(0.005717, abs=1e-4)}  # fmt: skip
    water_rows = [r for r in rows if r["habit"] == "Water"]
    assert [r["state"] for r in water_rows] == ["done", "partial", "skipped", "done", "done", "partial", "due"]
    days = {row["day"]: row for row in data.day_rows()}
    assert days["2026-11-24"] == {"day": "2026-11-24", "habits_done": 1, "habits_due": 1, "completion": 1.0,
                                  "mood": 4, "energy": 3, "sentiment": 0.5, "habit_logs": 1, "checkin": 1,
                                  "user_messages": 2}  # fmt: skip


def test_overall_heatmap_levels(sample, make_ctx) -> None:
    with make_ctx() as ctx:
        heat = overall_heatmap(ctx, nov(25), parse_period("3d"))
    # 23: 2 of 2 -> 4; 24: 1 of 1 -> 4; 25: 1 of 2 -> level 2.
    assert [(c.day, c.level) for c in heat.cells] == [(nov(23), 4), (nov(24), 4), (nov(25), 2)]


# --- day-start hour and daylight saving ----------------------------------------------------------


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("PAA_DAY_START_HOUR", "4")


def test_today_follows_the_day_start_hour(berlin) -> None:
    # 02:00 UTC on Thu 26 is 03:00 in Berlin: with days starting at 04:00 it is still Wednesday.
    with open_context(clock=FixedClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))) as ctx:
        assert as_of_day(ctx, None) == nov(25)
        assert as_of_day(ctx, "yesterday") == nov(24)
    with open_context(clock=FixedClock(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))) as ctx:  # 04:00 local
        assert as_of_day(ctx, None) == nov(26)


def test_messages_fall_on_local_habit_days_across_dst(berlin) -> None:
    instants = [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 01:30 CET  -> Sat 28 March (before 04:00)
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 03:30 CEST -> still Sat 28 March
        datetime(2026, 3, 29, 2, 30, tzinfo=UTC),  # 04:30 CEST -> Sun 29 March
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 CEST -> Sat 24 October
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 02:30 CET (the second time) -> Sat 24 October
        datetime(2026, 10, 25, 2, 30, tzinfo=UTC),  # 03:30 CET -> Sat 24 October
        datetime(2026, 10, 25, 3, 30, tzinfo=UTC),  # 04:30 CET -> Sun 25 October
    ]
    clock = FixedClock(NOW)
    with open_context(write=True, clock=clock) as ctx:
        add_messages(ctx, instants)
    with open_context(clock=clock) as ctx:
        spring = read_message_days(ctx, date(2026, 3, 28), date(2026, 3, 29))
        autumn = read_message_days(ctx, date(2026, 10, 24), date(2026, 10, 25))
        only_sunday = read_message_days(ctx, date(2026, 3, 29), date(2026, 3, 29))
    assert {day: count.user for day, count in spring.items()} == {date(2026, 3, 28): 2, date(2026, 3, 29): 1}
    assert {day: count.user for day, count in autumn.items()} == {date(2026, 10, 24): 3, date(2026, 10, 25): 1}
    assert {day: count.user for day, count in only_sunday.items()} == {date(2026, 3, 29): 1}


def test_a_streak_runs_through_the_short_and_the_long_day(berlin) -> None:
    # Daily habit logged Fri 27 - Tue 31 March: Sun 29 has only 23 hours. Five days, one streak, and the
    # strength after five checks is Loop's 0.234017 as on any other five days.
    clock = FixedClock(datetime(2026, 3, 31, 18, 0, tzinfo=UTC))
    with open_context(write=True, clock=clock) as ctx:
        habit = add_habit(ctx, HabitFields(name="Stretch"))
        for day in range(27, 32):
            log_habit(ctx, habit, date(2026, 3, day))
    with open_context(clock=clock) as ctx:
        stats = habit_report(ctx, "stretch", as_of_day(ctx, None), parse_period("7d"))
    assert stats.as_of == date(2026, 3, 31)
    assert stats.streaks.current is not None and stats.streaks.current.length == 5
    assert stats.completion["7d"] == 1.0
    assert stats.strength == pytest.approx(0.234017, abs=1e-6)
    # Autumn: 24 - 26 October around the 25-hour Sunday.
    clock = FixedClock(datetime(2026, 10, 26, 18, 0, tzinfo=UTC))
    with open_context(write=True, clock=clock) as ctx:
        habit = add_habit(ctx, HabitFields(name="Floss"))
        for day in (24, 25, 26):
            log_habit(ctx, habit, date(2026, 10, day))
    with open_context(clock=clock) as ctx:
        stats = habit_report(ctx, "floss", as_of_day(ctx, None), parse_period("7d"))
    assert stats.streaks.current is not None and stats.streaks.current.length == 3
    assert stats.strength == pytest.approx(0.147820, abs=1e-6)


def test_the_portable_read_gives_what_the_sqlite_fast_path_gives(sample, make_ctx, monkeypatch) -> None:
    with make_ctx() as ctx:
        fast = read_entries(ctx, [1, 2], nov(26))
        dialect = type(ctx.session.connection().dialect)
    monkeypatch.setattr(dialect, "name", "postgresql")  # any other database takes the SQLAlchemy path
    with make_ctx() as ctx:
        assert ctx.session.connection().dialect.name == "postgresql"
        portable = read_entries(ctx, [1, 2], nov(26))
    assert portable == fast and sum(len(days) for days in fast.values()) == 11


def test_engagement_report_for_all_time_starts_at_the_first_record(sample, make_ctx) -> None:
    with make_ctx() as ctx:
        usage = engagement_report(ctx, nov(26), ALL)
        week = engagement_report(ctx, nov(26), parse_period("7d"))
    # Run's first (backfilled) log is Mon 16, before the habits were added and before the first check-in.
    assert usage.start == nov(16) and len(usage.days) == 11
    assert usage.logs == 11 and usage.checkins == 6
    assert week.start == nov(20) and week.logs == 9
