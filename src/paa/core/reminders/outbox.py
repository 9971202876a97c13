"""Reminders in the database: custom reminders, what is due now, and one notification row per delivery.

A scan claims what is due in one write transaction: it inserts a row per reminder and channel
(the table's unique key refuses a second one) and moves the user's cursor on. Whoever inserted a
row, and only they, delivers it; so the daemon and `paa remind run-due` can both run, crash and
restart without anything being sent twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select

from paa.config import Paths
from paa.core import validate
from paa.core.context import Context
from paa.core.events import KIND_TO_TYPE, Delivery, Event
from paa.core.habits.logs import entries_by_habit
from paa.core.habits.manage import rule_of, schedule_of
from paa.core.habits.schedule import SHORT_DAYS, bits_to_weekdays
from paa.core.habits.status import HabitRule, day_state
from paa.core.reminders.rules import (
    CHECKIN_REF,
    CheckinReminder,
    CronSpec,
    CustomReminder,
    HabitReminder,
    Occurrence,
    Rule,
    Zone,
    is_missed,
    merged,
    next_occurrence,
    parse_time,
    parse_when,
    retry_delay,
    scan_window,
)
from paa.db.models import DailyCheckin, Habit, Notification, Reminder, ReminderCursor
from paa.errors import InvalidInput, NotFound

LEASE = timedelta(minutes=10)  # a row still "sending" after this was left by a process that died
LATE_AFTER = timedelta(minutes=1)
INTERRUPTED = "delivery interrupted (the sending process ended); not retried, in case it was delivered"
MAX_UPCOMING_DAYS = 366
_EPSILON = timedelta(microseconds=1)


# --- what reminds of what -----------------------------------------------------------------------


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


def _zone(ctx: Context) -> Zone:
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
    return Sources(_zone(ctx), tuple(rules), habits, customs)


def _reminder_rows(ctx: Context, *, active_only: bool = False) -> list[Reminder]:
    query = select(Reminder).where(Reminder.user_id == ctx.user_id)
    if active_only:
        query = query.where(col(Reminder.active).is_(True))
    return list(ctx.session.exec(query.order_by(col(Reminder.id))).all())


# --- custom reminders ---------------------------------------------------------------------------


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
    upcoming = next_occurrence(CustomReminder(row.id, row.at, cron, row.created_at), _zone(ctx), ctx.now())
    return ReminderView(
        row.id, row.text, row.kind, row.at, row.cron, upcoming.due_at if upcoming else None, row.created_at, last_status
    )


def add_reminder(ctx: Context, text: str, *, at: str | None = None, cron: str | None = None) -> ReminderView:
    """Add a one-off reminder (`at`, in the user's zone) or a repeating one (`cron`)."""
    body = validate.clean_text(text, "reminder text", 200)
    if (at is None) == (cron is None):
        raise InvalidInput("give either --at or --cron", hint='e.g. --at "sunday 18:00" or --cron "0 17 * * FRI"')
    now = ctx.now()
    row = Reminder(user_id=ctx.user_id, text=body, kind="once", created_at=now, updated_at=now)
    if at is not None:
        row.at = parse_when(at, now, ctx.prefs.zone)
    else:
        assert cron is not None
        spec = CronSpec.parse(cron)
        if spec.next_after(ctx.prefs.zone, now) is None:
            raise InvalidInput(f"the cron expression {validate.quoted(cron)} never fires")
        row.kind, row.cron = "cron", spec.text
    ctx.session.add(row)
    ctx.session.flush()
    return _view(ctx, row)


def remove_reminder(ctx: Context, ref: str) -> ReminderView:
    """Delete a custom reminder by id; its notification history stays."""
    text = ref.strip().lstrip("#")
    row = ctx.session.get(Reminder, int(text)) if text.isascii() and text.isdigit() else None
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


# --- upcoming -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upcoming:
    """One reminder to come: when (UTC and local), what, and the habit day it belongs to."""

    occurrence: Occurrence
    title: str
    local: datetime

    def to_json(self) -> dict[str, Any]:
        o = self.occurrence
        return {
            "due_at": o.due_at.isoformat(),
            "local": self.local.isoformat(),
            "type": KIND_TO_TYPE[o.kind],
            "kind": o.kind,
            "ref_id": o.ref_id,
            "title": self.title,
            "day": o.day.isoformat() if o.day else None,
        }


def upcoming(ctx: Context, start: datetime, days: int) -> list[Upcoming]:
    """Every reminder due from `start` (included) for `days` days: computed from the database alone."""
    if not 1 <= days <= MAX_UPCOMING_DAYS:
        raise InvalidInput(f"--days must be between 1 and {MAX_UPCOMING_DAYS} (got {days})")
    sources = load_sources(ctx)
    found = merged(sources.rules, sources.where, start - _EPSILON, start + timedelta(days=days) - _EPSILON)
    return [Upcoming(o, sources.title_of(o), o.due_at.astimezone(sources.where.zone)) for o in found]


# --- notification rows --------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    ref_id: int | None
    channel: str
    title: str
    body: str
    due_at: datetime
    status: str
    attempts: int
    error: str | None
    sent_at: datetime | None
    next_attempt_at: datetime | None

    @classmethod
    def of(cls, row: Notification) -> NotificationView:
        assert row.id is not None
        return cls(
            row.id, row.kind, row.ref_id, row.channel, row.title, row.body, row.due_at, row.status,
            row.attempts, row.error, row.sent_at, row.next_attempt_at,
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": KIND_TO_TYPE.get(self.kind, self.kind),
            "kind": self.kind,
            "ref_id": self.ref_id,
            "channel": self.channel,
            "title": self.title,
            "body": self.body,
            "due_at": self.due_at.isoformat(),
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
        }


def notification_history(ctx: Context, limit: int = 50, status: str | None = None) -> list[NotificationView]:
    """The latest notifications, newest due first."""
    query = select(Notification).where(Notification.user_id == ctx.user_id)
    if status is not None:
        query = query.where(Notification.status == status)
    rows = ctx.session.exec(query.order_by(col(Notification.due_at).desc(), col(Notification.id).desc()).limit(limit))
    return [NotificationView.of(row) for row in rows.all()]


@dataclass
class Claim:
    """What one scan claimed: fresh events (with the rows this process must deliver) and retries."""

    now: datetime
    events: list[Event] = field(default_factory=list)
    retries: list[Event] = field(default_factory=list)
    missed: int = 0
    suppressed: int = 0
    interrupted: int = 0
    scanned: tuple[datetime, datetime] | None = None

    @property
    def deliveries(self) -> int:
        return sum(len(e.deliveries) for e in (*self.events, *self.retries))


Alive = Callable[[str], bool]


def claim_due(
    ctx: Context, channels: Sequence[str], claimer: str, alive: Alive | None = None, sources: Sources | None = None
) -> Claim:
    """Claim every reminder due now, and every failed delivery due for a retry; run in a write context.

    `claimer` names this process ("host:pid"); `alive(claimer)` says whether another claimer still runs,
    so rows it left half-done can be closed at once instead of after the lease.
    """
    now = ctx.now()
    claim = Claim(now)
    claim.interrupted = _close_interrupted(ctx, now, alive)
    settings = ctx.loaded.settings
    grace = timedelta(minutes=settings.reminder_grace_minutes)
    cursor = ctx.session.get(ReminderCursor, ctx.user_id)
    window = scan_window(cursor.scanned_until if cursor else None, now, grace)
    if window is not None:
        sources = sources or load_sources(ctx)
        claim.scanned = window
        found = merged(sources.rules, sources.where, *window)
        keep = _not_suppressed(ctx, sources, found, send_when_done=settings.remind_when_done)
        claim.suppressed = len(found) - len(keep)
        events = {}
        values = []
        for occurrence in keep:
            missed = is_missed(occurrence.due_at, now, grace)
            claim.missed += missed
            event = _event(sources, occurrence, now)
            if not missed:
                events[occurrence.key] = event
            values += [_row_values(ctx, event, channel, now, claimer, missed) for channel in channels]
        claimed: dict[tuple[str, int, datetime], list[Delivery]] = {}
        for row_id, kind, ref_id, due_at, channel in _insert_rows(ctx, values):
            claimed.setdefault((kind, ref_id, due_at), []).append(Delivery(row_id, channel))
        order = {channel: i for i, channel in enumerate(channels)}
        for key, event in events.items():
            if key in claimed:
                deliveries = sorted(claimed[key], key=lambda d: order.get(d.channel, 0))
                claim.events.append(replace(event, deliveries=tuple(deliveries)))
        if cursor is None:
            cursor = ReminderCursor(user_id=ctx.user_id, scanned_until=now)
        cursor.scanned_until = max(cursor.scanned_until, now)
        ctx.session.add(cursor)
    claim.retries = _claim_retries(ctx, now, claimer)
    ctx.session.flush()
    return claim


def _close_interrupted(ctx: Context, now: datetime, alive: Alive | None) -> int:
    rows = ctx.session.exec(
        select(Notification).where(Notification.user_id == ctx.user_id, Notification.status == "sending")
    ).all()
    closed = 0
    for row in rows:
        stale = row.claimed_at is None or now - row.claimed_at > LEASE
        gone = alive is not None and row.claimed_by is not None and not alive(row.claimed_by)
        if stale or gone:
            row.status, row.error, row.next_attempt_at = "failed", INTERRUPTED, None
            ctx.session.add(row)
            closed += 1
    return closed


def _not_suppressed(
    ctx: Context, sources: Sources, found: list[Occurrence], *, send_when_done: bool
) -> list[Occurrence]:
    """Drop habit reminders for a habit already done (or skipped, or not due) that day, and check-in prompts
    for a day already checked in."""
    habit_days = [o.day for o in found if o.kind == "habit" and o.day is not None]
    checkin_days = {o.day for o in found if o.kind == "checkin"}
    entries = {}
    if habit_days:
        longest = max((info.rule.schedule.period_days for info in sources.habits.values()), default=1)
        since = min(habit_days) - timedelta(days=longest)
        entries = entries_by_habit(ctx, sorted({o.ref_id for o in found if o.kind == "habit"}), since)
    done_checkins: set[date] = set()
    if checkin_days:
        rows = ctx.session.exec(
            select(col(DailyCheckin.day)).where(
                DailyCheckin.user_id == ctx.user_id, col(DailyCheckin.day).in_([d for d in checkin_days if d])
            )
        ).all()
        done_checkins = {day for day in rows if isinstance(day, date)}
    keep = []
    for o in found:
        if o.kind == "checkin" and o.day in done_checkins:
            continue
        if o.kind == "habit" and o.day is not None:
            info = sources.habits[o.ref_id]
            state = day_state(info.rule, entries.get(o.ref_id, {}), o.day, o.day)
            quiet = {"skipped"} if send_when_done else {"done", "skipped"}
            if not info.explicit_days:
                quiet.add("not_due")
            if state in quiet:
                continue
        keep.append(o)
    return keep


def _event(sources: Sources, occurrence: Occurrence, now: datetime) -> Event:
    late = now - occurrence.due_at > LATE_AFTER
    title = sources.title_of(occurrence)
    data: dict[str, Any]
    if occurrence.kind == "habit":
        info = sources.habits[occurrence.ref_id]
        command = f"paa habit log {shlex.quote(info.name)}"
        body = f"Due today. Done? Log it with `{command}`, or in the TUI (`paa`)."
        data = {"habit_id": occurrence.ref_id, "habit": info.name, "command": command}
    elif occurrence.kind == "checkin":
        body = "How was your day? Answer with `paa checkin`, or in the TUI (`paa`)."
        data = {"command": "paa checkin"}
    else:
        body = title
        title = "Reminder"
        data = {"reminder_id": occurrence.ref_id, "text": body}
    if late:
        local = occurrence.due_at.astimezone(sources.where.zone)
        body += f" (This was due at {local:%H:%M}.)"
    return Event(KIND_TO_TYPE[occurrence.kind], occurrence.ref_id, occurrence.due_at, title, body, occurrence.day,
                 late, data)  # fmt: skip


def _row_values(ctx: Context, event: Event, channel: str, now: datetime, claimer: str, missed: bool) -> dict[str, Any]:
    return {
        "user_id": ctx.user_id, "kind": event.kind, "ref_id": event.ref_id, "channel": channel,
        "title": event.title[:200], "body": event.body[:2000], "due_at": event.due_at, "created_at": now,
        "status": "missed" if missed else "sending", "attempts": 0 if missed else 1, "error": None,
        "claimed_by": None if missed else claimer, "claimed_at": None if missed else now,
    }  # fmt: skip


def _insert_rows(ctx: Context, values: list[dict[str, Any]]) -> list[tuple[int, str, int, datetime, str]]:
    """Insert notification rows unless the unique key already has them; return the ones this call made.

    A row's insert is its claim: only the process whose insert succeeded sends it.
    """
    table = Notification.__table__  # type: ignore[attr-defined]
    insert: Any
    if ctx.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    made: list[tuple[int, str, int, datetime, str]] = []
    for start in range(0, len(values), 500):  # well under SQLite's limit of bound parameters per statement
        statement = (
            insert(table)
            .values(values[start : start + 500])
            .on_conflict_do_nothing()
            .returning(table.c.id, table.c.kind, table.c.ref_id, table.c.due_at, table.c.channel)
        )
        made += [tuple(row) for row in ctx.session.execute(statement).all()]  # type: ignore[misc]
    return made


def _claim_retries(ctx: Context, now: datetime, claimer: str) -> list[Event]:
    rows = ctx.session.exec(
        select(Notification)
        .where(
            Notification.user_id == ctx.user_id,
            Notification.status == "failed",
            col(Notification.next_attempt_at).is_not(None),
            col(Notification.next_attempt_at) <= now,
        )
        .order_by(col(Notification.due_at))
    ).all()
    grouped: dict[tuple[str, int | None, datetime], list[Notification]] = {}
    for row in rows:
        row.status, row.attempts, row.claimed_by, row.claimed_at = "sending", row.attempts + 1, claimer, now
        row.next_attempt_at = None
        ctx.session.add(row)
        grouped.setdefault((row.kind, row.ref_id, row.due_at), []).append(row)
    events = []
    for (kind, ref_id, due_at), group in grouped.items():
        first = group[0]
        deliveries = tuple(Delivery(r.id, r.channel) for r in group if r.id is not None)
        data: dict[str, Any] = {"retry": True}
        events.append(
            Event(KIND_TO_TYPE[kind], ref_id or 0, due_at, first.title, first.body, None, True, data, deliveries)
        )
    return events


@dataclass(frozen=True)
class DeliveryResult:
    """How one claimed delivery went; `note` says something worth keeping about a success (e.g. a fallback)."""

    notification_id: int
    ok: bool
    error: str | None = None
    note: str | None = None


def record_results(ctx: Context, results: Iterable[DeliveryResult], claimer: str) -> None:
    """Store the outcome of deliveries this process claimed; failed ones get their next attempt, or give up."""
    now = ctx.now()
    results = list(results)
    rows = {
        row.id: row
        for row in ctx.session.exec(
            select(Notification).where(
                Notification.user_id == ctx.user_id,
                col(Notification.id).in_([r.notification_id for r in results]),
            )
        ).all()
    }
    for result in results:
        row = rows.get(result.notification_id)
        if row is None or row.claimed_by != claimer:
            continue
        if result.ok:
            row.status, row.sent_at, row.error, row.next_attempt_at = "sent", now, result.note, None
        else:
            delay = retry_delay(row.attempts)
            row.status, row.error = "failed", (result.error or "failed")[:2000]
            row.next_attempt_at = None if delay is None else now + delay
        ctx.session.add(row)
    ctx.session.flush()


def next_retry_at(ctx: Context) -> datetime | None:
    """When the earliest failed delivery is due for another attempt."""
    return ctx.session.exec(
        select(Notification.next_attempt_at)
        .where(
            Notification.user_id == ctx.user_id,
            Notification.status == "failed",
            col(Notification.next_attempt_at).is_not(None),
        )
        .order_by(col(Notification.next_attempt_at))
        .limit(1)
    ).first()


def release_claims(ctx: Context, claimer: str) -> int:
    """Close the rows this process claimed but will not deliver (it is stopping)."""
    result = ctx.session.execute(
        update(Notification)
        .where(
            col(Notification.user_id) == ctx.user_id,
            col(Notification.status) == "sending",
            col(Notification.claimed_by) == claimer,
        )
        .values(status="failed", error=INTERRUPTED, next_attempt_at=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- the daemon's files and status --------------------------------------------------------------


@dataclass(frozen=True)
class DaemonFiles:
    """Where the reminder daemon keeps its lock (holding its pid), its status and its log."""

    lock: Path
    status: Path
    log: Path

    @classmethod
    def of(cls, paths: Paths) -> DaemonFiles:
        return cls(paths.data_dir / "daemon.lock", paths.data_dir / "daemon.json", paths.log_dir / "daemon.log")


def running_daemon(files: DaemonFiles) -> int | None:
    """The pid of the daemon holding the lock of this data folder, or None when none runs."""
    try:
        fd = os.open(files.lock, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        try:
            import fcntl
        except ImportError:  # Windows: trust the pid in the file when that process exists
            return _pid_in(files.lock)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return _pid_in(files.lock) or -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _pid_in(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class DaemonStatus:
    """Whether the daemon runs, since when, what it will send next and what went wrong lately."""

    running: bool
    pid: int | None
    started_at: datetime | None
    uptime_seconds: float | None
    jobs: int | None
    last_scan_at: datetime | None
    next: list[dict[str, Any]]
    last_errors: list[dict[str, Any]]
    failed_notifications: int

    def to_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "pid": self.pid,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "uptime_seconds": self.uptime_seconds,
            "jobs": self.jobs,
            "last_scan_at": self.last_scan_at.isoformat() if self.last_scan_at else None,
            "next": self.next,
            "last_errors": self.last_errors,
            "failed_notifications": self.failed_notifications,
        }


def read_status_file(files: DaemonFiles) -> dict[str, Any]:
    try:
        data = json.loads(files.status.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def daemon_status(ctx: Context, next_count: int = 5) -> DaemonStatus:
    """The daemon's state: from its lock and status file when it runs; the next reminders from the database."""
    files = DaemonFiles.of(ctx.paths)
    pid = running_daemon(files)
    data = read_status_file(files) if pid is not None else {}
    started = _instant(data.get("started_at"))
    now = ctx.now()
    failed = ctx.session.exec(
        select(func.count()).where(Notification.user_id == ctx.user_id, Notification.status == "failed")
    ).one()
    coming = [u.to_json() for u in upcoming(ctx, now, 8)[:next_count]]
    errors = data.get("last_errors") if isinstance(data.get("last_errors"), list) else []
    return DaemonStatus(
        running=pid is not None,
        pid=pid if pid and pid > 0 else None,
        started_at=started,
        uptime_seconds=round((now - started).total_seconds(), 1) if started else None,
        jobs=data.get("jobs") if isinstance(data.get("jobs"), int) else None,
        last_scan_at=_instant(data.get("last_scan_at")),
        next=coming,
        last_errors=list(errors or [])[-10:],
        failed_notifications=failed,
    )
