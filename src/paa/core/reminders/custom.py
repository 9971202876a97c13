"""Custom reminders (one-off or cron) and the overview of everything that reminds the user of something."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlmodel import col, select

from paa.core import validate
from paa.core.context import Context
from paa.core.habits.schedule import SHORT_DAYS
from paa.core.ids import parse_id
from paa.core.reminders.outbox import (
    NotificationView,
    last_notification_due,
    mark_done,
    notification_history,
    snooze_next,
    snooze_notification,
    waiting_snooze,
)
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


def _owned_row(ctx: Context, ref: str) -> Reminder:
    number = parse_id(ref.removeprefix("#"))
    row = ctx.session.get(Reminder, number) if number is not None else None
    if row is None or row.user_id != ctx.user_id:
        raise NotFound(f"no reminder with id {validate.quoted(ref)}", hint="see `paa remind list` for ids")
    return row


def remove_reminder(ctx: Context, ref: str) -> ReminderView:
    """Delete a custom reminder by id; its notification history stays."""
    row = _owned_row(ctx, ref)
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


# --- edit, snooze, done ----------------------------------------------------------------------------------------------

SNOOZE_DEFAULT = "15m"
SNOOZE_RECENT = timedelta(days=1)  # a notification this recent is the one a snooze means, before the next firing
HABIT_REF = "habit:"


def edit_reminder(
    ctx: Context,
    ref: str,
    *,
    text: str | None = None,
    at: str | None = None,
    cron: str | None = None,
    in_: str | None = None,
) -> ReminderView:
    """Change a custom reminder's text and/or when it fires (`at` or `in` makes it one-off, `cron` repeating)."""
    row = _owned_row(ctx, ref)
    given = [name for name, value in (("at", at), ("in", in_), ("cron", cron)) if value is not None]
    if text is None and not given:
        raise InvalidInput("nothing to change", hint="give `text`, `at`, `in` or `cron`", field="text")
    if len(given) > 1:
        raise InvalidInput(_when_choice(given), hint=WHEN_CHOICE_HINT, field=given[-1])
    now = ctx.now()
    if text is not None:
        row.text = validate.clean_text(text, "reminder text", 200)
    if at is not None or in_ is not None:
        moved = parse_when(at, now, ctx.prefs.zone, field="at") if at is not None else after_duration(in_ or "", now)
        row.kind, row.at, row.cron = "once", moved, None
    elif cron is not None:
        spec = CronSpec.parse(cron)
        if spec.next_after(ctx.prefs.zone, now) is None:
            raise InvalidInput(f"the cron expression {validate.quoted(cron)} never fires", field="cron")
        row.kind, row.at, row.cron = "cron", None, spec.text
    row.updated_at = now
    ctx.session.add(row)
    ctx.session.flush()
    return _view(ctx, row)


@dataclass(frozen=True)
class ReminderAction:
    """What `snooze` or `done` did: to which reminder, and when it fires next (None: not again by this)."""

    kind: str  # custom | habit
    ref_id: int
    title: str
    action: str  # snoozed-notification | snoozed-next | done | removed | logged
    until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ref_id": self.ref_id,
            "title": self.title,
            "action": self.action,
            "until": self.until.isoformat() if self.until else None,
        }


def _target(ctx: Context, ref: str) -> tuple[str, int, str]:
    """Read a reminder reference: a custom reminder's id, or `habit:ID` for a habit's reminder."""
    if ref.casefold().startswith(HABIT_REF):
        from paa.core.habits.manage import resolve_habit

        habit = resolve_habit(ctx, ref[len(HABIT_REF) :])
        assert habit.id is not None
        return "habit", habit.id, habit.name
    row = _owned_row(ctx, ref)
    assert row.id is not None
    return "custom", row.id, row.text


