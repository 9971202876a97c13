"""A plain, day-by-day reading of the streak rules, kept only to check `paa.core.habits.status` against.

paa computes streaks from flat day arrays (`status.streak_bounds`), one implementation for habit lists and
analytics. This walks the calendar one day at a time with dictionary lookups, the way the rules are written
in docs, so a property test can compare the two on many random histories. It is deliberately slow and simple.
"""

from __future__ import annotations

from datetime import date, timedelta

from paa.core.habits.status import Entries, Entry, HabitRule, Run, Streaks, credits


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
    # X per Y: a day is covered when some Y-day window holding it (ending by `last`) holds X credited days.
    covered = list(credit)
    for end in range(span):
        begin = max(0, end - schedule.period_days + 1)
        if sum(credit[begin : end + 1]) >= schedule.times:
            for index in range(begin, end + 1):
                covered[index] = True
    return covered


def reference_runs(rule: HabitRule, entries: Entries, first: date, last: date) -> list[Run]:
    """All streaks between first and last, oldest first; each starts on a completed day."""
    runs: list[Run] = []
    start: date | None = None
    for offset, ok in enumerate(_covered(rule, entries, first, last)):
        day = first + timedelta(days=offset)
        if ok and start is None and rule.meets(entries.get(day)):
            start = day
        elif not ok and start is not None:
            runs.append(Run(start, day - timedelta(days=1)))
            start = None
    if start is not None:
        runs.append(Run(start, last))
    return runs


def reference_streaks(rule: HabitRule, entries: Entries, first: date, today: date) -> Streaks:
    """Current and best streak as of `today`; an open, unfinished today does not break a streak."""
    runs = reference_runs(rule, entries, first, today)
    current = runs[-1] if runs and runs[-1].end == today else None
    if current is None and not credits(rule, entries.get(today)):
        # Today is still open: the streak stands through yesterday if keeping today would carry it.
        kept = reference_runs(rule, {**entries, today: Entry("skipped")}, first, today)
        if kept and kept[-1].end == today:
            current = Run(kept[-1].start, today - timedelta(days=1))
    candidates = [*runs, current] if current is not None else runs
    best = max(candidates, key=lambda run: (run.length, run.end), default=None)
    return Streaks(current, best)
