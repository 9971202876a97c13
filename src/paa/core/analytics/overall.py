"""Across habits: daily completion, mood and sentiment trends, habit-mood correlation and engagement."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from paa.core.analytics.load import CheckinPoint, HabitRef, MessageDay
from paa.core.habits.status import EXPECTED, KEPT, DayState, days_from

TREND_DAYS = 7
# Below these counts a correlation is shown with a caution: too few days to tell much.
SMALL_SAMPLE = 14
SMALL_GROUP = 5


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class HabitDays:
    """A habit's state on each day from `start` (its first day inside the window) to the as-of day."""

    habit: HabitRef
    start: date
    states: list[DayState]

    def state_on(self, day: date) -> DayState | None:
        index = (day - self.start).days
        return self.states[index] if 0 <= index < len(self.states) else None


@dataclass(frozen=True)
class DayCompletion:
    """Habits done out of habits expected on one day (an open as-of day counts what is still due)."""

    day: date
    done: int
    due: int

    @property
    def rate(self) -> float | None:
        return None if self.due == 0 else self.done / self.due

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "done": self.done, "due": self.due, "rate": _round(self.rate)}


@dataclass(frozen=True)
class CompletionSeries:
    """Daily completion over a window, with the average of the finished days (the as-of day is left out)."""

    days: list[DayCompletion]

    @property
    def finished(self) -> list[DayCompletion]:
        return self.days[:-1]

    @property
    def average(self) -> float | None:
        """All habits done over all expected on the finished days of the window (not a mean of daily rates)."""
        done = sum(d.done for d in self.finished)
        due = sum(d.due for d in self.finished)
        return None if due == 0 else done / due

    @property
    def today(self) -> DayCompletion | None:
        return self.days[-1] if self.days else None

    def to_json(self) -> dict[str, Any]:
        return {
            "average": _round(self.average),
            "today": self.today.to_json() if self.today else None,
            "days": [day.to_json() for day in self.days],
        }


def daily_completion(habits: Sequence[HabitDays], start: date, as_of: date) -> CompletionSeries:
    days = days_from(start, as_of)
    done, due = [0] * len(days), [0] * len(days)
    for habit in habits:
        offset = (habit.start - start).days
        for index, state in enumerate(habit.states):
            position = offset + index
            if 0 <= position < len(days) and state in EXPECTED:
                due[position] += 1
                done[position] += state in KEPT
    return CompletionSeries([DayCompletion(day, done[i], due[i]) for i, day in enumerate(days)])


def rolling_mean(values: Sequence[float | None], width: int = TREND_DAYS) -> list[float | None]:
    """Trailing mean over the last `width` positions, of the values present (None where there are none)."""
    result: list[float | None] = []
    total, count = 0.0, 0
    for index, value in enumerate(values):
        if value is not None:
            total, count = total + value, count + 1
        if index >= width:
            dropped = values[index - width]
            if dropped is not None:
                total, count = total - dropped, count - 1
        result.append(total / count if count else None)
    return result


