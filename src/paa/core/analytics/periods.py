"""Periods people ask for: `7d`, `30d`, `12w`, `1y`, `all`; resolved against an as-of day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from paa.errors import InvalidInput

PERIOD_HELP = "Window ending on the as-of day: Nd (days), Nw (weeks), Ny (365-day years) or all, e.g. 30d, 12w, all."
STANDARD_WINDOWS = (7, 30, 90, 365)
MAX_DAYS = 100 * 366
_UNITS = {"d": 1, "w": 7, "y": 365}
_PATTERN = re.compile(r"^(\d+)\s*([dwy])$")


@dataclass(frozen=True)
class Period:
    """A trailing window of `days` days, or all history when `days` is None."""

    days: int | None
    label: str

    def start(self, as_of: date, earliest: date) -> date:
        """The first day of the window ending on `as_of`, never before `earliest` (after `as_of` when empty)."""
        if self.days is None:
            return earliest
        return max(earliest, as_of - timedelta(days=self.days - 1))

    def window(self, as_of: date, earliest: date) -> tuple[date, date]:
        return self.start(as_of, earliest), as_of

    def previous(self, as_of: date) -> tuple[date, date] | None:
        """The window of the same length just before this one (None for all time)."""
        if self.days is None:
            return None
        end = as_of - timedelta(days=self.days)
        return end - timedelta(days=self.days - 1), end

    def to_json(self, as_of: date, earliest: date) -> dict[str, object]:
        start = self.start(as_of, earliest)
        return {
            "label": self.label,
            "start": start.isoformat(),
            "end": as_of.isoformat(),
            "days": max(0, (as_of - start).days + 1),
        }


ALL = Period(None, "all")


def parse_period(text: str) -> Period:
    """Read `30d`, `12w`, `1y` or `all` (case and spaces ignored)."""
    raw = text.strip().lower().replace(" ", "")
    if raw in ("all", "alltime", "all-time"):
        return ALL
    match = _PATTERN.match(raw)
    if match is None:
        raise InvalidInput(f"cannot read {text!r} as a period", hint="use e.g. 7d, 30d, 12w, 1y or all")
    days = int(match.group(1)) * _UNITS[match.group(2)]
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"period {text!r} is out of range", hint=f"use between 1 day and {MAX_DAYS // 366} years")
    return Period(days, f"{days}d")
