"""What the analytics commands ask for: read what is needed once, compute, and return result objects."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from paa.core.analytics.habit_stats import HabitStats, habit_stats
from paa.core.analytics.insights import Insight, insights
from paa.core.analytics.load import (
    ConversationTopics,
    HabitRef,
    habit_ref,
    read_checkin_days,
    read_checkins,
    read_entries,
    read_first_log_day,
    read_log_counts,
    read_message_days,
)
from paa.core.analytics.overall import (
    TREND_DAYS,
    CompletionSeries,
    Engagement,
    HabitDays,
    MoodReport,
    daily_completion,
    engagement,
    mood_report,
)
from paa.core.analytics.periods import Period
from paa.core.context import Context
from paa.core.dates import parse_day
from paa.core.habits.manage import list_habits, resolve_habit
from paa.core.habits.status import KEPT
from paa.db.models import Habit


def as_of_day(ctx: Context, text: str | None) -> date:
    """The day analytics looks from: today (the user's habit day) unless a past day is named."""
    today = ctx.today()
    return today if not text else parse_day(text, today)


def _stats_for(ctx: Context, habits: list[Habit], as_of: date, period: Period) -> list[HabitStats]:
    refs = [habit_ref(ctx, habit) for habit in habits]
    entries = read_entries(ctx, [ref.id for ref in refs], as_of)
    found = []
    for ref in refs:
        stats = habit_stats(ref, entries[ref.id], as_of, period)
        if stats.first_day <= as_of:  # a habit created after the as-of day did not exist yet
            found.append(stats)
    return found


def habit_report(ctx: Context, habit: str, as_of: date, period: Period) -> HabitStats:
    """One habit's figures, found by id or name (archived ones too)."""
    found = resolve_habit(ctx, habit)
    ref = habit_ref(ctx, found)
    entries = read_entries(ctx, [ref.id], as_of)[ref.id]
    return habit_stats(ref, entries, as_of, period)


@dataclass(frozen=True)
class Overview:
    """All habits and the day-level figures over one window: what summary, mood, engagement and insights show."""

    as_of: date
    period: Period
    start: date
    habits: list[HabitStats]
    completion: CompletionSeries
    mood: MoodReport
    engagement: Engagement
    insights: list[Insight]

    def period_json(self) -> dict[str, Any]:
        return {
            "label": self.period.label,
            "start": self.start.isoformat(),
            "end": self.as_of.isoformat(),
            "days": (self.as_of - self.start).days + 1,
        }

    def to_json(self) -> dict[str, Any]:
        """The summary: every habit's headline figures and the day-level headlines (no day series)."""
        mood = self.mood.to_json()
        usage = self.engagement.to_json()
        return {
            "as_of": self.as_of.isoformat(),
            "period": self.period_json(),
            "habits": [habit_headline(stats) for stats in self.habits],
            "completion": self.completion.to_json(),
            "mood": {key: mood[key] for key in ("checkins", "mood", "energy", "sentiment")},
            "engagement": {key: value for key, value in usage.items() if key != "series"},
            "insights": [item.to_json() for item in self.insights],
        }

    def insights_json(self) -> dict[str, Any]:
        """The insights alone, with the window they were drawn from (`paa analytics insights --json`)."""
        return {
            "as_of": self.as_of.isoformat(),
            "period": self.period_json(),
            "insights": [item.to_json() for item in self.insights],
        }


def engagement_json(usage: Engagement, topics: ConversationTopics) -> dict[str, Any]:
    """Engagement with the topics and intents of the period's conversations (`paa analytics engagement --json`)."""
    return {**usage.to_json(), "conversations": topics.to_json()}


def habit_headline(stats: HabitStats) -> dict[str, Any]:
    data = stats.to_json(history=False)
    return {
        **data["habit"],
        "strength": data["strength"],
        "strength_change": data["strength_change"],
        "streak": data["streak"],
        "completion": data["completion"],
        "period_done": stats.period_done,
        "period_due": stats.period_due,
    }


def overview(ctx: Context, as_of: date, period: Period, *, with_insights: bool = True) -> Overview:
    """Compute everything across the user's active habits for the window ending on `as_of`."""
    stats = _stats_for(ctx, list_habits(ctx), as_of, period)
    checkin_days = read_checkin_days(ctx, as_of)
    start = period.start(as_of, min([as_of, *(s.first_day for s in stats), *checkin_days[:1]]))
    habit_days = [HabitDays(s.habit, s.start, [p.state for p in s.days]) for s in stats]
    series = daily_completion(habit_days, start, as_of)
    previous = period.previous(as_of) if period.days is not None else None
    reach = min(start - timedelta(days=TREND_DAYS - 1), previous[0] if previous else start)
    checkins = read_checkins(ctx, reach, as_of)
    before = [p for p in checkins if previous and previous[0] <= p.day <= previous[1]]
    mood = mood_report(
        [p for p in checkins if p.day >= start - timedelta(days=TREND_DAYS - 1)], start, as_of, habit_days, before
    )
    usage = engagement(
        start, as_of, read_log_counts(ctx, start, as_of), checkin_days, read_message_days(ctx, start, as_of)
    )
    found = insights(stats, series, mood, usage, period) if with_insights else []
    return Overview(as_of, period, start, stats, series, mood, usage, found)


def engagement_report(ctx: Context, as_of: date, period: Period) -> Engagement:
    """Engagement alone: check-ins, habit logs and messages per day, without computing habit figures."""
    checkin_days = read_checkin_days(ctx, as_of)
    created = [habit_ref(ctx, h).created_day for h in list_habits(ctx)]
    first_log = read_first_log_day(ctx, as_of)
    logged = [first_log] if first_log is not None else []
    start = period.start(as_of, min([as_of, *created, *logged, *checkin_days[:1]]))
    return engagement(
        start, as_of, read_log_counts(ctx, start, as_of), checkin_days, read_message_days(ctx, start, as_of)
    )


@dataclass(frozen=True)
class HeatCell:
    """One day of a heatmap: level 0 (nothing done) to 4 (all done), None when nothing was expected."""

    day: date
    level: int | None
    state: str | None = None  # for one habit: the day's state
    rate: float | None = None  # for all habits: the share done
    value: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "level": self.level,
            "state": self.state,
            "value": self.value,
            "rate": None if self.rate is None else round(self.rate, 4),
        }