@dataclass(frozen=True)
class MoodDay:
    day: date
    mood: int | None
    energy: int | None
    sentiment: float | None
    mood_trend: float | None  # 7-day trailing mean
    sentiment_trend: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "mood": self.mood,
            "energy": self.energy,
            "sentiment": _round(self.sentiment),
            "mood_7d": _round(self.mood_trend),
            "sentiment_7d": _round(self.sentiment_trend),
        }


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None with fewer than 3 pairs or when either side does not vary."""
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


@dataclass(frozen=True)
class HabitMood:
    """How mood differs between days a habit was done and the other days."""

    habit: HabitRef
    mood_done: float | None
    mood_other: float | None
    n_done: int
    n_other: int
    r: float | None  # point-biserial correlation of done (1/0) with mood

    @property
    def n(self) -> int:
        return self.n_done + self.n_other

    @property
    def difference(self) -> float | None:
        if self.mood_done is None or self.mood_other is None:
            return None
        return self.mood_done - self.mood_other

    @property
    def caution(self) -> str | None:
        if self.n < SMALL_SAMPLE or min(self.n_done, self.n_other) < SMALL_GROUP:
            return f"small sample (n={self.n}; {self.n_done} done, {self.n_other} not): a hint, not a finding"
        if self.r is None:
            return "no variation to correlate"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "habit": {"id": self.habit.id, "name": self.habit.name},
            "n": self.n,
            "n_done": self.n_done,
            "n_other": self.n_other,
            "mood_done": _round(self.mood_done, 2),
            "mood_other": _round(self.mood_other, 2),
            "difference": _round(self.difference, 2),
            "r": _round(self.r, 3),
            "caution": self.caution,
        }


def habit_mood(habit: HabitDays, moods: dict[date, int]) -> HabitMood:
    """Compare mood on days the habit was done with all its other days.

    Skipped days are left out, and so is an as-of day on which the habit is still open.
    """
    xs: list[float] = []
    ys: list[float] = []
    for day, mood in moods.items():
        state = habit.state_on(day)
        if state is None or state in ("skipped", "due"):
            continue
        xs.append(1.0 if state in KEPT else 0.0)
        ys.append(float(mood))
    done = [y for x, y in zip(xs, ys, strict=True) if x]
    other = [y for x, y in zip(xs, ys, strict=True) if not x]
    return HabitMood(habit.habit, mean(done), mean(other), len(done), len(other), pearson(xs, ys))


def _mood(point: CheckinPoint | None) -> float | None:
    return None if point is None or point.mood is None else float(point.mood)


@dataclass(frozen=True)
class MoodReport:
    """Mood, energy and sentiment over a window, their 7-day trends, and how each habit relates to mood."""

    start: date
    end: date
    days: list[MoodDay]
    previous_mood: float | None  # mood average of the window of the same length just before
    correlations: list[HabitMood]

    def _values(self, name: str) -> list[float]:
        return [value for day in self.days if (value := getattr(day, name)) is not None]

    @property
    def checkins(self) -> int:
        return sum(any(v is not None for v in (d.mood, d.energy, d.sentiment)) for d in self.days)

    @property
    def mood_average(self) -> float | None:
        return mean(self._values("mood"))

    @property
    def last_week_mood(self) -> float | None:
        return mean([d.mood for d in self.days[-TREND_DAYS:] if d.mood is not None])

    @property
    def energy_average(self) -> float | None:
        return mean(self._values("energy"))

    @property
    def sentiment_average(self) -> float | None:
        return mean(self._values("sentiment"))

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "checkins": self.checkins,
            "mood": {
                "average": _round(self.mood_average, 2),
                "n": len(self._values("mood")),
                "last_7d": _round(self.last_week_mood, 2),
                "previous_period": _round(self.previous_mood, 2),
            },
            "energy": {"average": _round(self.energy_average, 2), "n": len(self._values("energy"))},
            "sentiment": {"average": _round(self.sentiment_average, 3), "n": len(self._values("sentiment"))},
            "days": [day.to_json() for day in self.days],
            "habits": [item.to_json() for item in self.correlations],
        }


def mood_report(
    checkins: Sequence[CheckinPoint],
    start: date,
    end: date,
    habits: Sequence[HabitDays],
    previous: Sequence[CheckinPoint] = (),
) -> MoodReport:
    """Mood figures for start..end; `checkins` may reach back before start to seed the 7-day trend."""
    by_day = {point.day: point for point in checkins}
    lead = start - timedelta(days=TREND_DAYS - 1)
    span = days_from(lead, end)
    moods = [_mood(by_day.get(d)) for d in span]
    feelings = [by_day[d].sentiment if d in by_day else None for d in span]
    mood_trend = rolling_mean(moods)
    sentiment_trend = rolling_mean(feelings)
    days = []
    for index, day in enumerate(span):
        if day < start:
            continue
        point = by_day.get(day)
        days.append(
            MoodDay(
                day=day,
                mood=point.mood if point else None,
                energy=point.energy if point else None,
                sentiment=point.sentiment if point else None,
                mood_trend=mood_trend[index],
                sentiment_trend=sentiment_trend[index],
            )
        )
    window_moods = {p.day: p.mood for p in checkins if start <= p.day <= end and p.mood is not None}
    correlations = [habit_mood(habit, window_moods) for habit in habits]
    previous_mood = mean([float(p.mood) for p in previous if p.mood is not None])
    return MoodReport(start, end, days, previous_mood, correlations)


@dataclass(frozen=True)
class EngagementDay:
    day: date
    logs: int  # habit days recorded (done or skipped)
    checkin: bool
    messages: int  # the person's own chat messages

    @property
    def active(self) -> bool:
        return self.logs > 0 or self.checkin or self.messages > 0

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "logs": self.logs, "checkin": self.checkin, "messages": self.messages}


@dataclass(frozen=True)
class Engagement:
    """How much paa was used over a window."""

    start: date
    end: date
    days: list[EngagementDay]
    all_messages: int  # including the assistant's replies
    checkin_streak: int  # consecutive check-in days up to the as-of day (or the day before)
    checkin_best: int  # longest run of check-in days ever, up to the as-of day

    @property
    def active_days(self) -> int:
        return sum(day.active for day in self.days)

    @property
    def checkins(self) -> int:
        return sum(day.checkin for day in self.days)

    @property
    def logs(self) -> int:
        return sum(day.logs for day in self.days)

    @property
    def user_messages(self) -> int:
        return sum(day.messages for day in self.days)

    @property
    def chat_days(self) -> int:
        return sum(day.messages > 0 for day in self.days)

    @property
    def messages_per_day(self) -> float | None:
        return None if not self.days else self.user_messages / len(self.days)

    def to_json(self) -> dict[str, Any]:
        length = len(self.days)
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": length,
            "active_days": self.active_days,
            "active_rate": _round(self.active_days / length) if length else None,
            "checkins": self.checkins,
            "checkin_streak": self.checkin_streak,
            "checkin_best": self.checkin_best,
            "habit_logs": self.logs,
            "user_messages": self.user_messages,
            "all_messages": self.all_messages,
            "chat_days": self.chat_days,
            "messages_per_day": _round(self.messages_per_day, 2),
            "series": [day.to_json() for day in self.days],
        }


def day_streaks(days: Sequence[date], as_of: date) -> tuple[int, int]:
    """Current and longest run of consecutive days; the current run may end on as_of or the day before."""
    ordered = sorted(set(d for d in days if d <= as_of))
    best = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        best = max(best, run)
        previous = day
    current = run if previous is not None and (as_of - previous).days <= 1 else 0
    return current, best


def engagement(
    start: date,
    end: date,
    logs_by_day: dict[date, int],
    checkin_days: Sequence[date],
    messages: dict[date, MessageDay],
) -> Engagement:
    checked = set(checkin_days)
    days = [
        EngagementDay(day, logs_by_day.get(day, 0), day in checked, messages[day].user if day in messages else 0)
        for day in days_from(start, end)
    ]
    current, best = day_streaks(checkin_days, end)
    return Engagement(start, end, days, sum(m.all for m in messages.values()), current, best)
