"""At-most habits against Loop Habit Tracker's definition of a day: its total at or under the target is a
success, and a day with no entry has a total of 0.

Every figure that calls a day kept or not (its state, streaks, completion, the analytics timeline) must
agree with that definition on random histories.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from paa.core.analytics.timeline import build_timeline, completion, tallies
from paa.core.analytics.timeline import streaks as timeline_streaks
from paa.core.habits.schedule import Schedule
from paa.core.habits.status import (
    KEPT,
    OPEN,
    Entry,
    HabitRule,
    completion_rate,
    day_state,
    day_states,
    days_from,
    streaks,
)

PROPERTY = settings(max_examples=150, deadline=None)
TARGETS = st.sampled_from([0.0, 1.0, 2.0, 2.5, 8.0])
AMOUNTS = st.sampled_from([0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 8.0, 9.0])


def loop_success(rule: HabitRule, entry: Entry | None) -> bool:
    """Loop's rule for an at-most day: the day's total (0 with no entry) is at most the target."""
    assert rule.target is not None
    total = 0.0 if entry is None or entry.status != "done" else entry.value or 0.0
    return total <= rule.target


@st.composite
def limit_histories(draw: st.DrawFn) -> tuple[HabitRule, dict[date, Entry], date, date]:
    """A daily at-most habit, its entries (amounts and skips), its first day and today."""
    rule = HabitRule(Schedule("daily"), measurable=True, target=draw(TARGETS), at_most=True)
    today = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)))
    first = today - timedelta(days=draw(st.integers(min_value=0, max_value=40)))
    entry = st.one_of(st.just(Entry("skipped")), st.builds(Entry, st.just("done"), AMOUNTS))
    offsets = draw(st.dictionaries(st.integers(min_value=0, max_value=(today - first).days), entry, max_size=25))
    return rule, {first + timedelta(days=o): e for o, e in offsets.items()}, first, today


@PROPERTY
@given(history=limit_histories())
def test_a_day_is_kept_exactly_when_loop_calls_it_a_success(history) -> None:
    rule, entries, first, today = history
    states = day_states(rule, entries, first, today, today, since=first)
    for day, state in zip(days_from(first, today), states, strict=True):
        entry = entries.get(day)
        if entry is not None and entry.status == "skipped":
            assert state == "skipped"
            continue
        assert (state in KEPT) == loop_success(rule, entry), (day, entry, state)
        assert state == ("over" if not loop_success(rule, entry) else "done" if entry else "within")
        assert state not in OPEN  # an at-most habit never leaves anything to do
        assert state == day_state(rule, entries, day, today, since=first)


def _walk_back(rule: HabitRule, entries: dict[date, Entry], first: date, today: date) -> int:
    """The current streak by hand: consecutive kept or skipped days ending today, from a kept day."""
    start, day = None, today
    while day >= first:
        entry = entries.get(day)
        skipped = entry is not None and entry.status == "skipped"
        if not skipped and not loop_success(rule, entry):
            break
        if not skipped:
            start = day
        day -= timedelta(days=1)
    if start is None:
        return 0
    # A streak runs from its first kept day to today (or yesterday when today is over the limit: then none).
    return (today - start).days + 1


@PROPERTY
@given(history=limit_histories())
def test_streaks_count_empty_days_as_kept(history) -> None:
    rule, entries, first, today = history
    found = streaks(rule, entries, first, today)
    expected = _walk_back(rule, entries, first, today)
    entry = entries.get(today)
    if entry is not None and entry.status == "done" and not loop_success(rule, entry):
        # Over the limit today: the day is not kept, but it is still open, so yesterday's streak stands.
        assert found.current is None or found.current.end == today - timedelta(days=1)
    else:
        assert (found.current.length if found.current else 0) == expected
    assert timeline_streaks(build_timeline(rule, entries, first, today)) == found


@PROPERTY
@given(history=limit_histories(), days=st.integers(min_value=1, max_value=45))
def test_completion_is_the_share_of_days_within_the_limit(history, days) -> None:
    rule, entries, first, today = history
    window = [d for d in days_from(max(first, today - timedelta(days=days - 1)), today)]
    counted = [d for d in window if not (entries.get(d) and entries[d].status == "skipped")]
    if counted and counted[-1] == today and not loop_success(rule, entries.get(today)):
        counted.pop()  # today over the limit is still open: not held against it yet
    kept = sum(loop_success(rule, entries.get(d)) for d in counted)
    rate = completion_rate(rule, entries, first, today, days)
    assert rate == (None if not counted else kept / len(counted))
    timeline = build_timeline(rule, entries, first, today)
    ours = completion(timeline, tallies(timeline), today - timedelta(days=days - 1))
    assert ours == rate