@dataclass(frozen=True)
class Heatmap:
    as_of: date
    start: date
    habit: HabitRef | None
    cells: list[HeatCell]

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "start": self.start.isoformat(),
            "end": self.as_of.isoformat(),
            "habit": self.habit.to_json() if self.habit else None,
            "days": [cell.to_json() for cell in self.cells],
        }


def rate_level(rate: float | None) -> int | None:
    """0 for none done, then quarters: 1 up to 25%, 2 up to 50%, 3 up to 75%, 4 above."""
    if rate is None:
        return None
    if rate <= 0:
        return 0
    return min(4, max(1, math.ceil(rate * 4 - 1e-9)))


def state_level(ref: HabitRef, state: str, value: float | None) -> int | None:
    if state in KEPT:
        return 4
    if state == "missed":
        return 0
    if state == "partial" and ref.target:
        return min(3, max(1, math.ceil((value or 0.0) / ref.target * 4 - 1e-9)))
    if state == "over":
        return 1
    return None  # skipped, not due, or still due today


def habit_heatmap(ctx: Context, habit: str, as_of: date, period: Period) -> Heatmap:
    stats = habit_report(ctx, habit, as_of, period)
    cells = [HeatCell(p.day, state_level(stats.habit, p.state, p.value), p.state, value=p.value) for p in stats.days]
    return Heatmap(as_of, stats.start, stats.habit, cells)


def overall_heatmap(ctx: Context, as_of: date, period: Period) -> Heatmap:
    stats = _stats_for(ctx, list_habits(ctx), as_of, period)
    start = period.start(as_of, min([s.first_day for s in stats], default=as_of))
    habit_days = [HabitDays(s.habit, s.start, [p.state for p in s.days]) for s in stats]
    series = daily_completion(habit_days, start, as_of)
    cells = [HeatCell(d.day, rate_level(d.rate), rate=d.rate) for d in series.days]
    return Heatmap(as_of, start, None, cells)


EXPORT_HABIT_COLUMNS = ("day", "habit_id", "habit", "kind", "state", "done", "value", "strength")
EXPORT_DAY_COLUMNS = (
    "day",
    "habits_done",
    "habits_due",
    "completion",
    "mood",
    "energy",
    "sentiment",
    "habit_logs",
    "checkin",
    "user_messages",
)


@dataclass(frozen=True)
class Export:
    """Day-by-day tables for spreadsheets: one row per habit and day, and one row per day."""

    overview: Overview

    def habit_rows(self) -> list[dict[str, Any]]:
        rows = []
        for stats in self.overview.habits:
            ref = stats.habit
            for point in stats.days:
                rows.append(
                    {
                        "day": point.day.isoformat(),
                        "habit_id": ref.id,
                        "habit": ref.name,
                        "kind": ref.kind,
                        "state": point.state,
                        "done": int(point.state in KEPT),
                        "value": point.value,
                        "strength": round(point.strength, 4),
                    }
                )
        rows.sort(key=lambda row: (row["day"], row["habit_id"]))
        return rows

    def day_rows(self) -> list[dict[str, Any]]:
        view = self.overview
        moods = {day.day: day for day in view.mood.days}
        usage = {day.day: day for day in view.engagement.days}
        rows = []
        for completed in view.completion.days:
            mood, used = moods.get(completed.day), usage.get(completed.day)
            rows.append(
                {
                    "day": completed.day.isoformat(),
                    "habits_done": completed.done,
                    "habits_due": completed.due,
                    "completion": None if completed.rate is None else round(completed.rate, 4),
                    "mood": mood.mood if mood else None,
                    "energy": mood.energy if mood else None,
                    "sentiment": mood.sentiment if mood else None,
                    "habit_logs": used.logs if used else 0,
                    "checkin": int(used.checkin) if used else 0,
                    "user_messages": used.messages if used else 0,
                }
            )
        return rows

    def to_json(self) -> dict[str, Any]:
        view = self.overview
        return {
            "as_of": view.as_of.isoformat(),
            "period": view.period_json(),
            "habits": [stats.habit.to_json() for stats in view.habits],
            "habit_days": self.habit_rows(),
            "days": self.day_rows(),
        }


def export(ctx: Context, as_of: date, period: Period) -> Export:
    return Export(overview(ctx, as_of, period, with_insights=False))
