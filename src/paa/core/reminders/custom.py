"""Custom reminders (one-off or cron) and the overview of everything that reminds the user of something."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from paa.core import validate
from paa.core.context import Context
from paa.core.habits.schedule import SHORT_DAYS
from paa.core.ids import parse_id
from paa.core.reminders.outbox import NotificationView, notification_history
from paa.core.reminders.rules import (
    CHECKIN_REF,
    CronSpec,
    CustomReminder,
    HabitReminder,
    after_duration,
    next_occurrence,
    parse_when,
)
from paa.core.reminders.sources import load_sources, zone_of
from paa.db.models import Notification, Reminder
from paa.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class ReminderView:
    """A custom reminder with its next due instant."""

    id: int
    text: str
    kind: str
    at: datetime | None
    cron: str | None
    next: datetime | None
    created_at: datetime
    last_status: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "at": self.at.isoformat() if self.at else None,
            "cron": self.cron,
            "next": self.next.isoformat() if self.next else None,
            "last_status": self.last_status,
            "created_at": self.created_at.isoformat(),
        }


def _view(ctx: Context, row: Reminder, last_status: str | None = None) -> ReminderView:
    assert row.id is not None
    cron = CronSpec.parse(row.cron) if row.cron else None
    upcoming = next_occurrence(CustomReminder(row.id, row.at, cron, row.created_at), zone_of(ctx), ctx.now())
    return ReminderView(
        row.id, row.text, row.kind, row.at, row.cron, upcoming.due_at if upcoming else None, row.created_at, last_status
    )


def add_reminder(
    ctx: Context, text: str, *, at: str | None = None, cron: str | None = None, in_: str | None = None
) -> ReminderView:
    """Add a one-off reminder (`at`, in the user's zone, or `in` a duration from now) or a repeating one (`cron`)."""
    body = validate.clean_text(text, "reminder text", 200)
    given = [name for name, value in (("at", at), ("in", in_), ("cron", cron)) if value is not None]
    if len(given) != 1:
        raise InvalidInput(_when_choice(given), hint=WHEN_CHOICE_HINT, field=given[-1] if given else "at")
    now = ctx.now()
    row = Reminder(user_id=ctx.user_id, text=body, kind="once", created_at=now, updated_at=now)
    if at is not None:
        row.at = parse_when(at, now, ctx.prefs.zone, field="at")
    elif in_ is not None:
        row.at = after_duration(in_, now, field="in")
    else:
        assert cron is not None
        spec = CronSpec.parse(cron)
        if spec.next_after(ctx.prefs.zone, now) is None:
            raise InvalidInput(f"the cron expression {validate.quoted(cron)} never fires", field="cron")
        row.kind, row.cron = "cron", spec.text
    ctx.session.add(row)
    ctx.session.flush()
    return _view(ctx, row)


WHEN_CHOICE_HINT = 'e.g. `at` "sunday 18:00", `in` 20m or `cron` "0 17 * * FRI"'


def _when_choice(given: list[str]) -> str:
    """What to say when a reminder's time is given in none, or more than one, of its three ways."""
    if not given:
        return "give either `at`, `in` or `cron`"
    if len(given) == 2:
        return f"give either `{given[0]}` or `{given[1]}`, not both"
    return "give only one of `at`, `in` and `cron`"


def remove_reminder(ctx: Context, ref: str) -> ReminderView:
    """Delete a custom reminder by id; its notification history stays."""
    number = parse_id(ref)
    row = ctx.session.get(Reminder, number) if number is not None else None
    if row is None or row.user_id != ctx.user_id:
        raise NotFound(f"no reminder with id {validate.quoted(ref)}", hint="see `paa remind list` for ids")
    view = _view(ctx, row)
    ctx.session.delete(row)
    ctx.session.flush()
    return view


@dataclass(frozen=True)
class HabitReminderView:
    habit_id: int
    name: str
    times: tuple[str, ...]
    days: tuple[str, ...]
    next: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "habit_id": self.habit_id,
            "name": self.name,
            "times": list(self.times),
            "days": list(self.days),
            "next": self.next.isoformat() if self.next else None,
        }


@dataclass(frozen=True)
class RemindersOverview:
    """Everything that reminds the user of something: custom reminders, habit reminders and the check-in."""

    reminders: list[ReminderView]
    habits: list[HabitReminderView]
    checkin_time: str
    checkin_next: datetime | None
    history: list[NotificationView] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "reminders": [r.to_json() for r in self.reminders],
            "habits": [h.to_json() for h in self.habits],
            "checkin": {
                "time": self.checkin_time,
                "next": self.checkin_next.isoformat() if self.checkin_next else None,
            },
            "history": None if self.history is None else [n.to_json() for n in self.history],
        }


def reminders_overview(ctx: Context, *, history: int | None = None) -> RemindersOverview:
    """The user's reminders with their next due instants, and the last `history` notifications when asked."""
    sources = load_sources(ctx)
    now = ctx.now()
    nexts = {}
    for rule in sources.rules:
        found = next_occurrence(rule, sources.where, now)
        nexts[(rule.kind, rule.ref_id)] = found.due_at if found else None
    last = _last_status_by_reminder(ctx)
    customs = [_view(ctx, row, last.get(row.id or 0)) for row in _reminder_rows(ctx)]
    habits = []
    for rule in sources.rules:
        if isinstance(rule, HabitReminder):
            days = sorted(rule.days) if rule.days is not None else []
            habits.append(
                HabitReminderView(
                    rule.habit_id,
                    sources.habits[rule.habit_id].name,
                    tuple(t.strftime("%H:%M") for t in rule.times),
                    tuple(SHORT_DAYS[d] for d in days),
                    nexts[("habit", rule.habit_id)],
                )
            )
    rows = notification_history(ctx, limit=history) if history is not None else None
    return RemindersOverview(customs, habits, ctx.prefs.checkin_time, nexts[("checkin", CHECKIN_REF)], rows)


def _last_status_by_reminder(ctx: Context) -> dict[int, str]:
    query = (
        select(Notification.ref_id, Notification.status)
        .where(Notification.user_id == ctx.user_id, Notification.kind == "custom")
        .order_by(col(Notification.due_at), col(Notification.id))
    )
    return {ref: status for ref, status in ctx.session.exec(query).all() if ref is not None}


def _reminder_rows(ctx: Context, *, active_only: bool = False) -> list[Reminder]:
    query = select(Reminder).where(Reminder.user_id == ctx.user_id)
    if active_only:
        query = query.where(col(Reminder.active).is_(True))
    return list(ctx.session.exec(query.order_by(col(Reminder.id))).all())
