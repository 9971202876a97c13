"""Habit logs: one row per habit and local day; done (with a value when measurable) or skipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Literal

from sqlalchemy import bindparam
from sqlmodel import col, select

from paa.core import validate, words
from paa.core.context import Context
from paa.core.habits.manage import owned
from paa.core.habits.status import Entry
from paa.db.models import Habit, HabitLog
from paa.errors import InvalidInput, NotFound

Outcome = Literal["created", "updated", "unchanged"]
NOTE_MAX = 2000  # characters in a day's note, all the notes of that day joined


@dataclass(frozen=True)
class LogResult:
    """What a log or skip did: the row as it is now, and what it was before."""

    log: HabitLog
    outcome: Outcome
    previous_status: str | None
    previous_value: float | None
    note_cut: int = 0  # characters of the note given that did not fit in the day's note (NOTE_MAX) and were left out

    @property
    def note_shortened(self) -> bool:
        """Whether part of the note given was left out, to fit the day's note."""
        return self.note_cut > 0

    def note_notice(self) -> str | None:
        """The one line every interface (and the assistant's tool result) gives when the note was shortened."""
        if not self.note_cut:
            return None
        left_out = words.plural(self.note_cut, "character")
        return f"The day's note holds at most {NOTE_MAX} characters: {left_out} of this note did not fit, left out."


def _habit_id(habit: Habit) -> int:
    assert habit.id is not None, "a stored habit has an id"
    return habit.id


def _get_log(ctx: Context, habit: Habit, day: date) -> HabitLog | None:
    return ctx.session.exec(
        select(HabitLog).where(HabitLog.user_id == ctx.user_id, HabitLog.habit_id == habit.id, HabitLog.day == day)
    ).first()


def _join_notes(old: str | None, new: str | None) -> tuple[str | None, int]:
    """The day's note with `new` added, and how many of its characters did not fit.

    The log itself (its value, done or skipped) is never refused for a long note: what does not fit in NOTE_MAX is
    cut, marked with an ellipsis.
    """
    if not new:
        return old, 0
    if not old or old == new:
        return new, 0
    joined = f"{old}; {new}"
    if len(joined) <= NOTE_MAX:
        return joined, 0
    room = NOTE_MAX - len(old) - len("; ") - len("…")
    if room <= 0:
        return old, len(new)
    kept = new[:room].rstrip()
    return f"{old}; {kept}…", len(new) - len(kept)


def log_habit(
    ctx: Context,
    habit: Habit,
    day: date,
    *,
    value: float | None = None,
    note: str | None = None,
    replace: bool = False,
) -> LogResult:
    """Mark a habit done on a day. A measurable value adds to the day's total unless `replace`."""
    owned(ctx, habit)
    note = validate.optional_text(note, "note", NOTE_MAX, multiline=True)
    if habit.kind == "measurable":
        if value is None:
            raise InvalidInput(
                f"{habit.name} is measured in {habit.unit or 'units'}; give a value",
                hint=f"e.g. paa habit log {habit.id} 3",
            )
        value = validate.amount(value)
    elif value is not None:
        raise InvalidInput(f"{habit.name} is a yes/no habit and takes no value", hint="drop the value")
    row = _get_log(ctx, habit, day)
    now = ctx.now()
    if row is None:
        row = HabitLog(
            user_id=ctx.user_id, habit_id=_habit_id(habit), day=day, status="done",
            value=value, note=note, created_at=now, updated_at=now,
        )  # fmt: skip
        ctx.session.add(row)
        ctx.session.flush()
        return LogResult(row, "created", None, None)
    previous_status, previous_value = row.status, row.value
    if habit.kind == "boolean" and row.status == "done" and not note:
        return LogResult(row, "unchanged", previous_status, previous_value)
    if habit.kind == "measurable":
        base = 0.0 if replace or row.status != "done" else row.value or 0.0
        row.value = validate.amount(base + (value or 0.0), "the day's total")
    row.status = "done"
    row.note, note_cut = _join_notes(row.note, note)
    row.updated_at = now
    ctx.session.add(row)
    ctx.session.flush()
    return LogResult(row, "updated", previous_status, previous_value, note_cut)


