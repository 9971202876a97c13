"""Where each habit stands: today's state, streaks and recent days, ready for any interface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from paa.clock import habit_day
from paa.core.context import Context
from paa.core.habits.logs import LogResult, entries_by_habit
from paa.core.habits.manage import rule_of, schedule_of
from paa.core.habits.schedule import SHORT_DAYS, bits_to_weekdays
from paa.core.habits.status import (
    DayState,
    Entry,
    Streaks,
    completion_rate,
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
    """One habit as of one day."""

    habit: Habit
    day: date
    state: DayState
    entry: Entry | None
    streaks: Streaks
    first_day: date

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


def statuses(ctx: Context, habits: list[Habit], day: date | None = None) -> list[HabitStatus]:
    """Today's (or `day`'s) state and streaks for each habit, reading all logs in one query."""
    as_of = day or ctx.today()
    by_habit = entries_by_habit(ctx, [h.id for h in habits if h.id is not None])
    result = []
    for habit in habits:
        assert habit.id is not None
        entries = by_habit[habit.id]
        rule = rule_of(habit)
        start = first_day(ctx, habit, entries)
        result.append(
            HabitStatus(
                habit=habit,
                day=as_of,
                state=day_state(rule, entries, as_of, as_of, since=start),
                entry=entries.get(as_of),
                streaks=streaks(rule, entries, start, as_of),
                first_day=start,
            )
        )
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
