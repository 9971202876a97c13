"""Habit strength against Loop Habit Tracker's published test figures, and by hand for paa's schedules.

The expected numbers in the `test_loop_*` tests are the ones in Loop's own test suite
(uhabits-core ScoreTest and ScoreListTest, Loop 2.x): a list of scores read from "today" backwards.
Loop's "day N" is N days before today. Its numerical habits store amounts in thousandths
(2000 = 2.0) and its test habit has a target of 2.0.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from paa.core.analytics.strength import (
    decay,
    frequency_of,
    score_series,
    score_start,
    scoring_of,
    step,
    strength_on,
)
from paa.core.habits.schedule import Schedule
from paa.core.habits.status import Entry, HabitRule

E = 1e-6
TODAY = date(2026, 11, 26)  # a Thursday
DAILY = HabitRule(Schedule())


def per(times: int, days: int) -> Schedule:
    return Schedule("daily") if times == days else Schedule("x_per_y", times=times, period_days=days)


def yes_no(times: int = 1, days: int = 1) -> HabitRule:
    return HabitRule(per(times, days))


def numeric(times: int = 1, days: int = 1, *, at_most: bool = False, target: float = 2.0) -> HabitRule:
    return HabitRule(per(times, days), measurable=True, target=target, at_most=at_most)


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def done(*offsets: int, value: float | None = None) -> dict[date, Entry]:
    return {ago(n): Entry("done", value) for n in offsets}


def skips(*offsets: int) -> dict[date, Entry]:
    return {ago(n): Entry("skipped") for n in offsets}


def scores_back(rule: HabitRule, entries: dict[date, Entry], count: int) -> list[float]:
    """Scores of today, yesterday, ... like Loop's checkScoreValues; 0 before the first record."""
    first = score_start(entries, TODAY)
    series = score_series(rule, entries, first, TODAY)
    return [series[(ago(n) - first).days] if ago(n) >= first else 0.0 for n in range(count)]


def assert_close(actual: list[float], expected: list[float], tolerance: float = E) -> None:
    assert len(actual) == len(expected)
    for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
        assert got == pytest.approx(want, abs=tolerance), f"day {index} back: {got} != {want}"


# --- the smoothing step (Loop ScoreTest) ---------------------------------------------------------


def test_loop_step_daily() -> None:
    # Daily: keep = 0.5 ** (1/13) = 0.948078; a check adds 1 - keep = 0.051922.
    assert step(1.0, 0.0, 1.0) == pytest.approx(0.051922, abs=E)
    assert step(1.0, 0.5, 1.0) == pytest.approx(0.525961, abs=E)
    assert step(1.0, 0.75, 1.0) == pytest.approx(0.762981, abs=E)
    assert step(1.0, 0.0, 0.0) == pytest.approx(0.0, abs=E)
    assert step(1.0, 0.5, 0.0) == pytest.approx(0.474039, abs=E)
    assert step(1.0, 0.75, 0.0) == pytest.approx(0.711058, abs=E)


def test_loop_step_every_third_day() -> None:
    freq = 1 / 3
    assert step(freq, 0.0, 1.0) == pytest.approx(0.030314, abs=E)
    assert step(freq, 0.5, 1.0) == pytest.approx(0.515157, abs=E)
    assert step(freq, 0.75, 1.0) == pytest.approx(0.757578, abs=E)
    assert step(freq, 0.5, 0.0) == pytest.approx(0.484842, abs=E)
    assert step(freq, 0.75, 0.0) == pytest.approx(0.727263, abs=E)


def test_decay_is_a_13_day_half_life_for_a_daily_habit() -> None:
    assert decay(1.0) ** 13 == pytest.approx(0.5)
    assert decay(1 / 7) ** (13 * math.sqrt(7)) == pytest.approx(0.5)


# --- yes/no habits (Loop YesNoScoreListTest) -----------------------------------------------------

TWENTY_DAILY_CHECKS = [
    0.655747, 0.636894, 0.617008, 0.596033, 0.573910, 0.550574, 0.525961, 0.500000,
    0.472617, 0.443734, 0.413270, 0.381137, 0.347244, 0.311495, 0.273788, 0.234017,
    0.192067, 0.147820, 0.101149, 0.051922, 0.000000, 0.000000, 0.000000,
]  # fmt: skip


def test_loop_twenty_daily_checks() -> None:
    assert_close(scores_back(DAILY, done(*range(20)), 23), TWENTY_DAILY_CHECKS)


