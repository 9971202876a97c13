"""One habit's history as flat day arrays, so streaks, completion and strength over years take one pass.

The figures are the ones `paa.core.habits.status` defines (`streaks`, `completion_rate`); this module computes
them from arrays and prefix sums instead of day-by-day lookups, which matters for ten years of 20 habits.
Tests check it against `paa.core.habits.status` on many random histories.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate, repeat
from operator import and_, or_, xor

from paa.core.analytics.strength import MILLI, Scoring, day_amount, scoring_of, smooth
from paa.core.habits.status import Entries, HabitRule, Run, Streaks


@dataclass(frozen=True)
class Timeline:
    """Per-day flags of one habit from `first` to `last` (index 0 is `first`), seen from `last`."""

    rule: HabitRule
    first: date
    last: date
    met: list[int]  # the day completes the habit
    skipped: list[int]  # the day was deliberately skipped
    scheduled: list[int]  # the schedule expects the habit that day (always 1 unless chosen weekdays)
    amounts: list[int]  # what the day adds to the strength window (thousandths)
    recorded: int | None  # index of the oldest recorded day (done or skipped), if any

    @property
    def span(self) -> int:
        return len(self.met)

    def day(self, index: int) -> date:
        return self.first + timedelta(days=index)

    def index(self, day: date) -> int:
        return (day - self.first).days


def build_timeline(rule: HabitRule, entries: Entries, first: date, last: date) -> Timeline:
    """Lay a habit's entries between `first` and `last` out as arrays (days outside are ignored)."""
    span = max(0, (last - first).days + 1)
    # An at-most limit is kept on a day with nothing logged (0 is within any limit), as `HabitRule.meets` says.
    met, skipped, amounts = [int(rule.limit)] * span, [0] * span, [0] * span
    scoring = scoring_of(rule)
    origin = first.toordinal()
    measurable, target, at_most = rule.measurable and rule.target is not None, rule.target, rule.at_most
    recorded: int | None = None
    for day, entry in entries.items():
        index = day.toordinal() - origin
        if not 0 <= index < span:
            continue
        status = entry.status
        if recorded is None or index < recorded:
            recorded = index
        if status == "skipped":
            skipped[index], met[index] = 1, 0
        elif status == "done":
            if not measurable:
                met[index], amounts[index] = 1, MILLI
                continue
            value = entry.value or 0.0
            met[index] = int(value <= target if at_most else value >= target)  # type: ignore[operator]
            amounts[index] = day_amount(scoring, status, value)
    schedule = rule.schedule
    if schedule.type == "weekdays":
        week = [int((first.weekday() + i) % 7 in schedule.weekdays) for i in range(7)]
        scheduled = (week * (span // 7 + 1))[:span]
    else:
        scheduled = [1] * span
    return Timeline(rule, first, last, met, skipped, scheduled, amounts, recorded)


def credit_of(timeline: Timeline) -> list[int]:
    """Days that earn credit: completed or deliberately skipped."""
    return list(map(or_, timeline.met, timeline.skipped))


def covered(timeline: Timeline, credit: list[int]) -> list[int]:
    """For each day: does it keep a streak alive (credited, not due, or inside a kept X-per-Y window)?"""
    schedule = timeline.rule.schedule
    if schedule.type == "daily":
        return credit
    if schedule.type == "weekdays":
        return list(map(or_, credit, map(xor, timeline.scheduled, repeat(1))))
    period, needed, span = schedule.period_days, schedule.times, timeline.span
    sums = list(accumulate(credit, initial=0))
    lagged = [0] * min(period, span) + sums[1 : max(1, span + 1 - period)]  # credits before each day's window
    marks = [0] * (span + 1)
    for end, (total, before) in enumerate(zip(sums[1:], lagged, strict=True)):
        if total - before >= needed:
            marks[max(0, end - period + 1)] += 1
            marks[end + 1] -= 1
    depth = accumulate(marks)
    return [int(c or d > 0) for c, d in zip(credit, depth, strict=False)]


_STRETCH = re.compile(b"\x01+")


def _bounds(timeline: Timeline, alive: bytes) -> list[tuple[int, int]]:
    met = timeline.met
    found: list[tuple[int, int]] = []
    for stretch in _STRETCH.finditer(alive):
        begin, end = stretch.span()
        if met[begin]:
            found.append((begin, end - 1))
            continue
        with suppress(ValueError):  # a stretch covered only by skips and free days is not a streak
            found.append((met.index(1, begin, end), end - 1))
    return found


def run_bounds(timeline: Timeline) -> list[tuple[int, int]]:
    """Every streak as (first index, last index), oldest first.

    A streak is a stretch of covered days, from its first completed day to the stretch's end.
    """
    return _bounds(timeline, bytes(covered(timeline, credit_of(timeline))))


def runs(timeline: Timeline) -> list[Run]:
    """Every streak, oldest first."""
    return [Run(timeline.day(start), timeline.day(end)) for start, end in run_bounds(timeline)]


def _kept_start(timeline: Timeline, credit: list[int], alive: bytes) -> int | None:
    """Where the streak through yesterday starts if keeping the open last day would carry it, else None.

    Crediting the last day covers it, and for an X-per-Y habit also the window ending on it when that
    window then holds enough; nothing earlier changes.
    """
    last = timeline.span - 1
    kept = bytearray(alive)
    kept[last] = 1
    schedule = timeline.rule.schedule
    if schedule.type == "x_per_y":
        first = max(0, last - schedule.period_days + 1)
        if sum(credit[first:last]) + 1 >= schedule.times:
            kept[first : last + 1] = b"\x01" * (last + 1 - first)
    begin = kept.rfind(0, 0, last) + 1
    try:
        start = timeline.met.index(1, begin, last)
    except ValueError:
        return None
    return start


def streaks(timeline: Timeline) -> Streaks:
    """Current and best streak as of `last`, with the rules of `status.streaks`.

    An unfinished last day does not break the current streak when keeping it would carry the streak.
    """
    credit = credit_of(timeline)
    alive = bytes(covered(timeline, credit))
    found = _bounds(timeline, alive)
    last = timeline.span - 1
    current = found[-1] if found and found[-1][1] == last else None
    if current is None and last >= 0 and not credit[last]:
        start = _kept_start(timeline, credit, alive)
        if start is not None:
            current = (start, last - 1)
    candidates = [*found, current] if current is not None else found
    best = max(candidates, key=lambda run: (run[1] - run[0], run[1]), default=None)

    def as_run(bounds: tuple[int, int] | None) -> Run | None:
        return None if bounds is None else Run(timeline.day(bounds[0]), timeline.day(bounds[1]))

    return Streaks(as_run(current), as_run(best))


@dataclass(frozen=True)
class Tallies:
    """Prefix sums over a timeline, so any window's completion is O(1)."""

    met_due: list[int]  # completed on a day the schedule expected it (and not skipped)
    due: list[int]  # expected and not skipped
    skipped: list[int]


def tallies(timeline: Timeline) -> Tallies:
    free = list(map(xor, timeline.skipped, repeat(1)))  # not skipped
    due = free if timeline.rule.schedule.type == "x_per_y" else list(map(and_, timeline.scheduled, free))
    met_due = map(and_, timeline.met, due)
    return Tallies(
        met_due=list(accumulate(met_due, initial=0)),
        due=list(accumulate(due, initial=0)),
        skipped=list(accumulate(timeline.skipped, initial=0)),
    )


def completion(timeline: Timeline, counts: Tallies, start: date, end: date | None = None) -> float | None:
    """Share of what was due from `start` to `end` (default `last`) that was done; None when nothing was due.

    Skipped days leave the count, and the last day counts only once it is done (or skipped).
    """
    end = timeline.last if end is None else min(end, timeline.last)
    lo = max(0, timeline.index(start))
    hi = timeline.index(end)  # inclusive
    if hi == timeline.span - 1 and hi >= 0 and not (timeline.met[hi] or timeline.skipped[hi]):
        hi -= 1  # the day in progress is not held against anyone
    if hi < lo:
        return None
    done = counts.met_due[hi + 1] - counts.met_due[lo]
    schedule = timeline.rule.schedule
    if schedule.type == "x_per_y":
        free = (hi - lo + 1) - (counts.skipped[hi + 1] - counts.skipped[lo])
        expected = schedule.times * free / schedule.period_days
        return None if expected <= 0 else min(1.0, done / expected)
    due = counts.due[hi + 1] - counts.due[lo]
    return None if due == 0 else done / due


def strength_series(timeline: Timeline) -> tuple[date, list[float]]:
    """The first scored day and each day's strength from it to `last` (Loop starts at the oldest record)."""
    scoring: Scoring = scoring_of(timeline.rule)
    start = timeline.recorded if timeline.recorded is not None else timeline.span - 1
    if start < 0:
        return timeline.last, []
    return timeline.day(start), smooth(scoring, timeline.amounts[start:], timeline.skipped[start:])
