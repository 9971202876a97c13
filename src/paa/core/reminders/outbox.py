"""The notification outbox: what is due now, claimed as one row per delivery, and how each delivery went.

A scan claims what is due in one write transaction: it inserts a row per reminder and channel
(the table's unique key refuses a second one) and moves the user's cursor on. Whoever inserted a
row, and only they, delivers it; so the daemon and `paa remind run-due` can both run, crash and
restart without anything being sent twice.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from paa.core import words
from paa.core.context import Context
from paa.core.events import KIND_TO_TYPE, Delivery, Event
from paa.core.habits.logs import entries_by_habit
from paa.core.habits.status import day_state
from paa.core.ids import get_row
from paa.core.reminders.rules import Occurrence, is_missed, merged, retry_delay, scan_window
from paa.core.reminders.sources import HabitInfo, Sources, load_sources
from paa.db.models import DailyCheckin, Notification, ReminderCursor
from paa.redact import redact

LEASE = timedelta(minutes=10)  # a row still "sending" after this was left by a process that died
LATE_AFTER = timedelta(minutes=1)
REDELIVERED = ("failed", "snoozed")  # rows sent again at their next_attempt_at: a retry, or a snoozed reminder
SNOOZABLE = ("sent", "logged", "failed", "missed")
LOG_CHANNEL = "log"
DONE_CHANNEL = "done"  # a custom reminder marked done for the day is a row on this pseudo-channel, never delivered
INTERRUPTED = "delivery interrupted (the sending process ended); not retried, in case it was delivered"
QUEUED = "queued:"  # a claim's prefix while its delivery waits on the job queue for a worker (paa.ai.queue)
NOT_TAKEN = "no worker took the delivery from the queue in time; sent again"


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
        # an error stored before paa took credentials out of its errors is shown without them
        return cls(
            row.id, row.kind, row.ref_id, row.channel, row.title, row.body, row.due_at, row.status,
            row.attempts, redact(row.error) if row.error else None, row.sent_at, row.next_attempt_at,
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
                claim.events.append(replace(event, deliveries=tuple(deliveries), user_id=ctx.user_id))
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
        if (row.claimed_by or "").startswith(QUEUED):
            # nobody began sending it (a lost job, Redis emptied): safe to send again, at once; neither interrupted
            # nor an attempt (`_claim_retries` leaves its count as it is), since nothing was tried
            if stale:
                row.status, row.error, row.next_attempt_at = "failed", NOT_TAKEN, now
                ctx.session.add(row)
            continue
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
    done_customs = _done_marks(ctx, sources, {o.ref_id for o in found if o.kind == "custom"})
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
        if o.kind == "custom" and (o.ref_id, local_day(sources, o.due_at)) in done_customs:
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
        command, body = _habit_prompt(info)
        body += f" Later: `paa remind snooze habit:{occurrence.ref_id}`."
        data = {"habit_id": occurrence.ref_id, "habit": info.name, "command": command}
    elif occurrence.kind == "checkin":
        body = "How was your day? Answer with `paa checkin`, or in the TUI (`paa`)."
        data = {"command": "paa checkin"}
    else:
        text, title = title, "Reminder"
        ref = occurrence.ref_id
        body = f"{text}\n\nDone? `paa remind done {ref}`. Later: `paa remind snooze {ref}`."
        data = {"reminder_id": ref, "text": text}
    if late:
        local = occurrence.due_at.astimezone(sources.where.zone)
        body += f" (This was due at {local:%H:%M}.)"
    return Event(KIND_TO_TYPE[occurrence.kind], occurrence.ref_id, occurrence.due_at, title, body, occurrence.day,
                 late, data, zone=sources.where.zone)  # fmt: skip


def _habit_prompt(info: HabitInfo) -> tuple[str, str]:
    """The command that logs the habit, which works as printed (a measurable habit needs an amount: its target, or 1
    under a limit), and the reminder's text around it."""
    command = f"paa habit log {shlex.quote(info.name)}"
    rule = info.rule
    if not rule.measurable or rule.target is None:
        return command, f"Due today. Done? Log it with `{command}`, or in the TUI (`paa`)."
    if rule.limit:
        command += " 1"
        limit = words.amount(rule.target, info.unit)
        return command, f"Today's limit: at most {limit}. Log each one with `{command}`, or in the TUI (`paa`)."
    command += f" {words.number(rule.target)}"
    goal = words.amount(rule.target, info.unit)
    return command, f"Due today: {goal}. Log them with `{command}` (or the number you had), or in the TUI (`paa`)."


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
            col(Notification.status).in_(REDELIVERED),
            col(Notification.next_attempt_at).is_not(None),
            col(Notification.next_attempt_at) <= now,
        )
        .order_by(col(Notification.due_at))
    ).all()
    grouped: dict[tuple[str, int | None, datetime], list[Notification]] = {}
    tried: set[int | None] = set()
    for row in rows:
        if row.error != NOT_TAKEN:  # a delivery no worker took was never tried: not another attempt
            row.attempts += 1
            tried.add(row.id)
        row.status, row.claimed_by, row.claimed_at = "sending", claimer, now
        row.next_attempt_at = None
        ctx.session.add(row)
        grouped.setdefault((row.kind, row.ref_id, row.due_at), []).append(row)
    events = []
    for (kind, ref_id, due_at), group in grouped.items():
        first = group[0]
        deliveries = tuple(Delivery(r.id, r.channel) for r in group if r.id is not None)
        data: dict[str, Any] = {"retry": True} if any(r.id in tried or r.attempts > 1 for r in group) else {}
        events.append(
            Event(KIND_TO_TYPE[kind], ref_id or 0, due_at, first.title, first.body, None, True, data, deliveries,
                  zone=ctx.prefs.zone, user_id=ctx.user_id)
        )  # fmt: skip
    return events