def test_loop_skips_freeze_the_score() -> None:
    entries = {**done(*range(20)), **skips(5, 10, 11)}
    expected = [
        0.596033, 0.573910, 0.550574, 0.525961, 0.500000, 0.472617, 0.472617, 0.443734,
        0.413270, 0.381137, 0.347244, 0.347244, 0.347244, 0.311495, 0.273788, 0.234017,
        0.192067, 0.147820, 0.101149, 0.051922, 0.000000, 0.000000, 0.000000,
    ]  # fmt: skip
    assert_close(scores_back(DAILY, entries, 23), expected)


def test_loop_one_check_then_a_skip_then_nothing() -> None:
    entries = {**done(5), **skips(4)}
    expected = [0.041949, 0.044247, 0.046670, 0.049226, 0.051922, 0.051922, 0.0]
    assert_close(scores_back(DAILY, entries, 7), expected)


def test_loop_recompute_with_a_new_frequency() -> None:
    assert strength_on(DAILY, {}, TODAY) == 0.0
    two = done(0, 1)
    assert strength_on(DAILY, two, TODAY) == pytest.approx(0.101149, abs=E)
    # Once every 2 days: the doubled window is 2 checks in 4 days. By hand, with keep = 0.5 ** (sqrt(1/2) / 13):
    # yesterday holds 1 of 2 -> 0.5 * (1 - keep); today holds 2 of 2 -> that * keep + (1 - keep).
    keep = 0.5 ** (math.sqrt(0.5) / 13)
    by_hand = 0.5 * (1 - keep) * keep + (1 - keep)
    assert by_hand == pytest.approx(0.054816, abs=E)
    assert strength_on(yes_no(1, 2), two, TODAY) == pytest.approx(by_hand, abs=1e-12)


def test_loop_add_then_remove() -> None:
    assert strength_on(DAILY, done(0), TODAY) == pytest.approx(0.051922, abs=E)
    assert strength_on(DAILY, {}, TODAY) == 0.0


def test_loop_imperfect_non_daily_converges_to_the_share_done() -> None:
    # Every week (from today backwards): yes, yes, then five days of nothing.
    entries = done(*(7 * k + i for k in range(100) for i in (0, 1)))
    assert strength_on(yes_no(3, 7), entries, TODAY) == pytest.approx(2 / 3, abs=E)
    assert strength_on(yes_no(4, 7), entries, TODAY) == pytest.approx(0.5, abs=E)


def test_loop_irregular_weekly_timing_still_reaches_full_strength() -> None:
    # Two-week cycle: done on the first day of week 0 and the last day of week 1.
    entries = done(*(offset for k in range(100) for offset in (14 * k, 14 * k + 13)))
    assert strength_on(yes_no(1, 7), entries, TODAY) == pytest.approx(1.0, abs=1e-3)


def test_loop_perfect_daily_with_weekly_skips_converges_to_one() -> None:
    entries = done(*range(500))
    for k in range(100):
        entries.update(skips(7 * k + 5, 7 * k + 6))
    assert strength_on(DAILY, entries, TODAY) == pytest.approx(1.0, abs=E)


def test_released_loop_lets_skips_thin_a_non_daily_window() -> None:
    # 6 times a week, done 5 days and skipped 2 every week. Released Loop (2.3.1) keeps the 14-day window
    # fixed, so it holds 10 checks of the 12 wanted: the score settles at 10/12. (An unreleased Loop patch,
    # pull request 1713, stretches the window over skipped days and would reach 1.0.)
    entries = done(*range(500))
    for k in range(100):
        entries.update(skips(7 * k + 5, 7 * k + 6))
    assert strength_on(yes_no(6, 7), entries, TODAY) == pytest.approx(10 / 12, abs=E)


def test_non_daily_skips_agree_with_loop_until_the_first_skip() -> None:
    # Figures of that unreleased patch's test (6 a week, 18 checks, days 10-12 skipped). Before any skip
    # (13 and more days back) both scorers agree, so those must match; skipped days keep the previous score.
    entries = {**done(*range(18)), **skips(10, 11, 12)}
    expected = [
        0.365222, 0.333100, 0.299354, 0.263899, 0.226651, 0.191734, 0.159268, 0.129375,
        0.102187, 0.077839, 0.056477, 0.056477, 0.056477, 0.056477, 0.038251, 0.023319,
        0.011848, 0.004014, 0.000000, 0.000000, 0.000000,
    ]  # fmt: skip
    got = scores_back(yes_no(6, 7), entries, 21)
    assert_close(got[13:], expected[13:])
    assert got[10] == got[11] == got[12] == got[13]


def test_loop_reaches_99_percent_in_reasonable_time() -> None:
    assert strength_on(DAILY, done(*range(90)), TODAY) > 0.99
    weekly = done(*(7 * i for i in range(39)))
    assert strength_on(yes_no(1, 7), weekly, TODAY) > 0.99
    monthly = {**weekly, **done(*(30 * i for i in range(18)))}  # Loop's test keeps the weekly checks too
    assert strength_on(yes_no(1, 30), monthly, TODAY) > 0.99


