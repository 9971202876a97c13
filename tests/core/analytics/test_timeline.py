"""Streaks and completion from flat day arrays: hand-computed calendars, and agreement with `status`."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from paa.core.analytics.strength import score_series, score_start
from paa.core.analytics.timeline import build_timeline, completion, runs, streaks, strength_series, tallies
from paa.core.habits.schedule import Schedule
from paa.core.habits.status import (
    Entry,
    HabitRule,
    Run,
    completion_rate,
    day_state,
    day_states,
    days_from,
    streak_runs,
)
from paa.core.habits.status import streaks as progress_streaks
from tests.support.streak_reference import reference_runs, reference_streaks

DAILY = HabitRule(Schedule())
MON_WED_FRI = HabitRule(Schedule("weekdays", frozenset({0, 2, 4})))
TWICE_A_WEEK = HabitRule(Schedule("x_per_y", times=2, period_days=7))
WATER = HabitRule(Schedule(), measurable=True, target=8.0)
COFFEE = HabitRule(Schedule(), measurable=True, target=2.0, at_most=True)


def d(day: int) -> date:
    """A day of November 2026 (Sunday 1st ... Thursday 26th)."""
    return date(2026, 11, day)


def entries(done: tuple[int, ...] = (), skipped: tuple[int, ...] = (), values: dict[int, float] | None = None):
    found = {d(n): Entry("done") for n in done}
    found.update({d(n): Entry("skipped") for n in skipped})
    found.update({d(n): Entry("done", v) for n, v in (values or {}).items()})
    return found


# November 2026
#  Mo Tu We Th Fr Sa Su
#                     1
#   2  3  4  5  6  7  8
#   9 10 11 12 13 14 15
#  16 17 18 19 20 21 22
#  23 24 25 26


def test_daily_streak_with_a_skip_and_an_open_today() -> None:
    # Done 16-21, skipped 22, done 23-25; today the 26th is not done yet: the streak stands at 10 days.
    history = entries(done=(16, 17, 18, 19, 20, 21, 23, 24, 25), skipped=(22,))
    found = streaks(build_timeline(DAILY, history, d(10), d(26)))
    assert found.current == Run(d(16), d(25))
    assert found.best == Run(d(16), d(25))
    # One day later with nothing done on the 26th, the streak is broken.
    later = streaks(build_timeline(DAILY, history, d(10), d(27)))
    assert later.current is None and later.best == Run(d(16), d(25))


def test_weekday_streak_is_not_broken_by_days_off() -> None:
    # Mon/Wed/Fri: done Mon 16, Wed 18, Fri 20, Mon 23, Wed 25. Tue, Thu and the weekend are not due.
    history = entries(done=(16, 18, 20, 23, 25))
    found = streaks(build_timeline(MON_WED_FRI, history, d(9), d(26)))
    # Thu 26 is not due, so it keeps the streak: Mon 16 .. Thu 26 = 11 days.
    assert found.current == Run(d(16), d(26))
    # Missing Fri 13 broke the earlier one (Mon 9 - Thu 12); Wed 18 is missed too, so that run ends Tue 17.
    assert runs(build_timeline(MON_WED_FRI, entries(done=(9, 11, 16)), d(9), d(18))) == [
        Run(d(9), d(12)),
        Run(d(16), d(17)),
    ]


def test_x_per_y_streak_survives_its_free_days() -> None:
    # Twice in any 7 days: done Mon 16, Thu 19 and Tue 24. Windows holding two: 16-22 (16, 19) and
    # 18-24, 19-25 (19, 24): every day from the 16th to Wed 25 lies in one. Thu 26 lies in none yet, but
    # it is today and doing it would complete 20-26, so the streak stands through yesterday: 16-25.
    history = entries(done=(16, 19, 24))
    found = streaks(build_timeline(TWICE_A_WEEK, history, d(16), d(26)))
    assert found.current == Run(d(16), d(25))
    # On Friday 27 with nothing more done, 21-27 could still hold two (24 and 27): still alive, 16-26.
    assert streaks(build_timeline(TWICE_A_WEEK, history, d(16), d(27))).current == Run(d(16), d(26))
    # With only Mon 16 and Tue 24, no finished 7-day window holds two. Doing today would fill 20-26, so
    # the streak that starts on Tue 24 is alive (24-25); a day later it is gone (21-27 can't hold two).
    sparse = entries(done=(16, 24))
    assert streaks(build_timeline(TWICE_A_WEEK, sparse, d(16), d(26))).current == Run(d(24), d(25))
    # Finished days alone: each done day is a one-day streak of its own.
    assert runs(build_timeline(TWICE_A_WEEK, sparse, d(16), d(26))) == [Run(d(16), d(16)), Run(d(24), d(24))]


def test_measurable_partial_days_break_and_at_most_overs_break() -> None:
    water = entries(values={20: 8.0, 21: 9.0, 22: 5.0, 23: 8.0, 24: 8.5, 25: 8.0})
    found = streaks(build_timeline(WATER, water, d(20), d(26)))
    assert found.current == Run(d(23), d(25)) and found.best == Run(d(23), d(25))  # ties: the later one wins
    coffee = entries(values={23: 1.0, 24: 3.0, 25: 2.0, 26: 0.0})
    assert streaks(build_timeline(COFFEE, coffee, d(23), d(26))).current == Run(d(25), d(26))


def test_completion_by_hand() -> None:
    # Mon/Wed/Fri over 9-26 Nov: due Mon 9, Wed 11, Fri 13, Mon 16, Wed 18, Fri 20, Mon 23, Wed 25 = 8 days.
    # Done 9, 11, 16, 20, 23, 25 = 6; skipped Wed 18 (leaves the count): 6 of 7.
    history = entries(done=(9, 11, 16, 20, 23, 25), skipped=(18,))
    timeline = build_timeline(MON_WED_FRI, history, d(9), d(26))
    counts = tallies(timeline)
    assert completion(timeline, counts, d(9)) == pytest.approx(6 / 7)
    # Last 7 days (20-26): due Fri 20, Mon 23, Wed 25; all done.
    assert completion(timeline, counts, d(20)) == 1.0
    # Twice a week, 14 days 13-26 with today open (excluded): 13 days, none skipped, 2 * 13 / 7 = 3.71 expected.
    twice = build_timeline(TWICE_A_WEEK, entries(done=(14, 17, 21)), d(13), d(26))
    assert completion(twice, tallies(twice), d(13)) == pytest.approx(3 / (2 * 13 / 7))


def test_completion_counts_today_once_it_is_done() -> None:
    timeline = build_timeline(DAILY, entries(done=(24, 26)), d(24), d(26))
    assert completion(timeline, tallies(timeline), d(24)) == pytest.approx(2 / 3)
    open_today = build_timeline(DAILY, entries(done=(24,)), d(24), d(26))
    assert completion(open_today, tallies(open_today), d(24)) == pytest.approx(1 / 2)
    only_today = build_timeline(DAILY, {}, d(26), d(26))
    assert completion(only_today, tallies(only_today), d(26)) is None


def test_strength_starts_at_the_first_record() -> None:
    timeline = build_timeline(DAILY, entries(done=(24, 25)), d(1), d(26))
    first, series = strength_series(timeline)
    assert first == d(24) and len(series) == 3
    assert series[0] == pytest.approx(0.051922, abs=1e-6)
    empty = build_timeline(COFFEE, {}, d(1), d(26))
    assert strength_series(empty) == (d(26), [1.0])  # nothing over the limit yet


# --- agreement with paa.core.habits.status on random histories ----------------------------------------

RULES = [
    DAILY,
    MON_WED_FRI,
    HabitRule(Schedule("weekdays", frozenset({6}))),
    TWICE_A_WEEK,
    HabitRule(Schedule("x_per_y", times=1, period_days=2)),
    HabitRule(Schedule("x_per_y", times=3, period_days=10), measurable=True, target=5.0),
    WATER,
    COFFEE,
]


def _random_history(rng: random.Random, rule: HabitRule, last: date, length: int = 90) -> dict[date, Entry]:
    keep = rng.random()
    found: dict[date, Entry] = {}
    for day in days_from(last - timedelta(days=length), last):
        roll = rng.random()
        if roll < keep:
            found[day] = Entry("done", rng.choice([1.0, 2.0, 5.0, 8.0, 9.5]) if rule.measurable else None)
        elif roll < keep + 0.1:
            found[day] = Entry("skipped")
    return found


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.schedule.type}-{r.measurable}-{r.at_most}")
def test_agrees_with_progress(rule: HabitRule) -> None:
    rng = random.Random(20261126)
    for trial in range(60):
        today = d(26) - timedelta(days=rng.randint(0, 5))
        # Every third history is short: younger than the habit's period, or just a few days old.
        history = _random_history(rng, rule, d(26), rng.randint(0, 12) if trial % 3 == 0 else 90)
        first = min([today, *history])
        timeline = build_timeline(rule, history, first, today)
        assert runs(timeline) == streak_runs(rule, history, first, today) == reference_runs(rule, history, first, today)
        assert streaks(timeline) == progress_streaks(rule, history, first, today)
        assert streaks(timeline) == reference_streaks(rule, history, first, today)
        counts = tallies(timeline)
        for days in (1, 7, 30, 90, 365):
            ours = completion(timeline, counts, today - timedelta(days=days - 1))
            theirs = completion_rate(rule, history, first, today, days)
            assert ours == pytest.approx(theirs) if theirs is not None else ours is None
        start = today - timedelta(days=rng.randint(0, 40))
        assert strength_series(timeline)[1] == score_series(rule, history, score_start(history, today), today)
        assert day_states(rule, history, start, today, today) == [
            day_state(rule, history, day, today) for day in days_from(start, today)
        ]
