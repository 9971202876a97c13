"""Day states, streaks and completion rates, worked out by hand on a calendar, plus invariants.

Every hand-worked case lives in November 2026, with today Thursday the 26th:

        Mo Tu We Th Fr Sa Su
                             1
         2  3  4  5  6  7  8
         9 10 11 12 13 14 15
        16 17 18 19 20 21 22
        23 24 25 [26]

Marks in the comments: D done, S skipped, . nothing, P partial (under an at-least target),
O over (above an at-most target), - not due.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paa.core.habits.schedule import Schedule
from paa.core.habits.status import (
    Entry,
    HabitRule,
    Run,
    completion_rate,
    credits,
    current_streak,
    day_state,
    streak_runs,
    streaks,
)
from tests.support.streak_reference import reference_runs, reference_streaks

TODAY = date(2026, 11, 26)
DAILY = HabitRule(Schedule("daily"))
MWF = HabitRule(Schedule("weekdays", frozenset({0, 2, 4})))
FIVE_PER_WEEK = HabitRule(Schedule("x_per_y", times=5, period_days=7))
ONCE_IN_THREE = HabitRule(Schedule("x_per_y", times=1, period_days=3))
WATER = HabitRule(Schedule("daily"), measurable=True, target=8, at_most=False)  # at least 8 glasses
COFFEE = HabitRule(Schedule("daily"), measurable=True, target=2, at_most=True)  # at most 2 cups


def nov(day: int) -> date:
    return date(2026, 11, day)


def done(*days: int) -> dict[date, Entry]:
    return {nov(day): Entry("done") for day in days}


def skipped(*days: int) -> dict[date, Entry]:
    return {nov(day): Entry("skipped") for day in days}


def values(**by_day: float) -> dict[date, Entry]:
    """values(d20=8, d21=10) -> done entries with those amounts."""
    return {nov(int(key[1:])): Entry("done", value) for key, value in by_day.items()}


def lengths(rule: HabitRule, entries: dict[date, Entry], first: date, today: date = TODAY) -> tuple[int, int]:
    found = streaks(rule, entries, first, today)
    return (found.current.length if found.current else 0, found.best.length if found.best else 0)


# --- daily -------------------------------------------------------------------------------------


def test_daily_streaks_with_a_miss_a_skip_and_today_open() -> None:
    # 10-14 D, 15 ., 16-20 D, 21 S, 22-25 D, 26 open.
    entries = {**done(10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 22, 23, 24, 25), **skipped(21)}
    found = streaks(DAILY, entries, nov(10), TODAY)
    # The miss on the 15th ends the first run (10-14, 5 days); the skip on the 21st does not end
    # the second, and the open today does not either: 16-25 is 10 days.
    assert found.current == Run(nov(16), nov(25))
    assert found.best == Run(nov(16), nov(25))
    assert streak_runs(DAILY, entries, nov(10), TODAY) == [Run(nov(10), nov(14)), Run(nov(16), nov(25))]
    assert found.to_json() == {"current": 10, "current_start": "2026-11-16", "best": 10}
    # Done today: 16-26, 11 days.
    assert lengths(DAILY, {**entries, **done(26)}, nov(10)) == (11, 11)
    # 7 days (20-26): today is open and left out, the skip too: 5 due, 5 done.
    assert completion_rate(DAILY, entries, nov(10), TODAY, 7) == 1.0
    # 30 days, clipped to the first day (10-25): 16 days less 1 skip = 15 due, 14 done.
    assert completion_rate(DAILY, entries, nov(10), TODAY, 30) == pytest.approx(14 / 15)


def test_daily_missed_yesterday_breaks_the_streak() -> None:
    # 20-24 D, 25 ., 26 open.
    entries = done(20, 21, 22, 23, 24)
    assert lengths(DAILY, entries, nov(20)) == (0, 5)
    assert streaks(DAILY, entries, nov(20), TODAY).current is None
    # Done today after missing yesterday: a new streak of 1; the best stays 5.
    assert lengths(DAILY, {**entries, **done(26)}, nov(20)) == (1, 5)
    assert day_state(DAILY, entries, nov(25), TODAY) == "missed"
    assert day_state(DAILY, entries, nov(26), TODAY) == "due"
    assert day_state(DAILY, entries, nov(24), TODAY) == "done"


def test_a_streak_starts_on_a_completed_day_not_a_skip() -> None:
    # 22 S, 23-25 D, 26 open: the skip before the first completion is not part of the streak.
    assert lengths(DAILY, {**skipped(22), **done(23, 24, 25)}, nov(20)) == (3, 3)
    # Only skips: no streak at all.
    assert lengths(DAILY, skipped(20, 21, 22, 23, 24, 25, 26), nov(20)) == (0, 0)


def test_skipped_today_keeps_the_streak_and_counts_as_a_day() -> None:
    # 20-25 D, 26 S: 20-26 is 7 days.
    entries = {**done(20, 21, 22, 23, 24, 25), **skipped(26)}
    assert streaks(DAILY, entries, nov(20), TODAY).current == Run(nov(20), nov(26))
    assert day_state(DAILY, entries, TODAY, TODAY) == "skipped"
    # Skipped days are left out of the rate: 6 due, 6 done.
    assert completion_rate(DAILY, entries, nov(20), TODAY, 7) == 1.0


def test_daily_rate_with_today_done_and_nothing_due_yet() -> None:
    # 24 D, 25 ., 26 D: today counts once it is done: 2 of 3.
    assert completion_rate(DAILY, done(24, 26), nov(24), TODAY, 7) == pytest.approx(2 / 3)
    # Created today and not done yet: nothing was due.
    assert completion_rate(DAILY, {}, TODAY, TODAY, 7) is None
    # Created in the future (a clock that went back): nothing to count either.
    assert completion_rate(DAILY, {}, nov(27), TODAY, 7) is None
    assert lengths(DAILY, {}, nov(27)) == (0, 0)


# --- Mon/Wed/Fri -------------------------------------------------------------------------------


def test_mon_wed_fri_off_days_do_not_break_a_streak() -> None:
    #        Mo Tu We Th Fr Sa Su
    #         D  -  D  -  D  -  -      2-8
    #         D  -  .  -  D  -  -      9-15: Wednesday 11th missed
    #         D  -  D  -  S  -  -      16-22: Friday 20th skipped
    #         D  -  D [-]              23-26: today is an off day
    entries = {**done(2, 4, 6, 9, 13, 16, 18, 23, 25), **skipped(20)}
    found = streaks(MWF, entries, nov(2), TODAY)
    # 2-10 kept (off days included), broken on the 11th; Thursday 12th is an off day but a streak
    # starts on a completed day, so the next one runs from Friday 13th through today: 14 days.
    assert streak_runs(MWF, entries, nov(2), TODAY) == [Run(nov(2), nov(10)), Run(nov(13), TODAY)]
    assert found.current == Run(nov(13), TODAY)
    assert found.best == Run(nov(13), TODAY)
    assert day_state(MWF, entries, TODAY, TODAY) == "not_due"
    assert day_state(MWF, entries, nov(11), TODAY) == "missed"
    assert day_state(MWF, entries, nov(12), TODAY) == "not_due"
    assert day_state(MWF, entries, nov(20), TODAY) == "skipped"
    # 30 days (2-25; today is an off day): 11 Mon/Wed/Fri, less the skip = 10 due, 9 done.
    assert completion_rate(MWF, entries, nov(2), TODAY, 30) == pytest.approx(0.9)
    # 7 days (20-26): the 20th skipped, 23rd and 25th done: 2 of 2.
    assert completion_rate(MWF, entries, nov(2), TODAY, 7) == 1.0


def test_mon_wed_fri_today_open() -> None:
    # Seen from Wednesday the 25th, not yet done: 16 D, 18 D, 20 D, 23 D.
    wednesday = nov(25)
    entries = done(16, 18, 20, 23)
    # Kept from Monday 16th through Tuesday 24th; today is open: 9 days.
    assert streaks(MWF, entries, nov(16), wednesday).current == Run(nov(16), nov(24))
    assert day_state(MWF, entries, wednesday, wednesday) == "due"
    # Monday the 23rd missed instead: the streak ended on Sunday the 22nd.
    assert lengths(MWF, done(16, 18, 20), nov(16), wednesday) == (0, 7)


# --- 5 times a week ----------------------------------------------------------------------------


def test_five_per_week() -> None:
    #        Mo Tu We Th Fr Sa Su
    #         D  D  D  D  D  .  .      2-8
    #         .  D  D  D  D  D  .      9-15
    #         .  .  .  .  D  D  .      16-22
    #         D  D  D [.]              23-26
    entries = done(2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 20, 21, 23, 24, 25)
    # Every day inside a 7-day window holding 5 completions is covered:
    #   2-8 holds 2-6; 8-14 holds 10-14 (so Monday 9th is covered); 10-16 holds 10-14.
    #   17 and 18 are in no such window (11-17 holds only four), so the first run is 2-16: 15 days.
    #   19-25 holds 20, 21, 23, 24, 25 and 20-26 holds them too, so 19-26 is covered; the run
    #   starts on the first completion, the 20th: 20-26, 7 days.
    assert streak_runs(FIVE_PER_WEEK, entries, nov(2), TODAY) == [Run(nov(2), nov(16)), Run(nov(20), TODAY)]
    assert lengths(FIVE_PER_WEEK, entries, nov(2)) == (7, 15)
    # Five done in the six days before today: today is not due.
    assert day_state(FIVE_PER_WEEK, entries, TODAY, TODAY) == "not_due"
    # 7 days: 20-25 (today open): expected 5 x 6/7, done 5 -> capped at 1.
    assert completion_rate(FIVE_PER_WEEK, entries, nov(2), TODAY, 7) == 1.0
    # 30 days clipped to 2-25: 24 days, expected 5 x 24/7; done 15 -> 15 x 7 / 120.
    assert completion_rate(FIVE_PER_WEEK, entries, nov(2), TODAY, 30) == pytest.approx(0.875)


def test_five_per_week_short_of_the_target() -> None:
    # 20 D, 21 D, 22 ., 23 ., 24 D, 25 D, 26 open.
    entries = done(20, 21, 24, 25)
    # No 7-day window holds five yet; each completed day stands on its own.
    assert streak_runs(FIVE_PER_WEEK, entries, nov(20), TODAY) == [Run(nov(20), nov(21)), Run(nov(24), nov(25))]
    # Today is open, and doing it would make 20-26 hold five: the streak stands from the 20th
    # through yesterday, 6 days.
    assert streaks(FIVE_PER_WEEK, entries, nov(20), TODAY).current == Run(nov(20), nov(25))
    assert lengths(FIVE_PER_WEEK, {**entries, **done(26)}, nov(20)) == (7, 7)
    assert day_state(FIVE_PER_WEEK, entries, TODAY, TODAY) == "due"
    # 7 days: 20-25, expected 5 x 6/7 = 30/7, done 4.
    assert completion_rate(FIVE_PER_WEEK, entries, nov(20), TODAY, 7) == pytest.approx(4 * 7 / 30)


def test_five_per_week_that_cannot_be_rescued_today() -> None:
    # 19 D, 20 D, 21-25 ., 26 open: even done today, 20-26 holds only two.
    entries = done(19, 20)
    assert lengths(FIVE_PER_WEEK, entries, nov(19)) == (0, 2)


# --- once in 3 days ----------------------------------------------------------------------------


def test_once_in_three_days() -> None:
    #        Mo Tu We Th Fr Sa Su
    #            D  .  .  D  .  .      10-15
    #         .  D  .  .  .  .  D      16-22
    #         .  .  . [.]              23-26
    entries = done(10, 13, 17, 22)
    # A completion on day c covers c-2..c+2 (the three 3-day windows holding it), so the 10th
    # covers 10-12, the 13th 11-15, the 17th 15-19 and the 22nd 20-24: one run, 10-24.
    assert streak_runs(ONCE_IN_THREE, entries, nov(10), TODAY) == [Run(nov(10), nov(24))]
    # The 25th is in no kept window yet, but today is open: done today, 24-26 would cover it.
    # So the streak stands through yesterday: 10-25, 16 days.
    found = streaks(ONCE_IN_THREE, entries, nov(10), TODAY)
    assert found.current == Run(nov(10), nov(25))
    assert found.best is not None and found.best.length >= found.current.length
    assert lengths(ONCE_IN_THREE, {**entries, **done(26)}, nov(10)) == (17, 17)
    # Seen from Friday the 27th, still open: 25-27 would cover the 25th and 26th: 10-26.
    assert streaks(ONCE_IN_THREE, entries, nov(10), nov(27)).current == Run(nov(10), nov(26))
    # From the 28th the 25th can no longer be covered: the streak is over (best 10-24, 15 days).
    assert lengths(ONCE_IN_THREE, entries, nov(10), nov(28)) == (0, 15)
    # Due when the two days before hold no completion.
    assert day_state(ONCE_IN_THREE, entries, nov(23), TODAY) == "not_due"
    assert day_state(ONCE_IN_THREE, entries, nov(24), TODAY) == "not_due"
    assert day_state(ONCE_IN_THREE, entries, nov(25), TODAY) == "missed"
    assert day_state(ONCE_IN_THREE, entries, TODAY, TODAY) == "due"
    # 30 days clipped to 10-25: 16 days, expected 16/3; done 4 -> 0.75.
    assert completion_rate(ONCE_IN_THREE, entries, nov(10), TODAY, 30) == pytest.approx(0.75)


def test_once_in_three_days_broken_by_five_idle_days() -> None:
    # 10 D, 11-15 ., 16 D: the 13th is in no window holding a completion.
    assert streak_runs(ONCE_IN_THREE, done(10, 16), nov(10), nov(17)) == [Run(nov(10), nov(12)), Run(nov(16), nov(17))]


def test_once_a_week_stays_alive_until_it_cannot_be_kept() -> None:
    weekly = HabitRule(Schedule("x_per_y", times=1, period_days=7))
    entries = done(10)
    # Done Tuesday the 10th: covered through the 16th. Seen from the 22nd, doing it that day
    # would cover 16-22, so the streak stands (10-21, 12 days); from the 24th it cannot.
    assert streaks(weekly, entries, nov(10), nov(16)).current == Run(nov(10), nov(16))
    assert streaks(weekly, entries, nov(10), nov(22)).current == Run(nov(10), nov(21))
    assert streaks(weekly, entries, nov(10), nov(23)).current == Run(nov(10), nov(22))
    assert streaks(weekly, entries, nov(10), nov(24)).current is None


# --- measurable --------------------------------------------------------------------------------


def test_at_least_target() -> None:
    # Water, at least 8: 20 8 D, 21 10 D, 22 5 P, 23 8 D, 24 9 D, 25 12 D, 26 3 P (today, open).
    entries = values(d20=8, d21=10, d22=5, d23=8, d24=9, d25=12, d26=3)
    # A partial day is not kept: it breaks the streak. Today is still open.
    assert streak_runs(WATER, entries, nov(20), TODAY) == [Run(nov(20), nov(21)), Run(nov(23), nov(25))]
    assert lengths(WATER, entries, nov(20)) == (3, 3)
    assert day_state(WATER, entries, nov(22), TODAY) == "partial"
    assert day_state(WATER, entries, TODAY, TODAY) == "partial"
    assert day_state(WATER, entries, nov(23), TODAY) == "done"
    # 7 days: today left out (partial, open): 6 due, 5 done.
    assert completion_rate(WATER, entries, nov(20), TODAY, 7) == pytest.approx(5 / 6)
    # Reaching 8 today: 23-26.
    assert lengths(WATER, {**entries, **values(d26=8)}, nov(20)) == (4, 4)
    # Done without a value is 0, under any positive target.
    assert not WATER.meets(Entry("done", None))


def test_at_most_target() -> None:
    # Coffee, at most 2: 20 1 D, 21 0 D, 22 3 O, 23 2 D, 24 2 D, 25 ., 26 1 D.
    entries = values(d20=1, d21=0, d22=3, d23=2, d24=2, d26=1)
    # Nothing logged on the 25th is 0 cups, within the limit: only the 22nd breaks a streak.
    assert streak_runs(COFFEE, entries, nov(20), TODAY) == [Run(nov(20), nov(21)), Run(nov(23), TODAY)]
    found = streaks(COFFEE, entries, nov(20), TODAY)
    assert found.current == Run(nov(23), TODAY)
    assert found.best == Run(nov(23), TODAY)
    assert day_state(COFFEE, entries, nov(22), TODAY) == "over"
    assert day_state(COFFEE, entries, nov(21), TODAY) == "done"
    assert day_state(COFFEE, entries, nov(25), TODAY) == "within"
    # Today is kept, so it counts: 7 due, 6 kept (all but the 22nd).
    assert completion_rate(COFFEE, entries, nov(20), TODAY, 7) == pytest.approx(6 / 7)


def test_at_most_day_with_nothing_logged_keeps_the_limit() -> None:
    # Coffee added on the 20th, nothing ever logged: every day is 0 cups, within the limit.
    assert day_state(COFFEE, {}, TODAY, TODAY) == "within"
    assert day_state(COFFEE, {}, nov(24), TODAY) == "within"
    assert streaks(COFFEE, {}, nov(20), TODAY).current == Run(nov(20), TODAY)
    assert completion_rate(COFFEE, {}, nov(20), TODAY, 7) == 1.0
    # Three cups yesterday breaks it; today, with nothing yet, starts a new streak.
    over = values(d25=3)
    assert day_state(COFFEE, over, nov(25), TODAY) == "over"
    assert lengths(COFFEE, over, nov(20)) == (1, 5)
    assert credits(COFFEE, None)
    # A weekday limit is not due on its days off, logged or not.
    weekday_limit = HabitRule(Schedule("weekdays", frozenset({0, 2, 4})), measurable=True, target=2, at_most=True)
    assert day_state(weekday_limit, {}, TODAY, TODAY) == "not_due"
    assert day_state(weekday_limit, {}, nov(25), TODAY) == "within"


def test_skip_has_no_value_and_still_credits() -> None:
    assert credits(WATER, Entry("skipped"))
    assert not WATER.meets(Entry("skipped"))
    assert not credits(WATER, Entry("done", 7.5))
    assert not credits(DAILY, None)


# --- invariants --------------------------------------------------------------------------------

SPAN = 45  # days of history before today
PROPERTY = settings(max_examples=120, deadline=None)


@st.composite
def rules(draw: st.DrawFn) -> HabitRule:
    kind = draw(st.sampled_from(["daily", "weekdays", "x_per_y"]))
    if kind == "daily":
        schedule = Schedule("daily")
    elif kind == "weekdays":
        days = draw(st.frozensets(st.integers(min_value=0, max_value=6), min_size=1, max_size=6))
        schedule = Schedule("weekdays", days)
    else:
        period = draw(st.integers(min_value=2, max_value=10))
        schedule = Schedule("x_per_y", times=draw(st.integers(min_value=1, max_value=period - 1)), period_days=period)
    if draw(st.booleans()):
        return HabitRule(schedule)
    return HabitRule(
        schedule, measurable=True, target=draw(st.sampled_from([1.0, 2.0, 8.0])), at_most=draw(st.booleans())
    )


entry_values = st.one_of(
    st.just(Entry("done")),
    st.just(Entry("skipped")),
    st.builds(Entry, st.just("done"), st.sampled_from([0.0, 1.0, 2.0, 5.0, 8.0, 12.0])),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[dict[date, Entry], date, date]:
    """Entries by day, the first day, and today."""
    today = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)))
    first = today - timedelta(days=draw(st.integers(min_value=0, max_value=SPAN)))
    offsets = draw(st.dictionaries(st.integers(min_value=0, max_value=(today - first).days), entry_values, max_size=30))
    return {first + timedelta(days=offset): entry for offset, entry in offsets.items()}, first, today


def completed(rule: HabitRule) -> Entry:
    if rule.measurable and rule.target is not None:
        return Entry("done", 0.0 if rule.at_most else rule.target)
    return Entry("done")


def current_length(rule: HabitRule, entries: dict[date, Entry], first: date, today: date) -> int:
    found = streaks(rule, entries, first, today)
    return found.current.length if found.current else 0


@PROPERTY
@given(rule=rules(), history=histories(), data=st.data())
def test_completing_a_day_never_shortens_the_current_streak(rule, history, data) -> None:
    entries, first, today = history
    day = first + timedelta(days=data.draw(st.integers(min_value=0, max_value=(today - first).days)))
    before = current_length(rule, entries, first, today)
    after = current_length(rule, {**entries, day: completed(rule)}, first, today)
    assert after >= before
    if day == today:
        assert after >= 1  # done today always means a streak of at least today


@PROPERTY
@given(rule=rules(), history=histories())
@example(rule=ONCE_IN_THREE, history=(done(10), nov(10), nov(14)))
def test_an_open_today_does_not_break_the_streak(rule, history) -> None:
    # While today is open, completing it extends the current streak by one day, unless an X-per-Y
    # window kept since the past already covers today.
    entries, first, today = history
    if credits(rule, entries.get(today)):
        return
    found = streaks(rule, entries, first, today)
    before = found.current.length if found.current else 0
    after = current_length(rule, {**entries, today: completed(rule)}, first, today)
    covered_already = found.current is not None and found.current.end == today
    assert after == (before if covered_already else before + 1)
    if covered_already:
        assert rule.schedule.type in ("x_per_y", "weekdays")


@PROPERTY
@given(rule=rules(), history=histories(), data=st.data())
def test_a_skip_never_breaks_a_streak(rule, history, data) -> None:
    entries, first, today = history
    # A day with nothing logged and no credit (an empty day of an at-most limit is already kept).
    empty = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    empty = [day for day in empty if day not in entries and not credits(rule, None)]
    if not empty:
        return
    day = data.draw(st.sampled_from(empty))
    before = streaks(rule, entries, first, today)
    after = streaks(rule, {**entries, day: Entry("skipped")}, first, today)
    assert (after.current.length if after.current else 0) >= (before.current.length if before.current else 0)
    assert (after.best.length if after.best else 0) >= (before.best.length if before.best else 0)


@PROPERTY
@given(rule=rules(), history=histories())
def test_streak_bounds(rule, history) -> None:
    entries, first, today = history
    found = streaks(rule, entries, first, today)
    limit = (today - first).days + 1
    current = found.current.length if found.current else 0
    best = found.best.length if found.best else 0
    assert 0 <= current <= limit
    assert current <= best <= limit
    if found.current is not None:
        # The current streak reaches today, or yesterday while today is still open.
        assert found.current.end == today or (
            found.current.end == today - timedelta(days=1) and not credits(rule, entries.get(today))
        )
        assert rule.meets(entries.get(found.current.start))
    if rule.meets(entries.get(today)):
        assert found.current is not None and found.current.end == today


@PROPERTY
@given(rule=rules(), history=histories())
def test_runs_are_ordered_disjoint_and_start_on_completed_days(rule, history) -> None:
    entries, first, today = history
    runs = streak_runs(rule, entries, first, today)
    for run in runs:
        assert first <= run.start <= run.end <= today
        assert rule.meets(entries.get(run.start))
    for earlier, later in itertools.pairwise(runs):
        assert earlier.end + timedelta(days=1) < later.start  # a gap separates two runs
    met = [day for day, entry in entries.items() if first <= day <= today and rule.meets(entry)]
    assert all(any(run.start <= day <= run.end for run in runs) for day in met)


def _reference_current(rule: HabitRule, entries: dict[date, Entry], first: date, today: date) -> int:
    """Walk back from today for a daily or weekday habit: the plainest reading of the rules."""

    def kept(day: date) -> bool:
        return credits(rule, entries.get(day)) or not rule.schedule.is_scheduled(day)

    end = today if kept(today) else today - timedelta(days=1)
    start = None
    day = end
    while day >= first and kept(day):
        if rule.meets(entries.get(day)):
            start = day
        day -= timedelta(days=1)
    return 0 if start is None else (end - start).days + 1


@PROPERTY
@given(rule=rules(), history=histories())
def test_daily_and_weekday_streaks_match_a_walk_back(rule, history) -> None:
    if rule.schedule.type == "x_per_y":
        return
    entries, first, today = history
    assert current_length(rule, entries, first, today) == _reference_current(rule, entries, first, today)


@PROPERTY
@given(rule=rules(), history=histories(), days=st.integers(min_value=1, max_value=60))
def test_completion_rate_is_a_share(rule, history, days) -> None:
    entries, first, today = history
    rate = completion_rate(rule, entries, first, today, days)
    assert rate is None or 0.0 <= rate <= 1.0
    everything = {first + timedelta(days=i): completed(rule) for i in range((today - first).days + 1)}
    full = completion_rate(rule, everything, first, today, days)
    window = [day for day in everything if day > today - timedelta(days=days)]
    if rule.schedule.type == "x_per_y" or any(rule.schedule.is_scheduled(day) for day in window):
        assert full == 1.0
    else:
        assert full is None


@st.composite
def dense_histories(draw: st.DrawFn) -> tuple[dict[date, Entry], date, date]:
    """Entries by day where most days have one, so long streaks and long gaps both occur."""
    today = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)))
    span = draw(st.integers(min_value=0, max_value=120))
    first = today - timedelta(days=span)
    keep = draw(st.sampled_from([0.5, 0.8, 0.95]))
    rolls = draw(st.lists(st.floats(min_value=0, max_value=1), min_size=span + 1, max_size=span + 1))
    found: dict[date, Entry] = {}
    for offset, roll in enumerate(rolls):
        if roll < keep:
            found[first + timedelta(days=offset)] = Entry("done", draw(st.sampled_from([None, 1.0, 2.0, 8.0])))
        elif roll < keep + 0.05:
            found[first + timedelta(days=offset)] = Entry("skipped")
    return found, first, today


@PROPERTY
@given(rule=rules(), history=st.one_of(histories(), dense_histories()))
def test_streaks_match_a_day_by_day_reading(rule, history) -> None:
    # paa's streaks come from day arrays; the reference walks the calendar day by day.
    entries, first, today = history
    assert streak_runs(rule, entries, first, today) == reference_runs(rule, entries, first, today)
    assert streaks(rule, entries, first, today) == reference_streaks(rule, entries, first, today)


@PROPERTY
@given(rule=rules(), history=st.one_of(histories(), dense_histories()), data=st.data())
def test_current_streak_from_recent_days_is_exact_or_says_it_is_not_sure(rule, history, data) -> None:
    # A habit list reads only recent days: what it says about the current streak from them must be the full
    # history's answer whenever it says it is sure, and it must be sure once it has read the whole history.
    entries, first, today = history
    full = streaks(rule, entries, first, today).current
    assert current_streak(rule, entries, first, today, whole=True) == (full, True)
    cut = today - timedelta(days=data.draw(st.integers(min_value=0, max_value=(today - first).days)))
    found, sure = current_streak(rule, entries, cut, today, whole=False)
    if sure:
        assert found == full
    if rule.schedule.type == "daily" and full is not None and full.start > cut:
        before = full.start - timedelta(days=1)
        if not credits(rule, entries.get(before) if before >= first else None):
            assert sure  # the day before the streak broke it, and that day was read: no more is needed


def test_current_streak_from_recent_days_asks_for_more_when_the_streak_reaches_back() -> None:
    entries = {**done(10, 11, 12), **done(*range(14, 27))}  # a gap on the 13th, then done through today
    assert current_streak(DAILY, entries, nov(14), TODAY, whole=False) == (Run(nov(14), TODAY), False)
    assert current_streak(DAILY, entries, nov(13), TODAY, whole=False) == (Run(nov(14), TODAY), True)
    # Once in three days, done on the 12th, 20th and 23rd: the 18th to the 25th are covered (the 26th is open).
    # A read from the 19th cannot see whether a log on the 17th or 18th covered more; a read from the 15th can.
    spaced = done(12, 20, 23)
    assert current_streak(ONCE_IN_THREE, spaced, nov(19), TODAY, whole=False)[1] is False
    assert current_streak(ONCE_IN_THREE, spaced, nov(15), TODAY, whole=False) == (Run(nov(20), nov(25)), True)
    assert streaks(ONCE_IN_THREE, spaced, nov(1), TODAY).current == Run(nov(20), nov(25))
