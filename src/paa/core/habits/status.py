"""Pure evaluation of a habit's days: what each day's state is, streaks and completion.

Nothing here touches the database: callers pass the habit's rule and its entries by day. This is the one
place that decides a day's state; every interface and analytics read it from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Literal

from paa.core.habits.schedule import Schedule

DayState = Literal["done", "partial", "over", "within", "skipped", "due", "not_due", "missed"]

# Each state's glyph and word, shared by the CLI and the TUI so a picture reads the same without colour.
# `within`: an at-most habit with nothing logged, which keeps the limit (nothing logged is 0).
STATE_MARKS: dict[str, tuple[str, str]] = {
    "done": ("●", "done"),
    "partial": ("◐", "partly"),
    "over": ("▲", "over"),
    "within": ("◇", "within limit"),
    "skipped": ("–", "skipped"),
    "due": ("○", "due"),
    "missed": ("·", "missed"),
    "not_due": (" ", "not due"),
}
# States that kept the habit that day.
KEPT: frozenset[str] = frozenset({"done", "within"})
# States that count towards what was expected of a day (kept or not).
EXPECTED: frozenset[str] = frozenset({"done", "within", "partial", "over", "missed", "due"})
# States that leave something to do on the day itself.
OPEN: frozenset[str] = frozenset({"due", "partial"})


@dataclass(frozen=True)
class Entry:
    """What was recorded for one day."""

    status: str  # done | skipped
    value: float | None = None


@dataclass(frozen=True)
class HabitRule:
    """The parts of a habit that decide whether a day counts."""

    schedule: Schedule
    measurable: bool = False
    target: float | None = None
    at_most: bool = False

    @property
    def limit(self) -> bool:
        """Whether the habit is an at-most limit, where a day with nothing logged (0) keeps the habit."""
        return self.measurable and self.at_most and self.target is not None

    def meets(self, entry: Entry | None) -> bool:
        """Whether the entry completes the habit for its day; for an at-most limit no entry is 0, which meets it."""
        if entry is None:
            return self.limit
        if entry.status != "done":
            return False
        if not self.measurable or self.target is None:
            return True
        value = entry.value or 0.0
        return value <= self.target if self.at_most else value >= self.target


Entries = Mapping[date, Entry]


def credits(rule: HabitRule, entry: Entry | None) -> bool:
    """A day earns credit when it is completed or deliberately skipped."""
    return (entry is not None and entry.status == "skipped") or rule.meets(entry)


def window_credits(rule: HabitRule, entries: Entries, last: date, days: int) -> int:
    """Count credited days among the `days` days ending with `last`."""
    return sum(credits(rule, entries.get(last - timedelta(days=i))) for i in range(days))


def days_from(first: date, last: date) -> list[date]:
    """Every day from first to last, inclusive (empty when last is before first)."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def day_states(
    rule: HabitRule, entries: Entries, start: date, end: date, today: date, *, since: date | None = None
) -> list[DayState]:
    """The state of each day from `start` to `end`, as seen from `today`, in one pass (O(days + entries)).

    `since` is the habit's first day: no day before it earns credit (an at-most limit was not kept before
    the habit existed). For an X-per-Y habit a past day inside a window that met the target is not due
    rather than missed, so the states agree with the streaks.
    """
    span = (end - start).days + 1
    if span <= 0:
        return []
    schedule = rule.schedule
    period = schedule.period_days if schedule.type == "x_per_y" else 1
    lookback = period - 1
    # Credits from `lookback` days before `start` to `lookback` days after `end` (never after today).
    origin = start - timedelta(days=lookback)
    last = max(end, min(today, end + timedelta(days=lookback)))
    length = (last - origin).days + 1
    floor = 0 if since is None else max(0, (since - origin).days)
    credit = [0] * length
    if rule.limit:
        credit[floor:] = [1] * (length - floor)
    for day, entry in entries.items():
        index = (day - origin).days
        if floor <= index < length:
            credit[index] = int(credits(rule, entry))
    covered = _window_cover(credit, period, schedule.times, (today - origin).days) if lookback else []
    window = sum(credit[:lookback])  # credits in the days before each day's own
    states: list[DayState] = []
    for offset in range(span):
        day = start + timedelta(days=offset)
        index = offset + lookback
        state = _state(rule, entries.get(day), day, today, window)
        if state == "missed" and covered and covered[index]:
            state = "not_due"
        states.append(state)
        if lookback:
            window += credit[index] - credit[offset]
    return states


