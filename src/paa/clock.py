"""Time for paa: every instant comes from a Clock, and days are the user's local habit days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Something that tells the current instant."""

    def now(self) -> datetime:
        """Return the current instant as an aware UTC datetime."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stays where it is put; tests and `PAA_NOW` use it."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.instant = instant.astimezone(UTC)

    def now(self) -> datetime:
        return self.instant

    def advance(self, delta: timedelta) -> None:
        self.instant += delta


def habit_day(instant: datetime, zone: ZoneInfo, day_start_hour: int = 0) -> date:
    """Return the local day an instant belongs to, where a day begins at `day_start_hour`.

    With a start hour of 4, 01:30 on Tuesday still counts as Monday.
    """
    local = instant.astimezone(zone)
    return (local - timedelta(hours=day_start_hour)).date()