def snooze_reminder(ctx: Context, ref: str, duration: str = SNOOZE_DEFAULT) -> ReminderAction:
    """Send the reminder's notification later by `duration`: the one already waiting after a snooze, else the
    nearer of its last notification (due in the past day) and its next firing (a one-off moves; a repeating
    one's next firing is sent late, once)."""
    kind, ref_id, title = _target(ctx, ref)
    now = ctx.now()
    until = after_duration(duration, now, field="for")
    step = until - (now.replace(microsecond=0) + _rounding(now))  # the duration as after_duration read it
    waiting = waiting_snooze(ctx, kind, ref_id)
    if waiting is not None:  # snoozed again before it came: later still, by the duration
        due_at, send_at = waiting
        later = max(send_at, now) + step
        snooze_notification(ctx, kind, ref_id, due_at, later)
        return ReminderAction(kind, ref_id, title, "snoozed-notification" if due_at <= now else "snoozed-next", later)
    last = last_notification_due(ctx, kind, ref_id)
    upcoming = _next_firing(ctx, kind, ref_id)
    # the nearer of the two is the one meant: at 12:05 the noon notification, the next morning the coming noon
    if last is not None and now - last <= SNOOZE_RECENT and (upcoming is None or now - last <= upcoming - now):
        snooze_notification(ctx, kind, ref_id, last, until)
        return ReminderAction(kind, ref_id, title, "snoozed-notification", until)
    if kind == "custom":
        row = _owned_row(ctx, ref)
        if row.at is not None and row.at > now:
            row.at, row.updated_at = row.at + step, now
            ctx.session.add(row)
            ctx.session.flush()
            return ReminderAction(kind, ref_id, title, "snoozed-next", row.at)
    sent_late = snooze_next(ctx, kind, ref_id, step)  # None for a one-off already past
    if sent_late is not None:
        return ReminderAction(kind, ref_id, title, "snoozed-next", sent_late)
    hint = (
        f"give it a reminder time with `paa habit edit {ref_id} --remind HH:MM`"
        if kind == "habit"
        else f"give it a new time with `paa remind edit {ref_id} --at ...`"
    )
    raise InvalidInput(
        f"nothing to snooze: {title!r} has not notified you in the past day and does not fire again",
        hint=hint,
        field="for",
    )


def _next_firing(ctx: Context, kind: str, ref_id: int) -> datetime | None:
    """When a reminder is next due, or None when it does not fire again."""
    sources = load_sources(ctx)
    rule = next((r for r in sources.rules if (r.kind, r.ref_id) == (kind, ref_id)), None)
    found = next_occurrence(rule, sources.where, ctx.now()) if rule is not None else None
    return found.due_at if found else None


def _rounding(now: datetime) -> timedelta:
    """The part of a second after_duration rounded up, taken back so a one-off moves by exactly the duration."""
    return timedelta(seconds=1) if now.microsecond else timedelta(0)


def done_reminder(ctx: Context, ref: str) -> ReminderAction:
    """Mark a reminder done: a habit's is logged for today, a one-off removed, a repeating one quiet until tomorrow."""
    kind, ref_id, title = _target(ctx, ref)
    sources = load_sources(ctx)
    if kind == "habit":
        from paa.core.habits.logs import log_habit
        from paa.core.habits.manage import resolve_habit, rule_of

        habit = resolve_habit(ctx, str(ref_id))
        value = None
        if habit.kind == "measurable":  # as the reminder's own log command: the target, or 1 under a limit
            value = 1.0 if habit.target is None or rule_of(habit).limit else habit.target
        log_habit(ctx, habit, ctx.today(), value=value)
        mark_done(ctx, sources, kind, ref_id, title, title)
        return ReminderAction(kind, ref_id, title, "logged")
    row = _owned_row(ctx, ref)
    mark_done(ctx, sources, kind, ref_id, "Reminder", title)
    if row.kind == "once":
        ctx.session.delete(row)
        ctx.session.flush()
        return ReminderAction(kind, ref_id, title, "removed")
    return ReminderAction(kind, ref_id, title, "done", _next_after_today(ctx, row))


def _next_after_today(ctx: Context, row: Reminder) -> datetime | None:
    """When a repeating reminder marked done today fires next: its first firing on a later local day."""
    zone = ctx.prefs.zone
    tomorrow = datetime.combine(ctx.now().astimezone(zone).date() + timedelta(days=1), time(0), tzinfo=zone)
    return CronSpec.parse(row.cron).next_after(zone, tomorrow - timedelta(microseconds=1)) if row.cron else None
