"""Reminder arithmetic: which instants are due, in the user's zone and through DST changes.

Everything here is pure: rules and instants in, instants out. A wall time that does not exist
(02:30 when clocks spring forward) falls on the first valid instant after the gap; one that
happens twice (when clocks fall back) falls on its first occurrence, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from paa.clock import habit_day
from paa.core.dates import weekday_index
from paa.core.habits.schedule import Schedule
from paa.core.validate import quoted
from paa.errors import InvalidInput
from paa.timeofday import parse_time_of_day

Kind = Literal["habit", "checkin", "custom"]
CHECKIN_REF = 0  # check-ins have no row to point at; a fixed id keeps them in the no-double-send key
MAX_ATTEMPTS = 5
LOOKBACK = timedelta(days=1)  # how far back a scan looks after a pause; older reminders are not recorded
_EPSILON = timedelta(microseconds=1)


# --- wall times in a zone ------------------------------------------------------------------------


def wall_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time: its first occurrence, or the end of a DST gap it falls in."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    early, late = first.astimezone(UTC), second.astimezone(UTC)
    if early == late:
        return early
    offset_first, offset_second = first.utcoffset(), second.utcoffset()
    assert offset_first is not None and offset_second is not None
    if offset_first > offset_second:  # clocks fall back: the wall time happens twice; take the first
        return min(early, late)
    return _gap_end(min(early, late), max(early, late), zone)


def _gap_end(low: datetime, high: datetime, zone: ZoneInfo) -> datetime:
    """The instant clocks jump forward, found between an instant before it and one after it."""
    after_offset = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def parse_time(text: str) -> time:
    """Read HH:MM (the form stored for reminder and check-in times)."""
    return parse_time_of_day(text)


# --- rules ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One due instant of one reminder; `day` is the habit day it belongs to (None for custom reminders)."""

    kind: Kind
    ref_id: int
    due_at: datetime
    day: date | None

    @property
    def key(self) -> tuple[str, int, datetime]:
        return (self.kind, self.ref_id, self.due_at)


@dataclass(frozen=True)
class HabitReminder:
    """A habit's reminders: times of day, on chosen weekdays or on the days the habit is scheduled."""

    habit_id: int
    times: tuple[time, ...]
    days: frozenset[int] | None  # None: the days the schedule says it is due
    schedule: Schedule
    since: datetime  # no reminder before the habit existed

    kind: Kind = "habit"

    @property
    def ref_id(self) -> int:
        return self.habit_id

    def fires_on(self, day: date) -> bool:
        if self.days is not None:
            return day.weekday() in self.days
        return self.schedule.is_scheduled(day)


@dataclass(frozen=True)
class CheckinReminder:
    """The daily check-in prompt at the user's check-in time."""

    at: time
    since: datetime

    kind: Kind = "checkin"
    ref_id: int = CHECKIN_REF


@dataclass(frozen=True)
class CustomReminder:
    """A custom reminder: once at an instant, or on a cron schedule read in the user's zone."""

    reminder_id: int
    at: datetime | None
    cron: CronSpec | None
    since: datetime

    kind: Kind = "custom"

    @property
    def ref_id(self) -> int:
        return self.reminder_id


Rule = HabitReminder | CheckinReminder | CustomReminder


@dataclass(frozen=True)
class Zone:
    """The user's zone and day-start hour: what turns wall times into instants."""

    zone: ZoneInfo
    day_start_hour: int = 0


def _daily_times(rule: HabitReminder | CheckinReminder) -> tuple[time, ...]:
    return rule.times if isinstance(rule, HabitReminder) else (rule.at,)


@dataclass(frozen=True)
class _Window:
    """A scan window worked out once for many rules: its habit days, and its bounds as local wall times."""

    after: datetime
    until: datetime
    first_day: date
    last_day: date
    low: datetime  # naive local wall times, widened by more than any UTC offset change
    high: datetime

    @classmethod
    def of(cls, where: Zone, after: datetime, until: datetime) -> _Window:
        margin = timedelta(hours=3)
        return cls(
            after,
            until,
            habit_day(after, where.zone, where.day_start_hour) - timedelta(days=1),
            habit_day(until, where.zone, where.day_start_hour) + timedelta(days=1),
            after.astimezone(where.zone).replace(tzinfo=None) - margin,
            until.astimezone(where.zone).replace(tzinfo=None) + margin,
        )