def _window_cover(credit: list[int], period: int, needed: int, today_index: int) -> list[bool]:
    """For each position: does some `period`-day window holding it, ending by today, hold `needed` credits?"""
    marks = [0] * (len(credit) + 1)
    running = 0
    for end, value in enumerate(credit):
        running += value
        if end >= period:
            running -= credit[end - period]
        if end <= today_index and running >= needed:
            marks[max(0, end - period + 1)] += 1
            marks[end + 1] -= 1
    covered, depth = [], 0
    for index in range(len(credit)):
        depth += marks[index]
        covered.append(depth > 0)
    return covered


def _state(rule: HabitRule, entry: Entry | None, day: date, today: date, previous_credits: int) -> DayState:
    if entry is not None and entry.status == "skipped":
        return "skipped"
    if entry is not None and rule.meets(entry):
        return "done"
    if entry is not None and rule.measurable and entry.value:
        return "over" if rule.at_most else "partial"
    schedule = rule.schedule
    if not schedule.is_scheduled(day):
        return "not_due"
    if schedule.type == "x_per_y" and previous_credits >= schedule.times:
        return "not_due"
    if entry is None and rule.limit:
        return "within"
    return "due" if day >= today else "missed"


def day_state(rule: HabitRule, entries: Entries, day: date, today: date, *, since: date | None = None) -> DayState:
    """Say what a day is for this habit, from the point of view of `today`."""
    return day_states(rule, entries, day, day, today, since=since)[0]


def counts_as_expected(state: str, day: date, today: date) -> bool:
    """Whether a day's state counts as expected; an unfinished `today` counts only once it is kept."""
    if state not in EXPECTED:
        return False
    return day < today or state in KEPT


def day_flags(rule: HabitRule, entries: Entries, first: date, last: date) -> tuple[list[int], list[int]]:
    """Two flags per day from `first` to `last` (index 0 is `first`): completed (`met`), and earned credit
    (completed or deliberately skipped). Entries outside the span are ignored."""
    span = max(0, (last - first).days + 1)
    # An at-most limit is kept on a day with nothing logged (0 is within any limit).
    met = [int(rule.limit)] * span
    credit = list(met)
    origin = first.toordinal()
    for day, entry in entries.items():
        index = day.toordinal() - origin
        if 0 <= index < span:
            if entry.status == "skipped":
                met[index], credit[index] = 0, 1
            else:
                met[index] = credit[index] = int(rule.meets(entry))
    return met, credit


