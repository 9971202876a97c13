"""Day-by-day primitives over a span of days, each in one pass (O(days + entries)).

`day_states` gives, for every day of a span, exactly what `progress.day_state` says for that day; it
keeps a running count instead of recounting an X-per-Y window for each day.
"""

from __future__ import annotations

from datetime import date, timedelta

from paa.core.habits.status import DayState, Entries, Entry, HabitRule, credits


def days_from(first: date, last: date) -> list[date]:
    """Every day from first to last, inclusive (empty when last is before first)."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def day_states(rule: HabitRule, entries: Entries, first: date, last: date, today: date) -> list[DayState]:
    """The state of each day from first to last, as seen from `today`."""
    span = (last - first).days + 1
    if span <= 0:
        return []
    schedule = rule.schedule
    lookback = schedule.period_days - 1 if schedule.type == "x_per_y" else 0
    origin = first - timedelta(days=lookback)
    credit = [0] * (span + lookback)
    for day, entry in entries.items():
        index = (day - origin).days
        if 0 <= index < len(credit) and credits(rule, entry):
            credit[index] = 1
    window = sum(credit[:lookback])  # credits in the lookback days before `first`
    states: list[DayState] = []
    for offset in range(span):
        day = first + timedelta(days=offset)
        states.append(_state(rule, entries.get(day), day, today, window))
        if lookback:
            window += credit[offset + lookback] - credit[offset]
    return states


def _state(rule: HabitRule, entry: Entry | None, day: date, today: date, previous_credits: int) -> DayState:
    if entry is not None and entry.status == "skipped":
        return "skipped"
    if rule.meets(entry):
        return "done"
    if entry is not None and rule.measurable and entry.value:
        return "over" if rule.at_most else "partial"
    schedule = rule.schedule
    if not schedule.is_scheduled(day):
        return "not_due"
    if schedule.type == "x_per_y" and previous_credits >= schedule.times:
        return "not_due"
    return "due" if day >= today else "missed"


# States that count towards what was expected of a day, and the ones that met it.
EXPECTED: frozenset[str] = frozenset({"done", "partial", "over", "missed", "due"})


def counts_as_expected(state: str, day: date, today: date) -> bool:
    """Whether a day's state counts as expected; an unfinished `today` counts only once it is done."""
    if state not in EXPECTED:
        return False
    return day < today or state == "done"
