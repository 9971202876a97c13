"""Reminder tools: a one-off (`at`) or a repeating time (`time` + `days`), as custom reminders of core."""

from __future__ import annotations

from typing import Any

from paa.core.context import Context
from paa.core.validate import quoted
from paa.errors import InvalidInput
from paa.timeofday import parse_time_of_day

_CRON_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _hhmm(text: str) -> tuple[int, int]:
    try:
        at = parse_time_of_day(text)
    except ValueError as exc:
        raise InvalidInput(f"`time` {quoted(text.strip(), 20)} {exc}", field="time") from None
    return at.hour, at.minute


def cron_for(time_text: str, days_text: str | None) -> str:
    """A cron line for HH:MM on the given days (`weekdays`, `weekends`, `mon,wed`; every day when empty)."""
    from paa.core.habits.schedule import parse_weekdays

    hour, minute = _hhmm(time_text)
    if not days_text or days_text.strip().lower() in ("daily", "every day", "everyday", "all"):
        day_field = "*"
    else:
        days = sorted(parse_weekdays(days_text))
        day_field = ",".join(_CRON_DAYS[d] for d in days)
    return f"{minute} {hour} * * {day_field}"


def add(ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
    """A one-off reminder (`at`) or a repeating one (`time` with optional `days`), through core."""
    from paa.core.reminders.custom import add_reminder

    text = str(args.get("text") or "")
    at, at_time, days = args.get("at"), args.get("time"), args.get("days")
    if at_time or (days and not at):
        if not at_time:
            raise InvalidInput("a repeating reminder needs a `time`")
        view = add_reminder(ctx, text, cron=cron_for(str(at_time), str(days) if days else None))
    elif at:
        view = add_reminder(ctx, text, at=str(at))
    else:
        raise InvalidInput("give `at` for a one-off reminder, or `time` (and `days`) for a repeating one")
    following = view.next.astimezone(ctx.prefs.zone).strftime("%a %Y-%m-%d %H:%M") if view.next else "never"
    return {"reminder": view.to_json(), "summary": f"Reminder #{view.id} set: {view.text!r}, next on {following}."}


def listing(ctx: Context, _args: dict[str, Any]) -> dict[str, Any]:
    """Custom reminders, habit reminder times and the check-in time, with their next instants."""
    from paa.core.reminders.custom import reminders_overview

    overview = reminders_overview(ctx)
    data = overview.to_json()
    data["summary"] = (
        f"{len(overview.reminders)} custom reminders and {len(overview.habits)} habits with reminder times; "
        f"check-in at {overview.checkin_time}."
    )
    return data