# --- measurable habits (Loop NumericalAtLeast / AtMost ScoreListTest, target 2.0) -----------------


def test_loop_numeric_at_least_matches_yes_no_when_on_target() -> None:
    assert_close(scores_back(numeric(), done(*range(20), value=2.0), 23), TWENTY_DAILY_CHECKS)


def test_loop_numeric_at_least_recompute() -> None:
    two = done(0, 1, value=2.0)
    assert strength_on(numeric(), two, TODAY) == pytest.approx(0.101149, abs=E)
    # Once per 2 days: the window is 2 days and must hold 2.0; numeric habits are not doubled.
    assert strength_on(numeric(1, 2), two, TODAY) == pytest.approx(0.072631, abs=E)


def test_loop_numeric_reaches_99_percent_in_reasonable_time() -> None:
    assert strength_on(numeric(), done(*range(90), value=2.0), TODAY) > 0.99
    weekly = done(*(7 * i for i in range(39)), value=2.0)
    assert strength_on(numeric(1, 7), weekly, TODAY) > 0.99
    monthly = {**weekly, **done(*(30 * i for i in range(18)), value=2.0)}
    assert strength_on(numeric(1, 30), monthly, TODAY) > 0.99


def test_loop_numeric_at_least_scores_the_share_of_the_target() -> None:
    assert strength_on(numeric(), done(*range(500), value=1.0), TODAY) == pytest.approx(0.5, abs=E)
    assert strength_on(numeric(), done(*range(500), value=0.5), TODAY) == pytest.approx(0.25, abs=E)


def test_loop_numeric_overachieving_counts_as_full() -> None:
    assert strength_on(numeric(), done(0, value=10_000.0), TODAY) == pytest.approx(0.051922, abs=E)


def test_loop_numeric_skips() -> None:
    entries = {**done(*range(20), value=2.0), **skips(10, 15)}
    expected = [
        0.617008, 0.596033, 0.573910, 0.550574, 0.525961, 0.500000, 0.472617, 0.443734,
        0.413270, 0.381137, 0.347244, 0.347244, 0.311495, 0.273788, 0.234017, 0.192067,
        0.192067, 0.147820, 0.101149, 0.051922, 0.000000, 0.000000, 0.000000,
    ]  # fmt: skip
    assert_close(scores_back(numeric(), entries, 23), expected)


def test_loop_numeric_skipped_days_are_as_if_they_never_existed() -> None:
    alone = strength_on(numeric(), done(*range(500), value=1.0), TODAY)
    with_old_skips = {**done(*range(500), value=1.0), **skips(*range(500, 1000))}
    assert strength_on(numeric(), with_old_skips, TODAY) == pytest.approx(alone, abs=E)
    split = {**done(*range(300), value=1.0), **skips(*range(300, 500)), **done(*range(500, 700), value=1.0)}
    assert strength_on(numeric(), split, TODAY) == pytest.approx(alone, abs=E)


def test_loop_numeric_at_most() -> None:
    entries = {**done(20, value=1.0), **done(*range(20), value=5.0)}
    expected = [
        0.344253, 0.363106, 0.382992, 0.403967, 0.426090, 0.449426, 0.474039, 0.500000,
        0.527383, 0.556266, 0.586730, 0.618863, 0.652756, 0.688505, 0.726212, 0.765983,
        0.807933, 0.852180, 0.898851, 0.948078, 1.0, 0.0, 0.0,
    ]  # fmt: skip
    assert_close(scores_back(numeric(at_most=True), entries, 23), expected)


def test_loop_numeric_at_most_recompute() -> None:
    assert strength_on(numeric(at_most=True), {}, TODAY) == pytest.approx(1.0, abs=E)  # nothing over the limit
    two = done(0, 1, value=5.0)
    assert strength_on(numeric(at_most=True), two, TODAY) == pytest.approx(0.898850, abs=E)
    assert strength_on(numeric(1, 2, at_most=True), two, TODAY) == pytest.approx(0.927369, abs=E)


def test_loop_numeric_at_most_scores_how_far_over() -> None:
    # 3.0 against a ceiling of 2.0 is 50% over: completion 0.5; 3.5 is 75% over: 0.25.
    assert strength_on(numeric(at_most=True), done(*range(500), value=3.0), TODAY) == pytest.approx(0.5, abs=E)
    assert strength_on(numeric(at_most=True), done(*range(500), value=3.5), TODAY) == pytest.approx(0.25, abs=E)