def skip_habit(ctx: Context, habit: Habit, day: date, *, note: str | None = None) -> LogResult:
    """Mark a day as deliberately skipped: it neither counts nor breaks a streak."""
    owned(ctx, habit)
    note = validate.optional_text(note, "note", NOTE_MAX, multiline=True)
    row = _get_log(ctx, habit, day)
    now = ctx.now()
    if row is None:
        row = HabitLog(
            user_id=ctx.user_id, habit_id=_habit_id(habit), day=day, status="skipped",
            note=note, created_at=now, updated_at=now,
        )  # fmt: skip
        ctx.session.add(row)
        ctx.session.flush()
        return LogResult(row, "created", None, None)
    previous_status, previous_value = row.status, row.value
    if row.status == "skipped" and not note:
        return LogResult(row, "unchanged", previous_status, previous_value)
    row.status, row.value = "skipped", None
    row.note, note_cut = _join_notes(row.note, note)
    row.updated_at = now
    ctx.session.add(row)
    ctx.session.flush()
    return LogResult(row, "updated", previous_status, previous_value, note_cut)


def unlog_habit(ctx: Context, habit: Habit, day: date) -> HabitLog:
    """Remove what was recorded for a habit on a day, and return it."""
    row = _get_log(ctx, habit, day)
    if row is None:
        raise NotFound(f"nothing is logged for {habit.name} on {day.isoformat()}")
    ctx.session.delete(row)
    ctx.session.flush()
    return row


def history(ctx: Context, habit: Habit, start: date | None = None, end: date | None = None) -> list[HabitLog]:
    """The habit's logs between two days (inclusive), newest first."""
    if start is not None and end is not None and start > end:
        raise InvalidInput(f"`from` ({start.isoformat()}) is after `to` ({end.isoformat()})", field="from")
    query = select(HabitLog).where(HabitLog.user_id == ctx.user_id, HabitLog.habit_id == habit.id)
    if start is not None:
        query = query.where(HabitLog.day >= start)
    if end is not None:
        query = query.where(HabitLog.day <= end)
    return list(ctx.session.exec(query.order_by(col(HabitLog.day).desc())).all())


@cache
def _entries_query(since: bool) -> Any:
    # Built once per shape (parameters for the user, the habits and the first day): a habit list runs it on every
    # request, and building it cost about as much as running it.
    # `user_id + 0` keeps SQLite's planner (which has no statistics) off the (user_id, day) index, which would walk
    # every log of the user: the unique (habit_id, day) index seeks straight to the habits asked for (after a day),
    # 100x faster for one habit of ten years of twenty, and twice as fast for all of them.
    query = select(HabitLog.habit_id, HabitLog.day, HabitLog.status, HabitLog.value).where(  # type: ignore[call-overload]
        col(HabitLog.user_id) + 0 == bindparam("user_id"),
        col(HabitLog.habit_id).in_(bindparam("habit_ids", expanding=True)),
    )
    return query.where(col(HabitLog.day) >= bindparam("since")) if since else query


def entries_by_habit(ctx: Context, habit_ids: list[int], since: date | None = None) -> dict[int, dict[date, Entry]]:
    """Each habit's entries by day, read in one query of plain columns (no ORM objects)."""
    result: dict[int, dict[date, Entry]] = {habit_id: {} for habit_id in habit_ids}
    if not habit_ids:
        return result
    params = {"user_id": ctx.user_id, "habit_ids": habit_ids, "since": since}
    # Through the connection, not the ORM: plain rows cost 0.6 of the ORM's result loading over ten years of logs.
    # The statement names the user itself (the session guard scopes ORM statements only).
    rows = ctx.session.connection().execute(_entries_query(since is not None), params)
    shared: dict[tuple[str, float | None], Entry] = {}  # one Entry per distinct (status, value): they are immutable
    for habit_id, day, status, value in rows:
        key = (status, value)
        entry = shared.get(key)
        if entry is None:
            entry = shared[key] = Entry(status, value)
        result[habit_id][day] = entry
    return result