def take_queued(ctx: Context, notification_id: int, claimer: str) -> Event | None:
    """A worker's claim of one delivery waiting on the queue: the event to send on its row's channel, or None when the
    row is not (or no longer) waiting (another worker took it, it was sent, the account is gone); write context.

    The update names the queued claim it replaces, so of two workers holding the same job only one changes the row.
    """
    row = get_row(ctx.session, Notification, notification_id)
    if row is None or row.user_id != ctx.user_id or row.status != "sending":
        return None
    queued = row.claimed_by or ""
    if not queued.startswith(QUEUED):
        return None
    now = ctx.now()
    taken = ctx.session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.user_id) == ctx.user_id,
               col(Notification.status) == "sending", col(Notification.claimed_by) == queued)
        .values(claimed_by=claimer, claimed_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if int(getattr(taken, "rowcount", 0) or 0) != 1:
        return None
    assert row.id is not None
    data: dict[str, Any] = {"retry": True} if row.attempts > 1 else {}
    return Event(KIND_TO_TYPE[row.kind], row.ref_id or 0, row.due_at, row.title, row.body, None,
                 now - row.due_at > LATE_AFTER, data, (Delivery(row.id, row.channel),), zone=ctx.prefs.zone,
                 user_id=ctx.user_id)  # fmt: skip


@dataclass(frozen=True)
class DeliveryResult:
    """How one claimed delivery went; `note` says something worth keeping about a success (e.g. a fallback).

    `fallback` marks a reminder its channel could not show that went to the log instead: recorded, not delivered.
    """

    notification_id: int
    ok: bool
    error: str | None = None
    note: str | None = None
    fallback: bool = False


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
            # a line in the log is what happened, whether the user chose the log or the desktop fell back to it
            status = "logged" if result.fallback or row.channel == LOG_CHANNEL else "sent"
            row.status, row.sent_at, row.error, row.next_attempt_at = status, now, result.note, None
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
            col(Notification.status).in_(REDELIVERED),
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


# --- what the user does about a notification: snooze it, or mark the reminder done -------------------------------


def local_day(sources: Sources, instant: datetime) -> date:
    """The user's local calendar day of an instant."""
    return instant.astimezone(sources.where.zone).date()


def last_notification_due(ctx: Context, kind: str, ref_id: int) -> datetime | None:
    """When the latest delivered (or failed, or missed) notification of a reminder was due."""
    return ctx.session.exec(
        select(col(Notification.due_at))
        .where(
            Notification.user_id == ctx.user_id,
            Notification.kind == kind,
            Notification.ref_id == ref_id,
            col(Notification.status).in_(SNOOZABLE),
            Notification.channel != DONE_CHANNEL,
        )
        .order_by(col(Notification.due_at).desc())
        .limit(1)
    ).first()


def snooze_notification(ctx: Context, kind: str, ref_id: int, due_at: datetime, until: datetime) -> int:
    """Send a reminder's notification due at `due_at` again at `until`, on each of its channels; how many rows."""
    rows = ctx.session.exec(
        select(Notification).where(
            Notification.user_id == ctx.user_id,
            Notification.kind == kind,
            Notification.ref_id == ref_id,
            Notification.due_at == due_at,
            Notification.channel != DONE_CHANNEL,
        )
    ).all()
    for row in rows:
        row.status, row.next_attempt_at, row.claimed_by, row.claimed_at = "snoozed", until, None, None
        ctx.session.add(row)
    ctx.session.flush()
    return len(rows)


def waiting_snooze(ctx: Context, kind: str, ref_id: int) -> tuple[datetime, datetime] | None:
    """A reminder's snoozed notification not sent yet: when it was due, and when it is to be sent."""
    found = ctx.session.exec(
        select(col(Notification.due_at), col(Notification.next_attempt_at))
        .where(
            Notification.user_id == ctx.user_id,
            Notification.kind == kind,
            Notification.ref_id == ref_id,
            Notification.status == "snoozed",
            col(Notification.next_attempt_at).is_not(None),
        )
        .order_by(col(Notification.next_attempt_at))
        .limit(1)
    ).first()
    return None if found is None or found[1] is None else (found[0], found[1])


def snooze_next(ctx: Context, kind: str, ref_id: int, step: timedelta) -> datetime | None:
    """Send a repeating reminder's next firing `step` later than it is due; when it will be sent, or None when the
    reminder does not fire again.

    The firing's rows are written now, as `snoozed` on each chosen channel: the scan that reaches its due instant
    finds them taken (the unique key), and the redelivery of snoozed rows sends them at the later time.
    """
    from paa.core.reminders.channels import user_channels
    from paa.core.reminders.rules import next_occurrence

    sources = load_sources(ctx)
    now = ctx.now()
    rule = next((r for r in sources.rules if (r.kind, r.ref_id) == (kind, ref_id)), None)
    occurrence = next_occurrence(rule, sources.where, now) if rule is not None else None
    if occurrence is None:
        return None
    event = _event(sources, occurrence, now)
    values = [
        {**_row_values(ctx, event, channel, now, "", missed=False), "status": "snoozed", "attempts": 0,
         "claimed_by": None, "claimed_at": None}
        for channel in user_channels(ctx)
    ]  # fmt: skip
    if values:
        _insert_rows(ctx, values)
    until = occurrence.due_at + step
    snooze_notification(ctx, kind, ref_id, occurrence.due_at, until)
    return until


def mark_done(ctx: Context, sources: Sources, kind: str, ref_id: int, title: str, body: str) -> None:
    """Mark a reminder done for today: its snoozed notifications are not sent again, nor (custom) today's others."""
    now = ctx.now()
    waiting = ctx.session.exec(
        select(Notification).where(
            Notification.user_id == ctx.user_id,
            Notification.kind == kind,
            Notification.ref_id == ref_id,
            Notification.status == "snoozed",
        )
    ).all()
    today = local_day(sources, now)
    for row in waiting:
        if row.due_at <= now:  # sent before the snooze: done, it is not sent again
            row.status, row.next_attempt_at = "sent", None
            ctx.session.add(row)
        elif local_day(sources, row.due_at) == today:  # a later firing today, snoozed ahead: done for today too
            ctx.session.delete(row)
        # a snoozed firing on a later day stays: done is for today
    if kind == "custom" and (ref_id, local_day(sources, now)) not in _done_marks(ctx, sources, {ref_id}):
        ctx.session.add(
            Notification(
                user_id=ctx.user_id, kind=kind, ref_id=ref_id, channel=DONE_CHANNEL, title=title[:200],
                body=body[:2000], due_at=now, status="done", created_at=now, sent_at=now,
            )
        )  # fmt: skip
    ctx.session.flush()


def _done_marks(ctx: Context, sources: Sources, ref_ids: set[int]) -> set[tuple[int, date]]:
    """The (custom reminder, local day) pairs the user marked done."""
    if not ref_ids:
        return set()
    rows = ctx.session.exec(
        select(Notification.ref_id, Notification.due_at).where(
            Notification.user_id == ctx.user_id,
            Notification.kind == "custom",
            Notification.channel == DONE_CHANNEL,
            col(Notification.ref_id).in_(sorted(ref_ids)),
        )
    ).all()
    return {(ref, local_day(sources, due)) for ref, due in rows if ref is not None}
