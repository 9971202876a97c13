"""The reads analytics needs, each one query of plain columns, always scoped to the context's user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, bindparam, func, text
from sqlmodel import col, select

from paa.clock import habit_day
from paa.core.context import Context
from paa.core.habits.manage import rule_of, schedule_of
from paa.core.habits.schedule import Schedule
from paa.core.habits.status import Entry, HabitRule
from paa.db.models import AnalyticsEvent, DailyCheckin, Habit, HabitLog, Message


@dataclass(frozen=True)
class HabitRef:
    """What analytics shows about a habit's definition."""

    id: int
    name: str
    kind: str
    unit: str | None
    target: float | None
    target_type: str | None
    category: str | None
    archived: bool
    schedule: Schedule
    rule: HabitRule
    created_day: date

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "unit": self.unit,
            "target": self.target,
            "target_type": self.target_type,
            "category": self.category,
            "archived": self.archived,
            "schedule": self.schedule.to_json(),
        }


def habit_ref(ctx: Context, habit: Habit) -> HabitRef:
    assert habit.id is not None
    measurable = habit.kind == "measurable"
    return HabitRef(
        id=habit.id,
        name=habit.name,
        kind=habit.kind,
        unit=habit.unit,
        target=habit.target,
        target_type=habit.target_type if measurable else None,
        category=habit.category,
        archived=habit.archived,
        schedule=schedule_of(habit),
        rule=rule_of(habit),
        created_day=habit_day(habit.created_at, ctx.prefs.zone, ctx.prefs.day_start_hour),
    )


_LOGS = text(
    "SELECT habit_id, day, status, value FROM habit_logs"
    " WHERE user_id = :user_id AND habit_id IN :habit_ids AND day <= :until"
).bindparams(bindparam("until", type_=Date), bindparam("habit_ids", expanding=True))


def _log_rows(ctx: Context, habit_ids: list[int], until: date) -> list[tuple[Any, ...]]:
    """The plain log columns; on SQLite straight from the driver, which skips building a Row per log."""
    connection = ctx.session.connection()
    if connection.dialect.name != "sqlite":
        params = {"user_id": ctx.user_id, "habit_ids": habit_ids, "until": until}
        return [tuple(row) for row in connection.execute(_LOGS, params)]
    marks = ", ".join("?" * len(habit_ids))
    sql = (
        f"SELECT habit_id, day, status, value FROM habit_logs WHERE user_id = ? AND habit_id IN ({marks}) AND day <= ?"
    )
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        return list(cursor.execute(sql, (ctx.user_id, *habit_ids, until.isoformat())).fetchall())
    finally:
        cursor.close()


def read_entries(ctx: Context, habit_ids: list[int], until: date) -> dict[int, dict[date, Entry]]:
    """Each habit's entries by day up to `until`, in one query; equal days and entries share one object."""
    result: dict[int, dict[date, Entry]] = {habit_id: {} for habit_id in habit_ids}
    if not habit_ids:
        return result
    days: dict[Any, date] = {}
    entries: dict[tuple[str, float | None], Entry] = {}
    for habit_id, raw_day, status, value in _log_rows(ctx, habit_ids, until):
        by_day = result.get(habit_id)
        if by_day is None:
            continue
        day = days.get(raw_day)
        if day is None:
            day = days[raw_day] = raw_day if isinstance(raw_day, date) else date.fromisoformat(raw_day)
        entry = entries.get((status, value))
        if entry is None:
            entry = entries[(status, value)] = Entry(status, value)
        by_day[day] = entry
    return result


def read_log_counts(ctx: Context, start: date, end: date) -> dict[date, int]:
    """How many habit days were recorded (done or skipped) on each day, across all the user's habits."""
    rows = ctx.session.exec(
        select(col(HabitLog.day), func.count())
        .where(HabitLog.user_id == ctx.user_id, col(HabitLog.day) >= start, col(HabitLog.day) <= end)
        .group_by(col(HabitLog.day))
    ).all()
    return {day: int(count) for day, count in rows}


def read_first_log_day(ctx: Context, until: date) -> date | None:
    """The user's earliest recorded habit day up to `until` (a backfill can precede a habit's creation)."""
    return ctx.session.exec(
        select(func.min(col(HabitLog.day))).where(HabitLog.user_id == ctx.user_id, col(HabitLog.day) <= until)
    ).one()


@dataclass(frozen=True)
class CheckinPoint:
    """One day's check-in figures."""

    day: date
    mood: int | None
    energy: int | None
    sentiment: float | None


