"""Everything analytics says about one habit as of a day: streaks, completion, strength and its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from paa.core.analytics.load import HabitRef
from paa.core.analytics.periods import STANDARD_WINDOWS, Period
from paa.core.analytics.strength import scoring_of
from paa.core.analytics.timeline import Tallies, Timeline, build_timeline, completion, streaks, strength_series, tallies
from paa.core.habits.schedule import SHORT_DAYS
from paa.core.habits.status import KEPT, DayState, Entries, Streaks, counts_as_expected, day_states, days_from


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


@dataclass(frozen=True)
class DayPoint:
    """One day of a habit: its state, the recorded amount, and the strength at the end of the day."""

    day: date
    state: DayState
    value: float | None
    strength: float

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "state": self.state,
            "value": self.value,
            "strength": _round(self.strength),
        }


@dataclass(frozen=True)
class WeekdayStat:
    """How one weekday went over the period: days it was expected, and days it was done."""

    weekday: int  # Monday is 0
    done: int
    due: int

    @property
    def rate(self) -> float | None:
        return None if self.due == 0 else self.done / self.due

    def to_json(self) -> dict[str, Any]:
        return {"day": SHORT_DAYS[self.weekday], "done": self.done, "due": self.due, "rate": _round(self.rate)}


@dataclass(frozen=True)
class MeasureStats:
    """Amounts of a measurable habit over the period."""

    total: float
    days_logged: int  # days with an amount recorded
    days: int  # days in the period not skipped (an as-of day with nothing recorded yet is left out)
    on_target: int  # days that met the target
    due_days: int  # days the target was expected
    highest: float | None
    lowest: float | None

    @property
    def average_logged(self) -> float | None:
        return None if self.days_logged == 0 else self.total / self.days_logged

    @property
    def average_daily(self) -> float | None:
        return None if self.days == 0 else self.total / self.days

    @property
    def on_target_rate(self) -> float | None:
        return None if self.due_days == 0 else self.on_target / self.due_days

    def to_json(self) -> dict[str, Any]:
        return {
            "total": _round(self.total),
            "days_logged": self.days_logged,
            "days": self.days,
            "average_logged": _round(self.average_logged),
            "average_daily": _round(self.average_daily),
            "on_target": self.on_target,
            "due_days": self.due_days,
            "on_target_rate": _round(self.on_target_rate),
            "highest": self.highest,
            "lowest": self.lowest,
        }


@dataclass(frozen=True)
class HabitStats:
    """One habit as of `as_of`; period figures cover `start`..`as_of`."""

    habit: HabitRef
    as_of: date
    period: Period
    start: date
    first_day: date
    streaks: Streaks
    completion: dict[str, float | None]  # 7d, 30d, 90d, 365d, all, period
    strength: float
    strength_before: float  # at the end of the day before the period
    done: int  # all time, up to as_of
    skipped: int
    period_done: int
    period_due: int
    period_skipped: int
    measure: MeasureStats | None
    weekdays: list[WeekdayStat]
    days: list[DayPoint]  # the period, oldest first

    @property
    def strength_change(self) -> float:
        return self.strength - self.strength_before

    def to_json(self, *, history: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "habit": self.habit.to_json(),
            "as_of": self.as_of.isoformat(),
            "period": self.period.to_json(self.as_of, self.first_day),
            "first_day": self.first_day.isoformat(),
            "streak": {
                **self.streaks.to_json(),
                "best_start": self.streaks.best.start.isoformat() if self.streaks.best else None,
                "best_end": self.streaks.best.end.isoformat() if self.streaks.best else None,
            },
            "completion": {key: _round(value) for key, value in self.completion.items()},
            "strength": _round(self.strength),
            "strength_change": _round(self.strength_change),
            "totals": {
                "done": self.done,
                "skipped": self.skipped,
                "period_done": self.period_done,
                "period_due": self.period_due,
                "period_skipped": self.period_skipped,
            },
            "measure": self.measure.to_json() if self.measure else None,
            "weekdays": [stat.to_json() for stat in self.weekdays],
        }
        if history:
            data["history"] = [point.to_json() for point in self.days]
        return data


def first_day_of(habit: HabitRef, entries: Entries, as_of: date) -> date:
    """A habit counts from its creation day, or from an earlier backfilled log (one up to `as_of`)."""
    earliest = min(entries, default=None)
    if earliest is None or earliest > as_of:  # the oldest entry is after as_of, so all of them are
        return habit.created_day
    return min(habit.created_day, earliest)


def completion_windows(timeline: Timeline, counts: Tallies, as_of: date, first: date) -> dict[str, float | None]:
    rates = {f"{n}d": completion(timeline, counts, as_of - timedelta(days=n - 1)) for n in STANDARD_WINDOWS}
    rates["all"] = completion(timeline, counts, first)
    return rates


def habit_stats(habit: HabitRef, entries: Entries, as_of: date, period: Period) -> HabitStats:
    """Compute a habit's figures as of a day; entries after `as_of` are ignored."""
    rule = habit.rule
    first = first_day_of(habit, entries, as_of)
    timeline = build_timeline(rule, entries, first, as_of)
    counts = tallies(timeline)
    rates = completion_windows(timeline, counts, as_of, first)
    start = period.start(as_of, first)
    rates["period"] = completion(timeline, counts, start) if start <= as_of else None
    scored_from, scores = strength_series(timeline)
    initial = scoring_of(rule).initial

    def strength_at(day: date) -> float:
        """The score at the end of `day`; before the first scored day it is the starting score (as in Loop)."""
        index = (day - scored_from).days
        if index < 0:
            return initial
        return scores[index] if index < len(scores) else 0.0

    window = days_from(start, as_of)
    states = day_states(rule, entries, start, as_of, as_of, since=first) if window else []
    points = []
    for day, state in zip(window, states, strict=True):
        entry = entries.get(day)
        points.append(DayPoint(day, state, entry.value if entry else None, strength_at(day)))
    return HabitStats(
        habit=habit,
        as_of=as_of,
        period=period,
        start=start,
        first_day=first,
        streaks=streaks(timeline),
        completion=rates,
        strength=strength_at(as_of),
        strength_before=strength_at(start - timedelta(days=1)),
        done=sum(timeline.met),
        skipped=sum(timeline.skipped),
        period_done=sum(point.state in KEPT for point in points),
        period_due=sum(counts_as_expected(p.state, p.day, as_of) for p in points),
        period_skipped=sum(point.state == "skipped" for point in points),
        measure=measure_stats(habit, points, as_of) if habit.kind == "measurable" else None,
        weekdays=weekday_profile(points, as_of),
        days=points,
    )


def weekday_profile(points: list[DayPoint], as_of: date) -> list[WeekdayStat]:
    """Per weekday: days it was expected and days it was done (an unfinished as-of day not held against it)."""
    done, due = [0] * 7, [0] * 7
    for point in points:
        if counts_as_expected(point.state, point.day, as_of):
            weekday = point.day.weekday()
            due[weekday] += 1
            done[weekday] += point.state in KEPT
    return [WeekdayStat(i, done[i], due[i]) for i in range(7)]


def measure_stats(habit: HabitRef, points: list[DayPoint], as_of: date) -> MeasureStats:
    logged = [p.value for p in points if p.value is not None and p.state != "skipped"]
    counted = [p for p in points if p.state != "skipped" and not (p.day == as_of and p.value is None)]
    return MeasureStats(
        total=sum(logged),
        days_logged=len(logged),
        days=len(counted),
        on_target=sum(p.state in KEPT for p in points),
        due_days=sum(counts_as_expected(p.state, p.day, as_of) for p in points),
        highest=max(logged, default=None),
        lowest=min(logged, default=None),
    )