def _daily(rule: HabitReminder | CheckinReminder, where: Zone, window: _Window) -> Iterator[Occurrence]:
    """Occurrences of a once-a-day-per-time rule; a time before the day-start hour belongs to the day before."""
    times = _daily_times(rule)
    day = window.first_day
    while day <= window.last_day:
        if not isinstance(rule, HabitReminder) or rule.fires_on(day):
            seen: set[datetime] = set()
            for at in times:
                calendar_day = day + timedelta(days=1) if at.hour < where.day_start_hour else day
                if not window.low <= datetime.combine(calendar_day, at) <= window.high:
                    continue  # far outside the window whatever DST does: skip the zone arithmetic
                due = wall_instant(calendar_day, at, where.zone)
                if window.after < due <= window.until and due >= rule.since and due not in seen:
                    seen.add(due)
                    yield Occurrence(rule.kind, rule.ref_id, due, day)
        day += timedelta(days=1)


def occurrences(
    rule: Rule, where: Zone, after: datetime, until: datetime, window: _Window | None = None
) -> list[Occurrence]:
    """Every occurrence of a rule with `after < due_at <= until`, earliest first."""
    if until <= after:
        return []
    if isinstance(rule, CustomReminder):
        if rule.at is not None:
            return [Occurrence("custom", rule.ref_id, rule.at, None)] if after < rule.at <= until else []
        assert rule.cron is not None
        found = [Occurrence("custom", rule.ref_id, due, None) for due in rule.cron.between(where.zone, after, until)]
        return [o for o in found if o.due_at >= rule.since]
    return sorted(_daily(rule, where, window or _Window.of(where, after, until)), key=lambda o: o.due_at)


def next_occurrence(rule: Rule, where: Zone, after: datetime) -> Occurrence | None:
    """The first occurrence strictly after `after`, or None when the rule never fires again."""
    if isinstance(rule, CustomReminder):
        if rule.at is not None:
            return Occurrence("custom", rule.ref_id, rule.at, None) if rule.at > after else None
        assert rule.cron is not None
        due = rule.cron.next_after(where.zone, max(after, rule.since - _EPSILON))
        return None if due is None else Occurrence("custom", rule.ref_id, due, None)
    start = max(after, rule.since - _EPSILON)
    for _ in range(60):  # a week always holds a due day; sixty weeks is generous
        found = occurrences(rule, where, start, start + timedelta(days=8))
        if found:
            return found[0]
        start += timedelta(days=8)
    return None


def merged(rules: Iterable[Rule], where: Zone, after: datetime, until: datetime) -> list[Occurrence]:
    """The occurrences of many rules in one window, earliest first (ties: check-in, habits, custom)."""
    order = {"checkin": 0, "habit": 1, "custom": 2}
    if until <= after:
        return []
    window = _Window.of(where, after, until)
    found = [o for rule in rules for o in occurrences(rule, where, after, until, window)]
    return sorted(found, key=lambda o: (o.due_at, order[o.kind], o.ref_id))


# --- scanning, grace and retries ----------------------------------------------------------------


def scan_window(cursor: datetime | None, now: datetime, grace: timedelta) -> tuple[datetime, datetime] | None:
    """The window (after, until] a scan at `now` covers, given how far the last scan got.

    The first scan looks back over the grace period only; later ones pick up where the last one
    stopped, at most LOOKBACK (or the grace period, when that is longer) back.
    """
    if cursor is None:
        return (now - grace, now)
    if now <= cursor:  # nothing new, or the clock went back
        return None
    return (max(cursor, now - max(grace, LOOKBACK)), now)


def is_missed(due_at: datetime, now: datetime, grace: timedelta) -> bool:
    """A reminder found more than `grace` after it was due is recorded as missed, not sent."""
    return now - due_at > grace


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait before the next attempt after `attempts` failed ones; None when it is time to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return min(timedelta(seconds=30) * 4 ** max(attempts - 1, 0), timedelta(hours=1))


