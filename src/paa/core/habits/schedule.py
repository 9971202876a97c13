"""When a habit is expected: every day, on chosen weekdays, or X times in any Y days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from paa.core.dates import WEEKDAYS, weekday_index
from paa.core.validate import quoted
from paa.errors import InvalidInput

ScheduleType = Literal["daily", "weekdays", "x_per_y"]
SHORT_DAYS = tuple(name[:3] for name in WEEKDAYS)
_DAY_GROUPS = {
    "daily": frozenset(range(7)),
    "everyday": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "workdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "weekend": frozenset({5, 6}),
}
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Schedule:
    """A habit's frequency. Weekday indexes follow date.weekday(): Monday is 0."""

    type: ScheduleType = "daily"
    weekdays: frozenset[int] = frozenset()
    times: int = 1
    period_days: int = 1

    def is_scheduled(self, day: date) -> bool:
        """Whether the habit is expected on this day (an X-per-Y habit may be done on any day)."""
        if self.type == "weekdays":
            return day.weekday() in self.weekdays
        return True

    def describe(self) -> str:
        if self.type == "daily":
            return "every day"
        if self.type == "weekdays":
            if self.weekdays == _DAY_GROUPS["weekdays"]:
                return "weekdays"
            if self.weekdays == _DAY_GROUPS["weekends"]:
                return "weekends"
            return ", ".join(SHORT_DAYS[i].capitalize() for i in sorted(self.weekdays))
        if self.period_days == 7:
            return f"{self.times} times a week" if self.times > 1 else "once a week"
        return (
            f"{self.times} times in {self.period_days} days" if self.times > 1 else f"once in {self.period_days} days"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "type": self.type,
            "weekdays": [SHORT_DAYS[i] for i in sorted(self.weekdays)],
            "times": self.times,
            "period_days": self.period_days,
            "text": self.describe(),
        }


def weekdays_to_bits(days: frozenset[int]) -> int:
    return sum(1 << day for day in days)


def bits_to_weekdays(bits: int) -> frozenset[int]:
    return frozenset(day for day in range(7) if bits & (1 << day))


def parse_weekdays(text: str, field: str = "days") -> frozenset[int]:
    """Read `mon,wed,fri`, `weekdays`, `weekends`, `daily` or full names into weekday indexes.

    `field` is the habit field the text came from (`days` or `remind_days`), named by the errors.
    """
    days: set[int] = set()
    for raw in text.replace(" ", ",").split(","):
        word = raw.strip().lower()
        if not word:
            continue
        if word in _DAY_GROUPS:
            days |= _DAY_GROUPS[word]
            continue
        index = weekday_index(word)
        if index is None:
            raise InvalidInput(
                f"unknown day {quoted(raw.strip())}",
                hint="use mon,tue,wed,thu,fri,sat,sun (or weekdays, weekends, daily)",
                field=field,
            )
        days.add(index)
    if not days:
        raise InvalidInput("no days given", hint=f"e.g. `{field}` mon,wed,fri", field=field)
    return frozenset(days)


def build_schedule(days: str | None = None, times: int | None = None, per: int | None = None) -> Schedule:
    """Make a schedule from the habit's `days`, `times` and `per` fields; with none given, the habit is daily."""
    if days is not None and (times is not None or per is not None):
        raise InvalidInput("use either `days` or `times`/`per`, not both", field="days")
    if days is not None:
        weekdays = parse_weekdays(days)
        return Schedule("daily") if len(weekdays) == 7 else Schedule("weekdays", weekdays)
    if times is None and per is None:
        return Schedule("daily")
    times = 1 if times is None else times
    per = 7 if per is None else per
    if not 1 <= per <= MAX_PERIOD_DAYS:
        raise InvalidInput(f"`per` must be between 1 and {MAX_PERIOD_DAYS} days (got {per})", field="per")
    if not 1 <= times <= per:
        raise InvalidInput(f"`times` must be between 1 and `per` ({per}) (got {times})", field="times")
    if times == per:
        return Schedule("daily")
    return Schedule("x_per_y", times=times, period_days=per)