def test_loop_numeric_at_most_under_and_over_achieving() -> None:
    assert strength_on(numeric(at_most=True), done(1, value=10_000.0), TODAY) == pytest.approx(0.950773, abs=E)
    assert strength_on(numeric(at_most=True), {**done(0, value=5.0), **done(1, value=0.0)}, TODAY) == pytest.approx(
        0.948077, abs=E
    )
    assert strength_on(numeric(at_most=True), {**done(0, value=5.0), **done(1, value=1.0)}, TODAY) == pytest.approx(
        0.948077, abs=E
    )


@pytest.mark.parametrize("at_most", [False, True])
def test_zero_target_stays_finite(at_most: bool) -> None:
    rule = numeric(target=0.0, at_most=at_most)
    value = strength_on(rule, done(*range(10), value=1.0), TODAY)
    assert math.isfinite(value) and 0.0 <= value <= 1.0


# --- paa's schedules, by hand --------------------------------------------------------------------


def test_chosen_weekdays_score_as_that_many_per_week() -> None:
    mon_wed_fri = HabitRule(Schedule("weekdays", frozenset({0, 2, 4})))
    assert frequency_of(mon_wed_fri).value == pytest.approx(3 / 7)
    scoring = scoring_of(mon_wed_fri)
    assert (scoring.window, scoring.goal) == (14, 6.0)  # doubled: 6 checks in 14 days
    # Ten weeks of Mon/Wed/Fri ending today, Thursday 2026-11-26: Mon 23, Wed 25, Fri 20, ...
    entries = {day: Entry("done") for day in (ago(n) for n in range(70)) if day.weekday() in (0, 2, 4)}
    assert strength_on(mon_wed_fri, entries, TODAY) == pytest.approx(strength_on(yes_no(3, 7), entries, TODAY))


def test_first_weeks_of_a_three_times_a_week_habit_by_hand() -> None:
    # Mon/Wed/Fri starting Monday 2026-11-16, all done through Wednesday 2026-11-25; today Thu 26 is open.
    # Window: 14 days must hold 6 checks. keep = 0.5 ** (sqrt(3/7) / 13).
    # day:    Mo16 Tu17 We18 Th19 Fr20 Sa21 Su22 Mo23 Tu24 We25 Th26
    # checks:   1    1    2    2    3    3    3    4    4    5    5   (in the window so far)
    rule = HabitRule(Schedule("weekdays", frozenset({0, 2, 4})))
    entries = {date(2026, 11, d): Entry("done") for d in (16, 18, 20, 23, 25)}
    keep = 0.5 ** (math.sqrt(3 / 7) / 13)
    score = 0.0
    for checks in (1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5):
        score = score * keep + (checks / 6) * (1 - keep)
    assert strength_on(rule, entries, TODAY) == pytest.approx(score, abs=1e-12)
    assert score == pytest.approx(0.1672, abs=1e-4)


def test_measurable_on_weekdays_sums_the_week() -> None:
    # 5 km on Sat and Sun: a window of 7 days that should hold 2 x 5 = 10 km, smoothed at 1/7 like Loop.
    rule = HabitRule(Schedule("weekdays", frozenset({5, 6})), measurable=True, target=5.0)
    scoring = scoring_of(rule)
    assert (scoring.window, scoring.goal, scoring.rate) == (7, 10.0, pytest.approx(1 / 7))
    # Sat 21 and Sun 22 November: 4 km + 8 km. Mon..Thu carry the same 12 km window (capped at 1).
    entries = {date(2026, 11, 21): Entry("done", 4.0), date(2026, 11, 22): Entry("done", 8.0)}
    keep = 0.5 ** (math.sqrt(1 / 7) / 13)
    score = 0.0
    for completion in (0.4, 1.0, 1.0, 1.0, 1.0, 1.0):  # Sat 4/10, Sun..Thu 12/10 -> 1
        score = score * keep + completion * (1 - keep)
    assert strength_on(rule, entries, TODAY) == pytest.approx(score, abs=1e-12)


def test_partial_amounts_count_towards_the_window() -> None:
    rule = numeric(target=8.0)
    # 6 of 8 glasses for 3 days from day 2 back: each day 0.75.
    entries = done(0, 1, 2, value=6.0)
    keep = decay(1.0)
    score = 0.0
    for _ in range(3):
        score = score * keep + 0.75 * (1 - keep)
    assert strength_on(rule, entries, TODAY) == pytest.approx(score, abs=1e-12)


def test_series_before_the_first_record_and_without_records() -> None:
    assert score_series(DAILY, {}, TODAY, TODAY - timedelta(days=1)) == []
    assert score_start({}, TODAY) == TODAY
    assert score_start(done(3, 1), TODAY) == ago(3)
    assert score_start(done(3) | {TODAY + timedelta(days=2): Entry("done")}, TODAY) == ago(3)
