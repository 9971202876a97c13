"""Pure evaluation of a habit's days: what each day's state is, streaks and completion.

Nothing here touches the database: callers pass the habit's rule and its entries by day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from paa.core.habits.schedule import Schedule

DayState = Literal["done", "partial", "over", "skipped", "due", "not_due", "missed"]


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

    def meets(self, entry: Entry | None) -> bool:
        """Whether the entry completes the habit for its day."""
        if entry is None or entry.status != "done":
            return False
        if not self.measurable or self.target is None:
            return True
        value = entry.value or 0.0
        return value <= self.target if self.at_most else value >= self.target


Entries = Mapping[date, Entry]


def credits(rule: HabitRule, entry: Entry | None) -> bool:
    """A day earns credit when it is completed or deliberately skipped."""
    return entry is not None and (entry.status == "skipped" or rule.meets(entry))


def window_credits(rule: HabitRule, entries: Entries, last: date, days: int) -> int:
    """Count credited days among the `days` days ending with `last`."""
    return sum(credits(rule, entries.get(last - timedelta(days=i))) for i in range(days))


def day_state(rule: HabitRule, entries: Entries, day: date, today: date) -> DayState:
    """Say what a day is for this habit, from the point of view of `today`."""
    entry = entries.get(day)
    if entry is not None and entry.status == "skipped":
        return "skipped"
    if rule.meets(entry):
        return "done"
    if entry is not None and rule.measurable and entry.value:
        return "over" if rule.at_most else "partial"
    if not rule.schedule.is_scheduled(day):
        return "not_due"
    schedule = rule.schedule
    if schedule.type == "x_per_y":
        previous = window_credits(rule, entries, day - timedelta(days=1), schedule.period_days - 1)
        if previous >= schedule.times:
            return "not_due"
    return "due" if day >= today else "missed"


def _covered(rule: HabitRule, entries: Entries, first: date, last: date) -> list[bool]:
    """For each day from first to last: does it keep a streak alive?"""
    span = (last - first).days + 1
    if span <= 0:
        return []
    days = [first + timedelta(days=i) for i in range(span)]
    credit = [credits(rule, entries.get(day)) for day in days]
    schedule = rule.schedule
    if schedule.type == "daily":
        return credit
    if schedule.type == "weekdays":
        return [c or not schedule.is_scheduled(day) for c, day in zip(credit, days, strict=True)]
    # X per Y: every day inside some Y-day window holding X credited days is covered.
    period, needed = schedule.period_days, schedule.times
    marks = [0] * (span + 1)
    running = 0
    for end in range(span):
        running += credit[end]
        if end >= period:
            running -= credit[end - period]
        if running >= needed:
            start = max(0, end - period + 1)
            marks[start] += 1
            marks[end + 1] -= 1
    covered, depth = [], 0
    for i in range(span):
        depth += marks[i]
        covered.append(credit[i] or depth > 0)
    return covered


@dataclass(frozen=True)
class Run:
    """A streak: consecutive days that kept the habit, from a completed day to `end`."""

    start: date
    end: date

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1


def streak_runs(rule: HabitRule, entries: Entries, first: date, last: date) -> list[Run]:
    """All streaks between first and last, oldest first; each starts on a completed day."""
    covered = _covered(rule, entries, first, last)
    runs: list[Run] = []
    start: date | None = None
    for offset, ok in enumerate(covered):
        day = first + timedelta(days=offset)
        if ok and start is None and rule.meets(entries.get(day)):
            start = day
        elif not ok and start is not None:
            runs.append(Run(start, day - timedelta(days=1)))
            start = None
    if start is not None:
        runs.append(Run(start, last))
    return runs


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
    runs = streak_runs(rule, entries, first, today)
    current = runs[-1] if runs and runs[-1].end == today else None
    if current is None and not credits(rule, entries.get(today)):
        # Today is still open: the streak stands through yesterday if keeping today would carry it.
        # For an X-per-Y habit that can bridge several uncovered days (done Monday, once in 3 days:
        # still alive on Friday).
        kept = streak_runs(rule, {**entries, today: Entry("skipped")}, first, today)
        if kept and kept[-1].end == today:
            current = Run(kept[-1].start, today - timedelta(days=1))
    candidates = [*runs, current] if current is not None else runs
    best = max(candidates, key=lambda run: (run.length, run.end), default=None)
    return Streaks(current, best)


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


def day_states(rule: HabitRule, entries: Entries, first: date, start: date, today: date) -> list[tuple[date, DayState]]:
    """Each day's state from `start` to `today`, agreeing with streaks: for an X-per-Y habit, a
    past day inside a window that met the target shows as not due rather than missed."""
    covered = _covered(rule, entries, first, today) if rule.schedule.type == "x_per_y" else []
    result: list[tuple[date, DayState]] = []
    for day in (start + timedelta(days=i) for i in range((today - start).days + 1)):
        state = day_state(rule, entries, day, today)
        offset = (day - first).days
        if state == "missed" and covered and 0 <= offset < len(covered) and covered[offset]:
            state = "not_due"
        result.append((day, state))
    return result