# --- cron ---------------------------------------------------------------------------------------

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_FIELDS = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day of month", 1, 31, ()), ("month", 1, 12, _MONTHS))
_CRON_HINT = 'five fields: minute hour day-of-month month day-of-week, e.g. "0 17 * * FRI"'


def _cron_value(text: str, low: int, names: tuple[str, ...], field: str) -> int:
    word = text.lower()
    if word in names:
        return names.index(word) + low
    if not word.isascii() or not word.isdigit():
        raise InvalidInput(f"cron {field}: cannot read {quoted(text)}", hint=_CRON_HINT, field="cron")
    return int(word)


def _cron_field(text: str, field: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = _cron_value(step_text, 0, (), field) if step_text else 1
        if step < 1:
            raise InvalidInput(f"cron {field}: the step must be at least 1", hint=_CRON_HINT, field="cron")
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = _cron_value(first, low, names, field), _cron_value(last, low, names, field)
        else:
            start = _cron_value(body, low, names, field)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise InvalidInput(f"cron {field}: {quoted(part)} is outside {low}-{high}", hint=_CRON_HINT, field="cron")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronSpec:
    """A five-field cron expression; like Vixie cron, a restricted day-of-month OR day-of-week matches."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    month_days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # Python's numbering: Monday is 0
    any_month_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> CronSpec:
        raw = " ".join(text.split())
        expanded = _MACROS.get(raw.lower(), raw)
        parts = expanded.split(" ")
        if len(parts) != 5:
            raise InvalidInput(f"cannot read {quoted(text)} as a cron expression", hint=_CRON_HINT, field="cron")
        minutes, hours, month_days, months = (
            _cron_field(part, *spec) for part, spec in zip(parts[:4], _FIELDS, strict=True)
        )
        cron_days = _cron_field(parts[4], "day of week", 0, 7, _CRON_DAYS)  # 0 and 7 are both Sunday
        weekdays = frozenset((day - 1) % 7 for day in cron_days)
        return cls(
            raw, minutes, hours, month_days, months, weekdays, parts[2].startswith("*"), parts[4].startswith("*")
        )

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_month_day = day.day in self.month_days
        by_weekday = day.weekday() in self.weekdays
        if self.any_month_day and self.any_weekday:
            return True
        if self.any_month_day:
            return by_weekday
        if self.any_weekday:
            return by_month_day
        return by_month_day or by_weekday

    def _times(self) -> list[time]:
        return [time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes)]

    def _day_instants(self, day: date, zone: ZoneInfo) -> list[datetime]:
        return sorted({wall_instant(day, at, zone) for at in self._times()})

    def between(self, zone: ZoneInfo, after: datetime, until: datetime) -> list[datetime]:
        """Due instants with `after < due <= until`, in order; each at most once across DST changes."""
        day = after.astimezone(zone).date() - timedelta(days=1)
        last = until.astimezone(zone).date() + timedelta(days=1)
        found: set[datetime] = set()
        while day <= last:
            if self.matches_day(day):
                found.update(due for due in self._day_instants(day, zone) if after < due <= until)
            day += timedelta(days=1)
        return sorted(found)

    def next_after(self, zone: ZoneInfo, after: datetime, years: int = 8) -> datetime | None:
        """The first due instant strictly after `after`, looking at most `years` ahead."""
        day = after.astimezone(zone).date() - timedelta(days=1)
        for _ in range(366 * years):
            if self.matches_day(day):
                for due in self._day_instants(day, zone):
                    if due > after:
                        return due
            day += timedelta(days=1)
        return None


# --- when people type ---------------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_UNIT = r"(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)"
_DURATION = re.compile(rf"(?:\d{{1,6}}{_UNIT})+")
_DURATION_PART = re.compile(rf"(\d{{1,6}}){_UNIT}")
_IN = re.compile(r"in\s+(.+)", re.I)
_AM_PM = re.compile(r"(\d)\s+(am|pm)\b", re.I)
MAX_AHEAD = timedelta(days=3660)  # ten years: far enough for a reminder, well inside the calendar
WHEN_HINT = 'e.g. "sunday 18:00", "tomorrow 9am", "today 18:30", "2027-03-14 18:00" or "in 20 minutes"'
DURATION_HINT = "e.g. 20m, 2h, 1h30m or 1d"


def parse_duration(text: str) -> timedelta | None:
    """Read a duration as people type it (20m, 2h, 1h30m, 1d, "90 minutes", "1 h 30 min"); None when it is not one."""
    compact = "".join(text.lower().split())
    if not _DURATION.fullmatch(compact):
        return None
    seconds = sum(int(amount) * _UNITS[unit[0]] for amount, unit in _DURATION_PART.findall(compact))
    return timedelta(seconds=seconds)


def after_duration(text: str, now: datetime, *, field: str = "in") -> datetime:
    """The instant `text` (a duration such as 20m or 1h30m) from now, to the whole second; it must be ahead."""
    duration = parse_duration(text)
    if duration is None:
        raise InvalidInput(f"cannot read {quoted(text)} as a duration", hint=DURATION_HINT, field=field)
    if not timedelta(0) < duration <= MAX_AHEAD:
        raise InvalidInput(f"a duration must be from 1 second to ten years (got {quoted(text)})", field=field)
    whole = now.replace(microsecond=0) + timedelta(seconds=1 if now.microsecond else 0)
    return whole + duration


def parse_when(text: str, now: datetime, zone: ZoneInfo, *, field: str = "at") -> datetime:
    """Read the instant of a one-off reminder, in the user's zone; it must be in the future.

    It reads a day (today, tomorrow, a weekday, an ISO date) and a time of day in either order, an ISO date-time,
    a time alone (today, or tomorrow once it has passed), or "in" and a duration.
    """
    raw = " ".join(text.strip().split())
    relative = _IN.fullmatch(raw)
    if relative and parse_duration(relative.group(1)) is not None:
        return after_duration(relative.group(1), now, field=field)
    due = _parse_when(_AM_PM.sub(r"\1\2", raw), now, zone)
    if due is None:
        raise InvalidInput(f"cannot read {quoted(text)} as a date and time", hint=WHEN_HINT, field=field)
    if due <= now:
        local = due.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        raise InvalidInput(f"{local} is in the past", hint="a reminder needs a time still to come", field=field)
    if due - now > MAX_AHEAD:
        raise InvalidInput(f"{quoted(text)} is more than ten years away", field=field)
    return due


def _clock(word: str) -> time | None:
    try:
        return parse_time_of_day(word, seconds=True)
    except ValueError:
        return None


def _parse_when(raw: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        instant = None
    if instant is not None and ("T" in raw or " " in raw):
        if instant.tzinfo is None:
            return wall_instant(instant.date(), instant.time(), zone)
        return instant.astimezone(UTC)
    words = [word for word in raw.lower().split(" ") if word != "at"]
    clocks = [clock for clock in map(_clock, words) if clock is not None]
    days = [word for word in words if _clock(word) is None]
    if len(clocks) > 1 or len(days) > 1 or not words:
        return None
    at = clocks[0] if clocks else time(0, 0)
    today = now.astimezone(zone).date()
    if not days:
        due = wall_instant(today, at, zone)
        return due if due > now else wall_instant(today + timedelta(days=1), at, zone)
    word = days[0]
    if word == "today":
        return wall_instant(today, at, zone)
    if word == "tomorrow":
        return wall_instant(today + timedelta(days=1), at, zone)
    weekday = weekday_index(word)
    if weekday is not None:
        day = today + timedelta(days=(weekday - today.weekday()) % 7)
        due = wall_instant(day, at, zone)
        return due if due > now else wall_instant(day + timedelta(days=7), at, zone)
    try:
        return wall_instant(date.fromisoformat(word), at, zone)
    except ValueError:
        return None


def parse_instant(text: str, zone: ZoneInfo, *, field: str = "from") -> datetime:
    """Read an ISO date or date-time; without a UTC offset it is a wall time in `zone`."""
    raw = text.strip()
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"cannot read {quoted(text)} as a date-time",
            hint="use ISO 8601, e.g. 2027-03-13T00:00 or 2027-03-13",
            field=field,
        ) from None
    if instant.tzinfo is None:
        return wall_instant(instant.date(), instant.time(), zone)
    return instant.astimezone(UTC)
