"""Habits: create, find by name, change, archive and delete; always scoped to the context's user."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete
from sqlmodel import col, select

from paa.core import validate
from paa.core.context import Context
from paa.core.habits.schedule import (
    Schedule,
    bits_to_weekdays,
    build_schedule,
    parse_weekdays,
    weekdays_to_bits,
)
from paa.core.habits.status import HabitRule
from paa.db.models import Habit, HabitLog
from paa.errors import Conflict, InvalidInput, NotFound
from paa.timeofday import hhmm

_WORD = re.compile(r"[\w']+", re.UNICODE)
UNSET: Any = object()
NEEDS_TARGET = "a measurable habit needs a `target`"
NEEDS_TARGET_HINT = "e.g. `unit` glasses `target` 8"


@dataclass
class HabitFields:
    """What a person can set on a habit; UNSET leaves a field as it is when editing."""

    name: str = UNSET
    description: str | None = UNSET
    category: str | None = UNSET
    color: str | None = UNSET
    unit: str | None = UNSET
    target: float | None = UNSET
    at_most: bool = UNSET
    days: str | None = UNSET
    times: int | None = UNSET
    per: int | None = UNSET
    remind: str | None = UNSET
    remind_days: str | None = UNSET


def schedule_of(habit: Habit) -> Schedule:
    if habit.schedule_type == "weekdays":
        return Schedule("weekdays", bits_to_weekdays(habit.weekdays))
    if habit.schedule_type == "x_per_y":
        return Schedule("x_per_y", times=habit.times, period_days=habit.period_days)
    return Schedule("daily")


def rule_of(habit: Habit) -> HabitRule:
    return HabitRule(
        schedule=schedule_of(habit),
        measurable=habit.kind == "measurable",
        target=habit.target,
        at_most=habit.target_type == "at_most",
    )


def parse_reminders(text: str) -> str | None:
    """Normalise a comma list of times of day ("9:00, 13:00") into "09:00,13:00"; empty or `none` clears."""
    if text.strip().lower() in ("", "none", "off"):
        return None
    times = []
    for part in text.split(","):
        try:
            times.append(hhmm(part))
        except ValueError as exc:
            raise InvalidInput(f"reminder time {validate.quoted(part.strip())} {exc}", field="remind") from None
    if len(times) > 12:
        raise InvalidInput("at most 12 reminder times a day", field="remind")
    return ",".join(sorted(set(times)))


def clean_unit(text: str | None) -> str | None:
    """A measurable habit's unit, checked; blank means none."""
    return validate.optional_text(text, "unit", 30, field="unit")


def clean_target(value: float) -> float:
    """A measurable habit's daily target, checked (zero is refused later for an at-least target)."""
    return validate.amount(value, "target", field="target")


def clean_description(text: str | None) -> str | None:
    """A habit's description, checked; blank means none."""
    return validate.optional_text(text, "description", 2000, multiline=True, field="description")


def clean_category(text: str | None) -> str | None:
    """A habit's category, checked; blank means none."""
    return validate.optional_text(text, "category", 50, field="category")


def reminder_days(text: str) -> frozenset[int]:
    """The weekdays of a habit's reminders, from `mon,wed` or `weekends`."""
    return parse_weekdays(text, "remind_days")


def _apply_schedule(habit: Habit, fields: HabitFields) -> None:
    if fields.days is UNSET and fields.times is UNSET and fields.per is UNSET:
        return
    days = None if fields.days is UNSET else fields.days
    times = None if fields.times is UNSET else fields.times
    per = None if fields.per is UNSET else fields.per
    schedule = build_schedule(days, times, per)
    habit.schedule_type = schedule.type
    habit.weekdays = weekdays_to_bits(schedule.weekdays)
    habit.times = schedule.times
    habit.period_days = schedule.period_days


def _apply_measure(habit: Habit, fields: HabitFields) -> None:
    if fields.unit is not UNSET:
        habit.unit = clean_unit(fields.unit)
    if fields.target is not UNSET:
        habit.target = None if fields.target is None else clean_target(fields.target)
    if fields.at_most is not UNSET:
        habit.target_type = "at_most" if fields.at_most else "at_least"
    measurable = habit.unit is not None or habit.target is not None
    habit.kind = "measurable" if measurable else "boolean"
    if measurable and habit.target is None:
        raise InvalidInput(NEEDS_TARGET, hint=NEEDS_TARGET_HINT, field="target")
    if habit.kind == "measurable" and habit.target == 0 and habit.target_type == "at_least":
        raise InvalidInput("an at-least target must be more than zero", field="target")


def _apply_fields(habit: Habit, fields: HabitFields) -> None:
    if fields.name is not UNSET:
        habit.name = validate.habit_name(fields.name)
        habit.name_key = habit.name.casefold()
    if fields.description is not UNSET:
        habit.description = clean_description(fields.description)
    if fields.category is not UNSET:
        habit.category = clean_category(fields.category)
    if fields.color is not UNSET:
        habit.color = validate.colour(fields.color)
    if fields.remind is not UNSET:
        habit.reminder_times = None if fields.remind is None else parse_reminders(fields.remind)
    if fields.remind_days is not UNSET:
        habit.reminder_days = 0 if not fields.remind_days else weekdays_to_bits(reminder_days(fields.remind_days))
    _apply_schedule(habit, fields)
    _apply_measure(habit, fields)


