"""Habit strength: an exponentially smoothed score that follows Loop Habit Tracker's published rules.

Each day moves the score a fixed share of the way towards that day's completion (0..1). The share
depends on how often the habit is due, so a weekly habit moves more slowly than a daily one. Completion
is measured over a trailing window of the habit's period, and a skipped day leaves the score as it was.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from operator import sub

from paa.core.habits.status import Entries, HabitRule

# A daily habit's score closes half its distance to the day's completion in 13 days (13 / sqrt(f) in general).
HALF_LIFE_DAYS = 13.0
MILLI = 1000  # amounts are summed in thousandths, as whole numbers, so window sums are exact


@dataclass(frozen=True)
class Frequency:
    """How many times a habit is expected in how many days, as Loop counts it."""

    times: int
    days: int

    @property
    def value(self) -> float:
        return self.times / self.days


def frequency_of(rule: HabitRule) -> Frequency:
    """Daily is 1/1; chosen weekdays count as their number per 7 days; X per Y days is X/Y."""
    schedule = rule.schedule
    if schedule.type == "weekdays":
        return Frequency(len(schedule.weekdays), 7)
    if schedule.type == "x_per_y":
        return Frequency(schedule.times, schedule.period_days)
    return Frequency(1, 1)


def decay(frequency: float) -> float:
    """The share of yesterday's score that survives one day."""
    return 0.5 ** (math.sqrt(frequency) / HALF_LIFE_DAYS)


def step(frequency: float, previous: float, completion: float) -> float:
    """One day of smoothing: keep `decay` of the previous score and add the rest of the day's completion."""
    keep = decay(frequency)
    return previous * keep + completion * (1.0 - keep)


@dataclass(frozen=True)
class Scoring:
    """The constants one habit is scored with: window length, what fills it, and the smoothing rate."""

    window: int  # days in the trailing window
    goal: float  # completions (yes/no) or total amount (measurable) the window should hold
    rate: float  # the frequency that sets the smoothing speed
    measurable: bool
    at_most: bool

    @property
    def initial(self) -> float:
        """An at-most habit starts at full strength (nothing over the limit yet); others at zero."""
        return 1.0 if self.measurable and self.at_most else 0.0


def scoring_of(rule: HabitRule) -> Scoring:
    """Yes/no habits below once a day use a doubled window (2X in 2Y days) to even out irregular timing.

    A measurable habit is scored like Loop's numerical habit with `times x target` per `days` days.
    """
    frequency = frequency_of(rule)
    if rule.measurable and rule.target is not None:
        goal = rule.target * frequency.times
        return Scoring(frequency.days, goal, 1.0 / frequency.days, True, rule.at_most)
    times, days = frequency.times, frequency.days
    if frequency.value < 1.0:
        times, days = times * 2, days * 2
    return Scoring(days, float(times), frequency.value, False, False)


def completion_of(scoring: Scoring, window_total: float) -> float:
    """How complete a day is (0..1), given what its trailing window holds."""
    goal = scoring.goal
    if not scoring.measurable:
        return min(1.0, window_total / goal)
    if scoring.at_most:
        if goal <= 0:
            return 0.0 if window_total > 0 else 1.0
        return min(1.0, max(0.0, 1.0 - (window_total - goal) / goal))
    return 1.0 if goal <= 0 else min(1.0, window_total / goal)


def window_totals(amounts: Sequence[int], window: int) -> list[int]:
    """What each day's trailing window of `window` days holds (thousandths)."""
    span = len(amounts)
    if window == 1:
        return list(amounts)
    sums = list(accumulate(amounts, initial=0))
    lagged = [0] * min(window, span) + sums[1 : max(1, span + 1 - window)]
    return list(map(sub, sums[1:], lagged))


def completions(scoring: Scoring, amounts: Sequence[int]) -> list[float]:
    """Each day's completion (0..1) from the amounts (in thousandths) of its trailing window."""
    totals = window_totals(amounts, scoring.window)
    goal = scoring.goal
    if not scoring.measurable or (not scoring.at_most and goal > 0):
        full = goal * MILLI
        return [1.0 if total >= full else total / full for total in totals]
    if scoring.at_most and goal > 0:
        return [min(1.0, max(0.0, 1.0 - (total / MILLI - goal) / goal)) for total in totals]
    return [completion_of(scoring, total / MILLI) for total in totals]


def smooth(scoring: Scoring, amounts: Sequence[int], skipped: Sequence[int]) -> list[float]:
    """The score of each day, oldest first, from each day's amount (in thousandths) and skip flag."""
    keep = decay(scoring.rate)
    gain = 1.0 - keep
    steps: list[float | None] = [
        None if skip else done * gain for done, skip in zip(completions(scoring, amounts), skipped, strict=True)
    ]
    # A skipped day (None) keeps yesterday's score; any other day keeps `keep` of it and adds its step.
    return list(
        accumulate(steps, lambda score, add: score if add is None else score * keep + add, initial=scoring.initial)
    )[1:]


def day_amount(scoring: Scoring, status: str, value: float | None) -> int:
    """What one recorded day puts into the window, in thousandths."""
    if status != "done":
        return 0
    if scoring.measurable:
        return max(0, round((value or 0.0) * MILLI))
    return MILLI


def score_start(entries: Entries, as_of: date) -> date:
    """Scoring starts on the oldest recorded day (done or skipped); with none, on `as_of`."""
    return min((day for day in entries if day <= as_of), default=as_of)


def score_series(rule: HabitRule, entries: Entries, first: date, last: date) -> list[float]:
    """The strength of each day from `first` to `last`, oldest first, in O(days + entries)."""
    span = (last - first).days + 1
    if span <= 0:
        return []
    scoring = scoring_of(rule)
    amounts = [0] * span
    skipped = [0] * span
    for day, entry in entries.items():
        index = (day - first).days
        if 0 <= index < span:
            skipped[index] = entry.status == "skipped"
            amounts[index] = day_amount(scoring, entry.status, entry.value)
    return smooth(scoring, amounts, skipped)


def strength_on(rule: HabitRule, entries: Entries, as_of: date) -> float:
    """The habit's strength (0..1) at the end of `as_of`; 0 before anything was recorded."""
    series = score_series(rule, entries, score_start(entries, as_of), as_of)
    return series[-1] if series else 0.0
