"""One habit's analytics on small calendars worked out by hand."""

from __future__ import annotations

import pytest

from paa.core.analytics.habit_stats import habit_stats
from paa.core.analytics.periods import ALL, parse_period
from paa.core.analytics.strength import strength_on
from paa.core.habits.schedule import Schedule
from paa.core.habits.status import Run
from tests.support.analytics import logs, nov, ref

# November 2026
#  Mo Tu We Th Fr Sa Su
#                     1
#   2  3  4  5  6  7  8
#   9 10 11 12 13 14 15
#  16 17 18 19 20 21 22
#  23 24 25 26            <- Thursday 26 is "today"

MON_WED_FRI = Schedule("weekdays", frozenset({0, 2, 4}))
# Run, created Mon 2: done 2, 4, 6, 9, 11, 16, 20, 23, 25; skipped Wed 18; Fri 13 missed.
RUN_LOGS = logs(done=(2, 4, 6, 9, 11, 16, 20, 23, 25), skipped=(18,))


def test_weekday_habit_by_hand() -> None:
    habit = ref(MON_WED_FRI, created=nov(2))
    stats = habit_stats(habit, RUN_LOGS, nov(26), parse_period("14d"))
    assert stats.first_day == nov(2) and stats.start == nov(13)
    # Streaks: 2-12 (broken by Fri 13), then 16-26 (Sat/Sun, Tue/Thu not due, Wed 18 skipped): 11 days each,
    # the later one wins the tie.
    assert stats.streaks.current == Run(nov(16), nov(26))
    assert stats.streaks.best == Run(nov(16), nov(26))
    # Due Mon/Wed/Fri 2..25 = 11 days, Wed 18 skipped -> 10, done 9.
    assert stats.completion == {
        "7d": 1.0,  # Fri 20, Mon 23, Wed 25
        "30d": pytest.approx(0.9),
        "90d": pytest.approx(0.9),
        "365d": pytest.approx(0.9),
        "all": pytest.approx(0.9),
        "period": pytest.approx(0.8),  # 13-26: due 13, 16, 20, 23, 25 (18 skipped), done 4
    }
    assert (stats.done, stats.skipped) == (9, 1)
    assert (stats.period_done, stats.period_due, stats.period_skipped) == (4, 5, 1)
    profile = {SHORT: (w.done, w.due) for SHORT, w in zip("MTWtFSs", stats.weekdays, strict=True)}
    assert profile == {"M": (2, 2), "T": (0, 0), "W": (1, 1), "t": (0, 0), "F": (1, 2), "S": (0, 0), "s": (0, 0)}
    assert stats.weekdays[4].rate == 0.5 and stats.weekdays[1].rate is None
    assert [p.state for p in stats.days[:3]] == ["missed", "not_due", "not_due"]  # Fri 13, Sat 14, Sun 15
    assert stats.days[5].state == "skipped"  # Wed 18
    assert stats.strength == pytest.approx(strength_on(habit.rule, RUN_LOGS, nov(26)))
    assert stats.strength_before == pytest.approx(strength_on(habit.rule, RUN_LOGS, nov(12)))
    assert stats.days[-1].strength == stats.strength and len(stats.days) == 14
    assert stats.measure is None


def test_json_shape() -> None:
    stats = habit_stats(ref(MON_WED_FRI, created=nov(2)), RUN_LOGS, nov(26), parse_period("14d"))
    data = stats.to_json()
    assert data["period"] == {"label": "14d", "start": "2026-11-13", "end": "2026-11-26", "days": 14}
    assert data["streak"] == {
        "current": 11,
        "current_start": "2026-11-16",
        "best": 11,
        "best_start": "2026-11-16",
        "best_end": "2026-11-26",
    }
    assert data["weekdays"][0] == {"day": "mon", "done": 2, "due": 2, "rate": 1.0}
    assert data["history"][0] == {
        "day": "2026-11-13",
        "state": "missed",
        "value": None,
        "strength": round(stats.days[0].strength, 4),
    }
    assert "history" not in stats.to_json(history=False)


def test_measurable_habit_by_hand() -> None:
    # Water, 8 glasses a day from Fri 20: 8, 5, (Sun 22 skipped), 10, 8, 3; Thu 26 has nothing yet.
    water = ref(Schedule(), created=nov(20), name="Water", unit="glasses", target=8.0)
    history = {**logs(values={20: 8.0, 21: 5.0, 23: 10.0, 24: 8.0, 25: 3.0}), **logs(skipped=(22,))}
    stats = habit_stats(water, history, nov(26), parse_period("7d"))
    measure = stats.measure
    assert measure is not None
    assert (measure.total, measure.days_logged, measure.days) == (34.0, 5, 5)  # open Thu 26 left out
    assert measure.average_logged == pytest.approx(6.8) and measure.average_daily == pytest.approx(6.8)
    assert (measure.on_target, measure.due_days) == (3, 5)  # 20, 23, 24 on target; 21, 25 partial
    assert measure.on_target_rate == pytest.approx(0.6)
    assert (measure.highest, measure.lowest) == (10.0, 3.0)
    assert stats.completion["7d"] == pytest.approx(0.6)
    # Runs: 20 alone (21 partial breaks it), then 23-24; 25 is partial, so nothing is running.
    assert stats.streaks.current is None and stats.streaks.best == Run(nov(23), nov(24))
    assert [p.state for p in stats.days] == ["done", "partial", "skipped", "done", "done", "partial", "due"]


def test_as_of_ignores_later_days_and_x_per_y_free_days() -> None:
    # Twice in any 7 days, created Sun 1: done 16, 19, 24, 26. Seen from Mon 23, 24 and 26 do not exist yet.
    twice = ref(Schedule("x_per_y", times=2, period_days=7), created=nov(1))
    history = logs(done=(16, 19, 24, 26))
    stats = habit_stats(twice, history, nov(23), ALL)
    assert stats.done == 2 and stats.as_of == nov(23)
    # 16-22 holds 16 and 19; Mon 23 is open and doing it would fill 17-23: the streak stands through Sun 22.
    assert stats.streaks.current == Run(nov(16), nov(22))
    assert stats.start == nov(1) and len(stats.days) == 23
    assert stats.strength == pytest.approx(strength_on(twice.rule, logs(done=(16, 19)), nov(23)))


def test_habit_created_after_the_as_of_day_has_no_days() -> None:
    stats = habit_stats(ref(Schedule(), created=nov(25)), {}, nov(20), parse_period("30d"))
    assert stats.first_day == nov(25) > stats.as_of
    assert stats.days == [] and stats.streaks.current is None and stats.strength == 0.0
    assert stats.completion["all"] is None and stats.completion["period"] is None