def read_checkins(ctx: Context, start: date, end: date) -> list[CheckinPoint]:
    """Check-ins from start to end (inclusive), oldest first."""
    rows = ctx.session.exec(
        select(
            col(DailyCheckin.day),
            col(DailyCheckin.mood),
            col(DailyCheckin.energy),
            col(DailyCheckin.sentiment_score),
        )
        .where(DailyCheckin.user_id == ctx.user_id, col(DailyCheckin.day) >= start, col(DailyCheckin.day) <= end)
        .order_by(col(DailyCheckin.day))
    ).all()
    return [CheckinPoint(*row) for row in rows]


_CHECKIN_DAYS = text(
    "SELECT day FROM daily_checkins WHERE user_id = :user_id AND day <= :until ORDER BY day"
).bindparams(bindparam("until", type_=Date))


def read_checkin_days(ctx: Context, end: date) -> list[date]:
    """Every day up to `end` that has a check-in, oldest first (for check-in streaks)."""
    rows = ctx.session.execute(_CHECKIN_DAYS, {"user_id": ctx.user_id, "until": end}).scalars()
    return [day if isinstance(day, date) else date.fromisoformat(day) for day in rows]


@dataclass(frozen=True)
class MessageDay:
    """Chat messages on one local day: the person's own, and all (theirs, the assistant's, tools')."""

    user: int = 0
    all: int = 0


def day_bounds(ctx: Context, start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants that surely contain the local habit days start..end (a day of slack on each side)."""
    zone, hour = ctx.prefs.zone, ctx.prefs.day_start_hour
    low = datetime.combine(start - timedelta(days=1), time(hour), tzinfo=zone)
    high = datetime.combine(end + timedelta(days=2), time(hour), tzinfo=zone)
    return low, high


INSIGHT_KIND = "conversation_insight"  # the analytics event paa.ai.insights keeps, one per conversation
TOPICS_SHOWN = 8


@dataclass(frozen=True)
class ConversationTopics:
    """What the conversations of a period were about: their insights' topics and intents, by conversation count."""

    conversations: int  # conversations with an insight, placed on the day it was last read
    topics: list[tuple[str, int]]
    intents: list[tuple[str, int]]

    def to_json(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "topics": [{"name": name, "conversations": count} for name, count in self.topics],
            "intents": [{"name": name, "conversations": count} for name, count in self.intents],
        }


def read_conversation_topics(ctx: Context, start: date, end: date) -> ConversationTopics:
    """The topics and intents of the conversations whose insight was last read from start to end (local days)."""
    import json
    from collections import Counter

    low, high = day_bounds(ctx, start, end)
    rows = ctx.session.exec(
        select(col(AnalyticsEvent.created_at), col(AnalyticsEvent.payload)).where(
            AnalyticsEvent.user_id == ctx.user_id,
            AnalyticsEvent.kind == INSIGHT_KIND,
            AnalyticsEvent.created_at >= low,
            AnalyticsEvent.created_at < high,
        )
    ).all()
    zone, hour = ctx.prefs.zone, ctx.prefs.day_start_hour
    topics: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    conversations = 0
    for created_at, payload in rows:
        if not start <= habit_day(created_at, zone, hour) <= end:
            continue
        try:
            data = json.loads(payload)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        conversations += 1
        topics.update({str(t) for t in data.get("topics") or [] if isinstance(t, str)})
        intents.update({str(i) for i in data.get("intents") or [] if isinstance(i, str)})
    return ConversationTopics(conversations, topics.most_common(TOPICS_SHOWN), intents.most_common(TOPICS_SHOWN))


def read_message_days(ctx: Context, start: date, end: date) -> dict[date, MessageDay]:
    """Messages per local habit day (the user's zone and day-start hour) from start to end."""
    low, high = day_bounds(ctx, start, end)
    rows = ctx.session.exec(
        select(col(Message.created_at), col(Message.role)).where(
            Message.user_id == ctx.user_id, Message.created_at >= low, Message.created_at < high
        )
    ).all()
    zone, hour = ctx.prefs.zone, ctx.prefs.day_start_hour
    counts: dict[date, list[int]] = {}
    for created_at, role in rows:
        day = habit_day(created_at, zone, hour)
        if start <= day <= end:
            tally = counts.setdefault(day, [0, 0])
            tally[0] += role == "user"
            tally[1] += 1
    return {day: MessageDay(user, total) for day, (user, total) in counts.items()}