def scheduled_flags(schedule: Schedule, first: date, span: int) -> list[int]:
    """For each of `span` days from `first`: does the schedule expect the habit (always, unless chosen weekdays)?"""
    if schedule.type != "weekdays":
        return [1] * span
    week = [int((first.weekday() + i) % 7 in schedule.weekdays) for i in range(7)]
    return (week * (span // 7 + 1))[:span]


def covered_flags(schedule: Schedule, credit: list[int], scheduled: list[int]) -> list[int]:
    """For each day: does it keep a streak alive (credited, not due, or inside a kept X-per-Y window)?"""
    if schedule.type == "daily":
        return credit
    if schedule.type == "weekdays":
        return [c | (1 - s) for c, s in zip(credit, scheduled, strict=True)]
    # X per Y: every day inside some Y-day window holding X credited days is covered.
    period, needed, span = schedule.period_days, schedule.times, len(credit)
    sums = list(accumulate(credit, initial=0))
    lagged = [0] * min(period, span) + sums[1 : max(1, span + 1 - period)]  # credits before each day's window
    marks = [0] * (span + 1)
    for end, (total, before) in enumerate(zip(sums[1:], lagged, strict=True)):
        if total - before >= needed:
            marks[max(0, end - period + 1)] += 1
            marks[end + 1] -= 1
    return [int(c or d > 0) for c, d in zip(credit, accumulate(marks), strict=False)]


_STRETCH = re.compile(b"\x01+")


def run_bounds(met: list[int], alive: bytes) -> list[tuple[int, int]]:
    """Every streak as (first index, last index), oldest first: a stretch of covered days, from its first
    completed day to the stretch's end (a stretch covered only by skips and free days is no streak)."""
    found: list[tuple[int, int]] = []
    for stretch in _STRETCH.finditer(alive):
        begin, end = stretch.span()
        if met[begin]:
            found.append((begin, end - 1))
            continue
        with suppress(ValueError):
            found.append((met.index(1, begin, end), end - 1))
    return found


@dataclass(frozen=True)
class StreakBounds:
    """Streaks as day indexes: every run, the current one, the best one, and where the stretch that decides the
    current one begins (so a caller that laid out only recent days can tell whether it saw enough)."""

    runs: list[tuple[int, int]]
    current: tuple[int, int] | None
    best: tuple[int, int] | None
    stretch_begin: int


def streak_bounds(schedule: Schedule, met: list[int], credit: list[int], scheduled: list[int]) -> StreakBounds:
    """Current and best streak as of the last day; an open, unfinished last day does not break a streak.

    When the last day has no credit, the streak stands through the day before if keeping the last day would
    carry it: crediting it covers it, and for an X-per-Y habit also the window ending on it when that window
    then holds enough (done Monday, once in 3 days: still alive on Friday); nothing earlier changes.
    """
    alive = bytes(covered_flags(schedule, credit, scheduled))
    found = run_bounds(met, alive)
    last = len(met) - 1
    current = found[-1] if found and found[-1][1] == last else None
    stretch = alive
    if current is None and last >= 0 and not credit[last]:
        kept = bytearray(alive)
        kept[last] = 1
        if schedule.type == "x_per_y":
            first = max(0, last - schedule.period_days + 1)
            if sum(credit[first:last]) + 1 >= schedule.times:
                kept[first : last + 1] = b"\x01" * (last + 1 - first)
        stretch = bytes(kept)
        with suppress(ValueError):
            start = met.index(1, kept.rfind(0, 0, last) + 1, last)
            current = (start, last - 1)
    begin = stretch.rfind(0, 0, last + 1) + 1 if last >= 0 and stretch[last] else last + 1
    candidates = [*found, current] if current is not None else found
    best = max(candidates, key=lambda run: (run[1] - run[0], run[1]), default=None)
    return StreakBounds(found, current, best, begin)


@dataclass(frozen=True)
class Run:
    """A streak: consecutive days that kept the habit, from a completed day to `end`."""

    start: date
    end: date

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1


def _run(first: date, bounds: tuple[int, int] | None) -> Run | None:
    return None if bounds is None else Run(first + timedelta(days=bounds[0]), first + timedelta(days=bounds[1]))


def _bounds_of(rule: HabitRule, entries: Entries, first: date, last: date) -> StreakBounds:
    met, credit = day_flags(rule, entries, first, last)
    return streak_bounds(rule.schedule, met, credit, scheduled_flags(rule.schedule, first, len(met)))


def streak_runs(rule: HabitRule, entries: Entries, first: date, last: date) -> list[Run]:
    """All streaks between first and last, oldest first; each starts on a completed day."""
    return [
        Run(first + timedelta(days=a), first + timedelta(days=b))
        for a, b in _bounds_of(rule, entries, first, last).runs
    ]


@dataclass(frozen=True)
class Streaks:
    current: Run | None
    best: Run | None

    def to_json(self) -> dict[str, object]:
        return {
            "current": self.current.length if self.current else 0,
            "current_start": self.current.start.isoformat() if self.current else None,
            "best": self.best.length if self.best else 0,
        }


def streaks(rule: HabitRule, entries: Entries, first: date, today: date) -> Streaks:
    """Current and best streak as of `today`; an open, unfinished today does not break a streak."""
    found = _bounds_of(rule, entries, first, today)
    return Streaks(_run(first, found.current), _run(first, found.best))


def current_streak(
    rule: HabitRule, entries: Entries, first: date, today: date, *, whole: bool
) -> tuple[Run | None, bool]:
    """The current streak as of `today` from the entries of the days `first`..`today` only, and whether that
    answer is sure.

    `whole` says that `first` is the habit's first day. Otherwise the days before `first` are unknown, and the
    answer is not sure when they could change it: the stretch of kept days reaching today starts too close to
    `first` (an X-per-Y window reaching back before it could cover more). Read more days and ask again.
    """
    found = _bounds_of(rule, entries, first, today)
    margin = rule.schedule.period_days if rule.schedule.type == "x_per_y" else 1
    return _run(first, found.current), whole or found.stretch_begin >= margin


def completion_rate(rule: HabitRule, entries: Entries, first: date, today: date, days: int) -> float | None:
    """Share of what was due in the last `days` days that was done; None when nothing was due yet.

    Skipped days are left out of the count, and today counts only once it is done.
    """
    start = max(first, today - timedelta(days=days - 1))
    if start > today:
        return None
    schedule = rule.schedule
    done = due = skipped = 0
    span = 0
    for offset in range((today - start).days + 1):
        day = start + timedelta(days=offset)
        entry = entries.get(day)
        met = rule.meets(entry)
        if day == today and not met and (entry is None or entry.status != "skipped"):
            continue
        span += 1
        if entry is not None and entry.status == "skipped":
            skipped += 1
            continue
        if schedule.type == "x_per_y" or schedule.is_scheduled(day):
            due += 1
            done += met
    if schedule.type == "x_per_y":
        expected = schedule.times * (span - skipped) / schedule.period_days
        return None if expected <= 0 else min(1.0, done / expected)
    return None if due == 0 else done / due
