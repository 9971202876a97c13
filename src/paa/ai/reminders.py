"""Reminder tools: a one-off (`at`) or a repeating time (`time` + `days`), stored as custom reminders.

The instants and cron rules come from `paa.core.reminders`; rows are written here until core offers its own
add/list calls (then these delegate to them).
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import col, select

from paa.core import validate
from paa.core.context import Context
from paa.errors import InvalidInput

_CRON_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.I)


def _hhmm(text: str) -> tuple[int, int]:
    match = _TIME.match(text.strip())
    if not match:
        raise InvalidInput(f"cannot read {text[:20]!r} as a time", hint="use HH:MM, e.g. 21:00")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower()
    if suffix == "pm" and hour < 12:
        hour += 12
    if suffix == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise InvalidInput(f"{text[:20]!r} is not a time of day")
    return hour, minute


def cron_for(time_text: str, days_text: str | None) -> str:
    """A cron line for HH:MM on the given days (`weekdays`, `weekends`, `mon,wed`; every day when empty)."""
    from paa.core.schedule import parse_weekdays

    hour, minute = _hhmm(time_text)
    if not days_text or days_text.strip().lower() in ("daily", "every day", "everyday", "all"):
        day_field = "*"
    else:
        days = sorted(parse_weekdays(days_text))
        day_field = ",".join(_CRON_DAYS[d] for d in days)
    return f"{minute} {hour} * * {day_field}"


def add(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    from paa.core import reminders as core
    from paa.db.models import Reminder

    text = validate.clean_text(str(args.get("text") or ""), "reminder text", 200)
    at, at_time, days = args.get("at"), args.get("time"), args.get("days")
    now = ctx.now()
    if at_time or (days and not at):
        if not at_time:
            raise InvalidInput("a repeating reminder needs a `time`")
        cron = cron_for(str(at_time), str(days) if days else None)
        spec = core.CronSpec.parse(cron)
        row = Reminder(user_id=ctx.user_id, text=text, kind="cron", cron=spec.text, created_at=now, updated_at=now)
        following = spec.next_after(ctx.prefs.zone, now)
    elif at:
        due = core.parse_when(str(at), now, ctx.prefs.zone)
        row = Reminder(user_id=ctx.user_id, text=text, kind="once", at=due, created_at=now, updated_at=now)
        following = due
    else:
        raise InvalidInput("give `at` for a one-off reminder, or `time` (and `days`) for a repeating one")
    ctx.session.add(row)
    ctx.session.flush()
    local = following.astimezone(ctx.prefs.zone).strftime("%a %Y-%m-%d %H:%M") if following else "never"
    return {
        "reminder": _json(ctx, row),
        "summary": f"Reminder #{row.id} set: {text!r}, next on {local}.",
    }


def _json(ctx: Context, row: Any) -> dict[str, Any]:
    from paa.core import reminders as core

    if row.kind == "cron" and row.cron:
        following = core.CronSpec.parse(row.cron).next_after(ctx.prefs.zone, ctx.now())
    else:
        following = row.at if row.at and row.at > ctx.now() else None
    return {
        "id": row.id,
        "text": row.text,
        "kind": row.kind,
        "at": row.at.isoformat() if row.at else None,
        "cron": row.cron,
        "active": row.active,
        "next": following.isoformat() if following else None,
    }


def listing(ctx: Context, _args: dict[str, Any]) -> dict[str, Any]:
    from paa.core.habits import list_habits
    from paa.db.models import Reminder

    rows = ctx.session.exec(
        select(Reminder)
        .where(Reminder.user_id == ctx.user_id, col(Reminder.active).is_(True))
        .order_by(col(Reminder.id))
    ).all()
    custom = [_json(ctx, row) for row in rows]
    habits = [
        {"habit": habit.name, "times": habit.reminder_times.split(",")}
        for habit in list_habits(ctx)
        if habit.reminder_times
    ]
    return {
        "reminders": custom,
        "habit_reminders": habits,
        "checkin_time": ctx.prefs.checkin_time,
        "summary": f"{len(custom)} custom reminders and {len(habits)} habits with reminder times.",
    }
