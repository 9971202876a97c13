"""Where each habit stands: today's state, streaks and recent days, ready for any interface."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import col, select

from paa.clock import habit_day
from paa.core.context import Context
from paa.core.habits.logs import LogResult, entries_by_habit
from paa.core.habits.manage import rule_of, schedule_of
from paa.core.habits.schedule import SHORT_DAYS, bits_to_weekdays
from paa.core.habits.status import (
    DayState,
    Entry,
    Run,
    Streaks,
    completion_rate,
    current_streak,
    day_state,
    day_states,
    days_from,
    streaks,
)
from paa.db.models import Habit, HabitLog


def habit_json(habit: Habit) -> dict[str, Any]:
    """The stable JSON form of a habit's definition (documented in docs/json.md)."""
    return {
        "id": habit.id,
        "name": habit.name,
        "description": habit.description,
        "category": habit.category,
        "color": habit.color,
        "kind": habit.kind,
        "unit": habit.unit,
        "target": habit.target,
        "target_type": habit.target_type if habit.kind == "measurable" else None,
        "schedule": schedule_of(habit).to_json(),
        "reminders": habit.reminder_times.split(",") if habit.reminder_times else [],
        "reminder_days": [SHORT_DAYS[d] for d in sorted(bits_to_weekdays(habit.reminder_days))],
        "archived": habit.archived,
        "created_at": habit.created_at.isoformat(),
    }


def definition_text(habit: Habit) -> str:
    """A habit's definition in words, for echoing what was added or changed: "every day, at most 2 cups a day,
    reminders at 09:00, 18:00"."""
    from paa.core.words import amount

    parts = [str(schedule_of(habit).to_json()["text"])]
    if habit.kind == "measurable" and habit.target is not None:
        ceiling = "at most " if habit.target_type == "at_most" else ""
        parts.append(f"{ceiling}{amount(habit.target, habit.unit)} a day")
    if habit.reminder_times:
        parts.append(f"reminders at {', '.join(habit.reminder_times.split(','))}")
    return ", ".join(parts)


def log_json(log: HabitLog) -> dict[str, Any]:
    return {"day": log.day.isoformat(), "status": log.status, "value": log.value, "note": log.note}


def log_result_json(habit: Habit, result: LogResult) -> dict[str, Any]:
    """What a log or skip did, as `habit log --json` and `POST /habits/{id}/log` give it (docs/json.md)."""
    return {
        "habit": {"id": habit.id, "name": habit.name},
        "outcome": result.outcome,
        "log": log_json(result.log),
        "note_shortened": result.note_shortened,
    }


@dataclass(frozen=True)
class LoggedDay:
    """A log with its day's state, in the same words as `habit show` and analytics use."""

    log: HabitLog
    state: DayState

    def to_json(self) -> dict[str, Any]:
        return {**log_json(self.log), "state": self.state}


def logged_days(ctx: Context, habit: Habit, logs: list[HabitLog]) -> list[LoggedDay]:
    """Each of a habit's logs with its day's state (6 of 8 glasses is `partial`, 3 cups over a limit of 2 `over`)."""
    assert habit.id is not None
    entries = entries_by_habit(ctx, [habit.id])[habit.id]
    rule, today = rule_of(habit), ctx.today()
    start = first_day(ctx, habit, entries)
    return [LoggedDay(log, day_state(rule, entries, log.day, max(today, log.day), since=start)) for log in logs]


@dataclass(frozen=True)
class HabitStatus:
    """One habit as of one day.

    `statuses(..., best=False)` leaves the best streak out (it needs the habit's whole history, and a plain list
    shows only the current one); reading `streaks` or `to_json()` of such a status is a programming error.
    """

    habit: Habit
    day: date
    state: DayState
    entry: Entry | None
    current_streak: Run | None
    first_day: date
    best_streak: Run | None = None
    has_best: bool = True

    @property
    def streaks(self) -> Streaks:
        if not self.has_best:
            raise LookupError("this status was computed without the best streak (statuses(best=False))")
        return Streaks(self.current_streak, self.best_streak)

    def to_json(self) -> dict[str, Any]:
        return {
            **habit_json(self.habit),
            "today": {
                "day": self.day.isoformat(),
                "state": self.state,
                "value": self.entry.value if self.entry else None,
            },
            "streak": self.streaks.to_json(),
        }


def first_day(ctx: Context, habit: Habit, entries: dict[date, Entry]) -> date:
    """The first day a habit counts from: its creation day, or an earlier backfilled log."""
    created = habit_day(habit.created_at, ctx.prefs.zone, ctx.prefs.day_start_hour)
    return min([created, *entries.keys()])


def _habit_id(habit: Habit) -> int:
    assert habit.id is not None, "a stored habit has an id"
    return habit.id


# Days a list without best streaks reads first (besides the longest X-per-Y period among the habits): enough for
# today's state and most current streaks. A habit whose current streak reaches further back is read in full.
RECENT_DAYS = 42


