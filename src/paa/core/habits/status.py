"""Pure evaluation of a habit's days: what each day's state is, streaks and completion.

Nothing here touches the database: callers pass the habit's rule and its entries by day. This is the one
place that decides a day's state; every interface and analytics read it from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
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
