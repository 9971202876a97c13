"""Day-level figures across habits: completion, trends, correlation, engagement and insights."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from paa.core.analytics.habit_stats import habit_stats
from paa.core.analytics.insights import insights
from paa.core.analytics.load import CheckinPoint, MessageDay
from paa.core.analytics.overall import (
    HabitDays,
    daily_completion,
    day_streaks,
    engagement,
    habit_mood,
    mood_report,
    pearson,
    rolling_mean,
)
from paa.core.analytics.periods import parse_period
from paa.core.habits.schedule import Schedule
from paa.core.habits.status import Entry
from tests.support.analytics import nov, ref

RUN = ref(Schedule("weekdays", frozenset({0, 2, 4})), created=nov(1))
READ = ref(Schedule(), created=nov(1), name="Read", habit_id=2)


def test_rolling_mean_uses_the_values_present() -> None:
    values = [1.0, None, 3.0, 5.0, None, None, None, 2.0]
    # Trailing windows of 3: [1] [1,-] [1,-,3] [-,3,5] [3,5,-] [5,-,-] [-,-,-] [-,-,2]
    assert rolling_mean(values, 3) == [1.0, 1.0, 2.0, 4.0, 4.0, 5.0, None, 2.0]


def test_pearson_by_hand() -> None:
    # x: 1 1 0 0, y: 5 4 2 1. Means .5 and 3; Sxy = 3, Sxx = 1, Syy = 10: r = 3 / sqrt(10).
    assert pearson([1, 1, 0, 0], [5, 4, 2, 1]) == pytest.approx(3 / math.sqrt(10))
    assert pearson([1, 1, 1], [5, 4, 2]) is None  # x does not vary
    assert pearson([1, 0], [5, 4]) is None  # too few


def test_daily_completion_counts_expected_habits() -> None:
    # Thu 19 .. Thu 26. Run (Mon/Wed/Fri): done Fri 20, missed Mon 23, done Wed 25.
    # Read (daily, from Sat 21): done 21, 22, 24; skipped 23; 25 missed; 26 open.
    run = HabitDays(RUN, nov(19), ["not_due", "done", "not_due", "not_due", "missed", "not_due", "done", "not_due"])
    read = HabitDays(READ, nov(21), ["done", "done", "skipped", "done", "missed", "due"])
    series = daily_completion([run, read], nov(19), nov(26))
    assert [(d.done, d.due) for d in series.days] == [(0, 0), (1, 1), (1, 1), (1, 1), (0, 1), (1, 1), (1, 2), (0, 1)]
    assert series.days[0].rate is None
    # Finished days 19-25: 5 done of 7 expected; today (0 of 1 so far) is left out of the average.
    assert series.average == pytest.approx(5 / 7)
    assert series.today is not None and (series.today.done, series.today.due) == (0, 1)


def test_habit_mood_compares_done_days_with_the_other_days() -> None:
    # Read on 19-26 Nov: not due 19 (a free day counts as "other"); done 20, 21, 22; skipped 23 (left out);
    # missed 24, 25; 26 still open (left out).
    read = HabitDays(READ, nov(19), ["not_due", "done", "done", "done", "skipped", "missed", "missed", "due"])
    moods = {nov(19): 3, nov(20): 5, nov(21): 4, nov(22): 4, nov(23): 1, nov(24): 2, nov(25): 3, nov(26): 5}
    found = habit_mood(read, moods)
    assert (found.n_done, found.n_other) == (3, 3)  # 19, 24, 25 are the other days
    assert found.mood_done == pytest.approx(13 / 3) and found.mood_other == pytest.approx(8 / 3)
    assert found.difference == pytest.approx(5 / 3)
    assert found.r is not None and found.r > 0.8
    assert found.caution is not None and "small sample (n=6" in found.caution


def test_mood_report_trend_and_previous_period() -> None:
    # Check-ins 17-26 Nov with moods 1..5..; the 7-day trend of the 23rd covers 17-23.
    checkins = [CheckinPoint(nov(day), day % 5 + 1, 3, (day % 5 - 2) / 2) for day in range(17, 27)]
    previous = [CheckinPoint(nov(day), 2, None, None) for day in range(13, 16)]
    report = mood_report(checkins, nov(23), nov(26), [], previous)
    moods = {c.day: c.mood for c in checkins if c.mood is not None}
    assert [d.day for d in report.days] == [nov(23), nov(24), nov(25), nov(26)]
    expected = sum(moods[nov(day)] for day in range(17, 24)) / 7
    assert report.days[0].mood_trend == pytest.approx(expected)
    assert report.mood_average == pytest.approx(sum(moods[nov(d)] for d in range(23, 27)) / 4)
    assert report.previous_mood == 2.0
    assert report.checkins == 4
    data = report.to_json()
    assert data["mood"]["n"] == 4 and data["days"][0]["mood_7d"] == round(expected, 4)


def test_check_in_streaks() -> None:
    days = [nov(d) for d in (1, 2, 3, 10, 11, 12, 13, 25, 26)]
    assert day_streaks(days, nov(26)) == (2, 4)
    assert day_streaks(days[:-1], nov(26)) == (1, 4)  # today's check-in may still come
    assert day_streaks(days[:-2], nov(26)) == (0, 4)
    assert day_streaks([], nov(26)) == (0, 0)


def test_engagement_by_hand() -> None:
    # 20-26 Nov: logs on 20, 21, 25; check-ins 21, 24, 25, 26; messages on 22 and 26.
    usage = engagement(
        nov(20),
        nov(26),
        {nov(20): 2, nov(21): 1, nov(25): 3},
        [nov(d) for d in (21, 24, 25, 26)],
        {nov(22): MessageDay(user=3, all=6), nov(26): MessageDay(user=1, all=2)},
    )
    assert usage.active_days == 6  # only Mon 23 had nothing
    assert (usage.checkins, usage.logs, usage.user_messages, usage.all_messages) == (4, 6, 4, 8)
    assert usage.messages_per_day == pytest.approx(4 / 7)
    assert (usage.checkin_streak, usage.checkin_best) == (3, 3)
    assert usage.chat_days == 2
    assert usage.to_json()["active_rate"] == round(6 / 7, 4)


def test_insights_carry_their_numbers() -> None:
    # A daily habit "Read" from Mon 2026-10-19, done every weekday before today; mood 5 on days done, else 3.
    start = date(2026, 10, 19)
    days = [start + timedelta(days=i) for i in range(39)]  # 2026-10-19 .. Thu 2026-11-26
    done = {day for day in days if day.weekday() < 5 and day < nov(26)}
    read = ref(Schedule(), created=start, name="Read", habit_id=2)
    stats = habit_stats(read, {day: Entry("done") for day in done}, nov(26), parse_period("35d"))
    habit_days = HabitDays(read, stats.start, [p.state for p in stats.days])
    checkins = [CheckinPoint(day, 5 if day in done else 3, None, None) for day in days]
    mood = mood_report(checkins, stats.start, nov(26), [habit_days])
    series = daily_completion([habit_days], stats.start, nov(26))
    usage = engagement(stats.start, nov(26), {}, [c.day for c in checkins], {})
    found = insights([stats], series, mood, usage, parse_period("35d"))
    kinds = {item.kind: item for item in found}
    # 35 days, Fri 23 Oct - Thu 26 Nov: 24 weekdays done (Oct 23, then 5 a week, then Nov 23-25) and
    # 10 weekend days; today is still open and left out.
    assert kinds["mood_habit"].text == "Mood averages 5.0 on days you complete Read vs 3.0 otherwise, n=34."
    assert kinds["mood_habit"].numbers == {"habit": "Read", "mood_done": 5.0, "mood_other": 3.0, "n": 34, "r": 1.0}
    assert kinds["weekday"].text == "You complete 100% of habits on Mondays but 0% on Saturdays."
    assert kinds["checkin_streak"].numbers == {"days": 39, "best": 39}
    assert found == sorted(found, key=lambda item: -item.weight)


def test_completion_trend_and_mood_trend_insights() -> None:
    from paa.core.analytics.insights import completion_insight, mood_insights
    from paa.core.analytics.overall import CompletionSeries, DayCompletion

    # 21 finished days (5-25 Nov): all done for 14 days, nothing for the last 7; today open.
    days = [DayCompletion(nov(d), 1 if d < 19 else 0, 1) for d in range(5, 26)] + [DayCompletion(nov(26), 0, 1)]
    found = completion_insight(CompletionSeries(days), parse_period("22d"))
    assert [item.text for item in found] == ["Last 7 days: 0% of habits done, below your 67% over the last 22 days."]
    assert found[0].numbers == {"last_7d": 0.0, "period": round(14 / 21, 4)}
    # Mood 4 for 14 days, then 2 for the last 7 (the 26th included): last 7 days 2.0 vs 3.33 over 21 days.
    checkins = [CheckinPoint(nov(d), 4 if d < 20 else 2, None, None) for d in range(6, 27)]
    mood = mood_report(checkins, nov(6), nov(26), [])
    trend = [item for item in mood_insights(mood) if item.kind == "mood_trend"]
    assert trend[0].text == "Mood over the last 7 days averages 2.0, below the period's 3.3 (n=7)."