@cache
def _first_logged_query() -> Any:
    # The oldest log of each habit, one index seek each (the unique (habit_id, day) index); the habits are the
    # user's own, so their logs are too. Built once, with parameters.
    oldest = (
        select(func.min(HabitLog.day)).where(col(HabitLog.habit_id) == col(Habit.id)).correlate(Habit).scalar_subquery()
    )
    return select(Habit.id, oldest).where(  # type: ignore[call-overload]
        col(Habit.user_id) == bindparam("user_id"), col(Habit.id).in_(bindparam("habit_ids", expanding=True))
    )


def _first_logged(ctx: Context, habit_ids: list[int]) -> dict[int, date]:
    if not habit_ids:
        return {}
    # Through the connection: the statement names the user itself, and the session guard's extra criterion on the
    # logs would steer SQLite's planner to the (user_id, day) index, a walk through every log of a habit never logged.
    rows = ctx.session.connection().execute(_first_logged_query(), {"user_id": ctx.user_id, "habit_ids": habit_ids})
    return {habit_id: day for habit_id, day in rows if day is not None}


def statuses(ctx: Context, habits: list[Habit], day: date | None = None, *, best: bool = True) -> list[HabitStatus]:
    """Today's (or `day`'s) state and streaks for each habit.

    With `best` every log is read (one query) for the best streak. Without it, only the recent days are read
    (plus each habit's first log day), and the habits whose current streak reaches further back are read again in
    full: the numbers are the same, and a list over years of logs costs about what it costs over a few weeks.
    """
    as_of = day or ctx.today()
    ids = [_habit_id(h) for h in habits]
    if best:
        by_habit = entries_by_habit(ctx, ids)
        since = None
    else:
        widest = max((rule_of(h).schedule.period_days for h in habits), default=1)
        since = as_of - timedelta(days=RECENT_DAYS + widest)
        by_habit = entries_by_habit(ctx, ids, since=since)
        logged = _first_logged(ctx, ids)
    result: list[HabitStatus] = []
    unsure: list[int] = []
    for habit, habit_id in zip(habits, ids, strict=True):
        entries = by_habit[habit_id]
        rule = rule_of(habit)
        if since is None:
            start = first_day(ctx, habit, entries)
            found = streaks(rule, entries, start, as_of)
            current, longest = found.current, found.best
        else:
            created = habit_day(habit.created_at, ctx.prefs.zone, ctx.prefs.day_start_hour)
            start = min(created, logged.get(habit_id, created))
            current, sure = current_streak(rule, entries, max(start, since), as_of, whole=start >= since)
            longest = None
            if not sure:
                unsure.append(len(result))
        result.append(
            HabitStatus(
                habit=habit,
                day=as_of,
                state=day_state(rule, entries, as_of, as_of, since=start),
                entry=entries.get(as_of),
                current_streak=current,
                first_day=start,
                best_streak=longest,
                has_best=since is None,
            )
        )
    if unsure:
        whole = entries_by_habit(ctx, [ids[i] for i in unsure])
        for i in unsure:
            status = result[i]
            current, _ = current_streak(rule_of(status.habit), whole[ids[i]], status.first_day, as_of, whole=True)
            result[i] = replace(status, current_streak=current)
    return result


@dataclass(frozen=True)
class HabitDetail:
    """Everything `habit show` presents: status, recent weeks and key figures."""

    status: HabitStatus
    recent: list[tuple[date, DayState]]
    total_done: int
    total_skipped: int
    rates: dict[str, float | None]
    total_value: float | None
    last_done: date | None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.status.to_json(),
            "recent": [{"day": d.isoformat(), "state": s} for d, s in self.recent],
            "stats": {
                "total_done": self.total_done,
                "total_skipped": self.total_skipped,
                "total_value": self.total_value,
                "last_done": self.last_done.isoformat() if self.last_done else None,
                "completion": self.rates,
                "first_day": self.status.first_day.isoformat(),
            },
        }


def detail(ctx: Context, habit: Habit, weeks: int = 8) -> HabitDetail:
    """A habit's details as of today, with the last `weeks` weeks day by day."""
    assert habit.id is not None
    today = ctx.today()
    entries = entries_by_habit(ctx, [habit.id])[habit.id]
    status = statuses(ctx, [habit], today)[0]
    rule = rule_of(habit)
    # The strip ends today and starts on the user's week start, so columns line up by weekday.
    week_start = 0 if ctx.prefs.week_start == "monday" else 6
    start = today - timedelta(days=7 * (weeks - 1) + (today.weekday() - week_start) % 7)
    shown = max(start, status.first_day)
    states = day_states(rule, entries, shown, today, today, since=status.first_day)
    recent = list(zip(days_from(shown, today), states, strict=True))
    done_days = [d for d, e in entries.items() if rule.meets(e)]
    rates = {f"{n}d": completion_rate(rule, entries, status.first_day, today, n) for n in (7, 30, 90)}
    rates["all"] = completion_rate(rule, entries, status.first_day, today, (today - status.first_day).days + 1)
    total_value = sum(e.value or 0.0 for e in entries.values()) if habit.kind == "measurable" else None
    return HabitDetail(
        status=status,
        recent=recent,
        total_done=len(done_days),
        total_skipped=sum(e.status == "skipped" for e in entries.values()),
        rates=rates,
        total_value=total_value,
        last_done=max(done_days, default=None),
    )