def _check_name_free(ctx: Context, habit: Habit) -> None:
    # No autoflush: flushing the renamed habit first would hit the UNIQUE index before this check.
    with ctx.session.no_autoflush:
        clash = ctx.session.exec(
            select(Habit).where(Habit.user_id == ctx.user_id, Habit.name_key == habit.name_key)
        ).first()
    if clash is not None and clash.id != habit.id:
        state = " (archived)" if clash.archived else ""
        raise Conflict(f"a habit named {clash.name!r} already exists{state}", hint="choose another name", field="name")


def add_habit(ctx: Context, fields: HabitFields) -> Habit:
    """Create a habit for the context's user."""
    if fields.name is UNSET:
        raise InvalidInput("a habit needs a name", field="name")
    now = ctx.now()
    habit = Habit(user_id=ctx.user_id, name="", name_key="", created_at=now, updated_at=now)
    _apply_fields(habit, fields)
    _check_name_free(ctx, habit)
    highest = ctx.session.exec(
        select(Habit.position).where(Habit.user_id == ctx.user_id).order_by(col(Habit.position).desc())
    ).first()
    habit.position = (highest or 0) + 1
    ctx.session.add(habit)
    ctx.session.flush()
    return habit


def owned(ctx: Context, habit: Habit) -> Habit:
    """The habit itself when it belongs to the acting user; NotFound otherwise (never a hint that it exists)."""
    if habit.user_id != ctx.user_id:
        raise NotFound("no such habit", hint="see `paa habit list --all`")
    return habit


def edit_habit(ctx: Context, habit: Habit, fields: HabitFields) -> Habit:
    """Change the given fields of a habit; the others stay as they are."""
    owned(ctx, habit)
    _apply_fields(habit, fields)
    _check_name_free(ctx, habit)
    habit.updated_at = ctx.now()
    ctx.session.add(habit)
    ctx.session.flush()
    return habit


def set_archived(ctx: Context, habit: Habit, archived: bool) -> Habit:
    owned(ctx, habit)
    habit.archived = archived
    habit.updated_at = ctx.now()
    ctx.session.add(habit)
    ctx.session.flush()
    return habit


def delete_habit(ctx: Context, habit: Habit) -> int:
    """Delete a habit and its logs; return how many logs went with it."""
    owned(ctx, habit)
    removed = ctx.session.execute(
        delete(HabitLog).where(col(HabitLog.habit_id) == habit.id, col(HabitLog.user_id) == ctx.user_id)
    )
    ctx.session.delete(habit)
    ctx.session.flush()
    return int(getattr(removed, "rowcount", 0) or 0)  # a CursorResult for DELETE


def list_habits(ctx: Context, *, include_archived: bool = False, category: str | None = None) -> list[Habit]:
    """The user's habits in their order; archived ones only when asked."""
    query = _habits_query(include_archived)
    habits = list(ctx.session.exec(query, params={"user_id": ctx.user_id}).all())
    if category is not None:
        wanted = category.strip().casefold()
        habits = [h for h in habits if (h.category or "").casefold() == wanted]
    return habits


@cache
def _habits_query(include_archived: bool) -> Any:
    # Built once per shape (with the user as a parameter): every habit list and lookup runs it, and building it cost
    # about as much as running it.
    query = select(Habit).where(col(Habit.user_id) == bindparam("user_id"))
    if not include_archived:
        query = query.where(col(Habit.archived).is_(False))
    return query.order_by(col(Habit.position), col(Habit.id))


def _words(name_key: str) -> list[str]:
    return _WORD.findall(name_key)


def resolve_habit(ctx: Context, ref: str) -> Habit:
    """Find a habit by id, exact name, or a unique prefix of its name or of a word in it."""
    text = unicodedata.normalize("NFC", ref).strip()
    if not text:
        raise InvalidInput("no habit given", hint="name a habit by its id or name; see `paa habit list`")
    habits = list_habits(ctx, include_archived=True)
    if text.isascii() and text.isdigit():
        for habit in habits:
            if habit.id == int(text):
                return habit
        raise NotFound(f"no habit with id {text}", hint="see `paa habit list --all` for ids")
    key = text.casefold()
    exact = [h for h in habits if h.name_key == key]
    if exact:
        return exact[0]
    matches = [h for h in habits if h.name_key.startswith(key) or any(w.startswith(key) for w in _words(h.name_key))]
    active = [h for h in matches if not h.archived]
    chosen = active if active else matches
    if len(chosen) == 1:
        return chosen[0]
    if len(chosen) > 1:
        names = ", ".join(f"{h.name} (#{h.id})" for h in chosen[:8])
        raise Conflict(
            f"{validate.quoted(text)} matches several habits: {names}", hint="type more of the name, or use the id"
        )
    close = difflib.get_close_matches(key, [h.name_key for h in habits], n=3, cutoff=0.6)
    suggestions = [h.name for h in habits if h.name_key in close]
    hint = f"did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else "see `paa habit list --all`"
    raise NotFound(f"no habit matches {validate.quoted(text)}", hint=hint)
