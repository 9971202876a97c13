"""Where reminders come from: a user's habit reminders, check-in time and custom reminders, read from the database."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from paa.core.context import Context
from paa.core.habits.manage import rule_of, schedule_of
from paa.core.habits.schedule import bits_to_weekdays
from paa.core.habits.status import HabitRule
from paa.core.reminders.rules import (
    CheckinReminder,
    CronSpec,
    CustomReminder,
    HabitReminder,
    Occurrence,
    Rule,
    Zone,
    parse_time,
)
from paa.db.models import Habit, Reminder


@dataclass(frozen=True)
class HabitInfo:
    """What a habit reminder needs to know about its habit at send time."""

    name: str
    rule: HabitRule
    explicit_days: bool
    unit: str | None
    target: float | None


@dataclass(frozen=True)
class Sources:
    """Every reminder of a user, read from the database: the rules, and the names that go in messages."""

    where: Zone
    rules: tuple[Rule, ...]
    habits: dict[int, HabitInfo]
    customs: dict[int, str]

    def fingerprint(self) -> str:
        """Changes whenever a reminder, its text, the zone or the check-in time changes."""
        text = repr((self.where, self.rules, sorted((k, v.name) for k, v in self.habits.items()), self.customs))
        return hashlib.sha256(text.encode()).hexdigest()

    def title_of(self, occurrence: Occurrence) -> str:
        if occurrence.kind == "habit":
            return self.habits[occurrence.ref_id].name
        if occurrence.kind == "checkin":
            return "Daily check-in"
        return self.customs[occurrence.ref_id]


def zone_of(ctx: Context) -> Zone:
    """The user's zone and day-start hour, which every reminder is computed in."""
    return Zone(ctx.prefs.zone, ctx.prefs.day_start_hour)


_HABIT_COLUMNS: tuple[Any, ...] = (
    Habit.id, Habit.name, Habit.reminder_times, Habit.reminder_days, Habit.schedule_type, Habit.weekdays,
    Habit.times, Habit.period_days, Habit.kind, Habit.target, Habit.target_type, Habit.unit, Habit.created_at,
)  # fmt: skip
_REMINDER_COLUMNS: tuple[Any, ...] = (
    Reminder.id,
    Reminder.text,
    Reminder.kind,
    Reminder.at,
    Reminder.cron,
    Reminder.created_at,
)


@dataclass(frozen=True)
class SourceRows:
    """The raw rows reminders are built from: equal rows give equal Sources, so a daemon can keep its own."""

    prefs: object
    habits: tuple[Any, ...]
    reminders: tuple[Any, ...]


def source_rows(ctx: Context) -> SourceRows:
    """Read what reminders are made of, as plain column tuples (cheap enough for every tick)."""
    habits = (
        select(*_HABIT_COLUMNS)
        .where(Habit.user_id == ctx.user_id, col(Habit.archived).is_(False), col(Habit.reminder_times).is_not(None))
        .order_by(col(Habit.position), col(Habit.id))
    )
    reminders = (
        select(*_REMINDER_COLUMNS)
        .where(Reminder.user_id == ctx.user_id, col(Reminder.active).is_(True))
        .order_by(col(Reminder.id))
    )
    return SourceRows(
        (ctx.prefs, ctx.user.created_at),
        tuple(tuple(row) for row in ctx.session.exec(habits).all()),
        tuple(tuple(row) for row in ctx.session.exec(reminders).all()),
    )


def load_sources(ctx: Context, rows: SourceRows | None = None) -> Sources:
    """The user's habit reminders (archived habits have none), check-in time and custom reminders."""
    rows = rows or source_rows(ctx)
    rules: list[Rule] = [CheckinReminder(parse_time(ctx.prefs.checkin_time), ctx.user.created_at)]
    habits: dict[int, HabitInfo] = {}
    names = [c.key for c in _HABIT_COLUMNS]
    for values in rows.habits:
        habit = Habit.model_construct(**dict(zip(names, values, strict=True)))  # no validation: read from the db
        if not habit.reminder_times or habit.id is None:
            continue
        days = bits_to_weekdays(habit.reminder_days) if habit.reminder_days else None
        times = tuple(parse_time(t) for t in habit.reminder_times.split(","))
        rules.append(HabitReminder(habit.id, times, days, schedule_of(habit), habit.created_at))
        habits[habit.id] = HabitInfo(habit.name, rule_of(habit), days is not None, habit.unit, habit.target)
    customs: dict[int, str] = {}
    for reminder_id, text, kind, at, cron_text, created_at in rows.reminders:
        cron = CronSpec.parse(cron_text) if kind == "cron" and cron_text else None
        rules.append(CustomReminder(reminder_id, at, cron, created_at))
        customs[reminder_id] = text
    return Sources(zone_of(ctx), tuple(rules), habits, customs)
