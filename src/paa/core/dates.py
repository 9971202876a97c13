"""Day expressions people type: today, yesterday, -3, a weekday name, or an ISO date."""

from __future__ import annotations

import re
from datetime import date, timedelta

from paa.core.validate import quoted
from paa.errors import InvalidInput

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAYS_AGO = re.compile(r"-0*([0-9]{1,6})")  # ASCII digits only: "-²" passes str.isdigit() but not int()
DAY_HELP = "today, yesterday, -N (N days ago), a weekday name (its last occurrence) or YYYY-MM-DD"


def weekday_index(word: str) -> int | None:
    """Return 0-6 for a weekday name or an unambiguous prefix of at least 2 letters (`mo`, `tues`)."""
    text = word.strip().lower()
    if len(text) < 2:
        return None
    matches = [i for i, name in enumerate(WEEKDAYS) if name.startswith(text)]
    return matches[0] if len(matches) == 1 else None


EARLIEST_DAY = date(1900, 1, 1)


def parse_day(text: str, today: date, *, allow_future: bool = False) -> date:
    """Turn a day expression into a date relative to `today`; the future is refused unless allowed."""
    raw = text.strip().lower()
    if not raw:
        raise InvalidInput("empty date", hint=f"use {DAY_HELP}")
    try:
        day = _parse(raw, today)
    except OverflowError:  # before 0001-01-01
        day = None
    if day is None:
        raise InvalidInput(f"cannot read {quoted(text)} as a day", hint=f"use {DAY_HELP}")
    if day > today and not allow_future:
        raise InvalidInput(f"{day.isoformat()} is in the future", hint="name today or a past day")
    if day < EARLIEST_DAY:  # windows and streaks reach back from a day; near year 1 they would leave the calendar
        raise InvalidInput(f"{day.isoformat()} is too long ago", hint=f"paa keeps days from {EARLIEST_DAY} on")
    return day


def _parse(raw: str, today: date) -> date | None:
    if raw in ("today", "now", "0"):
        return today
    if raw == "yesterday":
        return today - timedelta(days=1)
    days_ago = _DAYS_AGO.fullmatch(raw)
    if days_ago is not None:
        offset = int(days_ago.group(1))
        if offset > 100_000:
            return None
        return today - timedelta(days=offset)
    weekday = weekday_index(raw)
    if weekday is not None:
        return today - timedelta(days=(today.weekday() - weekday) % 7)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None
