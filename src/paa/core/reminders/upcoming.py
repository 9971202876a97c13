"""What reminders are to come: every occurrence in a window, computed from the database alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from paa.core.context import Context
from paa.core.events import KIND_TO_TYPE
from paa.core.reminders.rules import Occurrence, merged, wall_instant
from paa.core.reminders.sources import load_sources
from paa.errors import InvalidInput

MAX_UPCOMING_DAYS = 366
_EPSILON = timedelta(microseconds=1)


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


def _check_days(days: int, start: datetime | None = None) -> None:
    if not 1 <= days <= MAX_UPCOMING_DAYS:
        raise InvalidInput(f"`days` must be between 1 and {MAX_UPCOMING_DAYS} (got {days})", field="days")
    # the window's end must be a date Python can hold (a start in the year 9999 cannot look days ahead)
    if start is not None and start.date() > date.max - timedelta(days=days + 2):
        span = f"{days} day{'s' if days != 1 else ''}"
        raise InvalidInput(
            f"{start.date().isoformat()} is too near the last date there is to look {span} on", field="from"
        )


def _between(ctx: Context, start: datetime, until: datetime) -> list[Upcoming]:
    """Every reminder due from `start` (included) to `until` (excluded), computed from the database alone."""
    sources = load_sources(ctx)
    found = merged(sources.rules, sources.where, start - _EPSILON, until - _EPSILON)
    return [Upcoming(o, sources.title_of(o), o.due_at.astimezone(sources.where.zone)) for o in found]


def upcoming(ctx: Context, start: datetime, days: int) -> list[Upcoming]:
    """Every reminder due from `start` (included) for `days` times 24 hours: what is next, whatever the hour."""
    _check_days(days, start)
    return _between(ctx, start, start + timedelta(days=days))


@dataclass(frozen=True)
class Agenda:
    """The reminders of whole local days: from `start` to the end of `last_day` (midnight after it, `until`)."""

    start: datetime
    until: datetime
    last_day: date
    items: list[Upcoming]


def day_window(start: datetime, days: int, zone: ZoneInfo) -> tuple[datetime, datetime, date]:
    """From `start` to the end of the local day `days - 1` days after start's own: the end instant and that day."""
    last_day = start.astimezone(zone).date() + timedelta(days=days - 1)
    return start, wall_instant(last_day + timedelta(days=1), time(0), zone), last_day


def agenda(ctx: Context, start: datetime, days: int) -> Agenda:
    """Every reminder due on `days` whole days in the user's zone: start's own day (from `start`) and the next
    `days - 1`, so the last day is never cut at the current time."""
    _check_days(days, start)
    start, until, last_day = day_window(start, days, ctx.prefs.zone)
    return Agenda(start, until, last_day, _between(ctx, start, until))
