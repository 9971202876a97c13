"""A habit's fields as a person gives them (CLI options, the TUI form's text, a chat tool's JSON), read in one place.

Every interface hands the values it has, by field name, and gets HabitFields back or errors that carry their field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from paa.core import validate
from paa.core.habits.manage import (
    NEEDS_TARGET,
    NEEDS_TARGET_HINT,
    HabitFields,
    clean_category,
    clean_description,
    clean_target,
    clean_unit,
    parse_reminders,
    reminder_days,
)
from paa.core.habits.schedule import build_schedule, parse_weekdays
from paa.errors import InvalidInput

# In the order a person reads them; the first wrong one is the error raised.
FORM_FIELDS = ("name", "unit", "target", "at_most", "schedule", "days", "times", "per", "remind", "remind_days",
               "category", "color", "description")  # fmt: skip
SCHEDULES = ("daily", "weekdays", "x_per_y")
_TRUE = ("true", "yes", "y", "on", "1")
_FALSE = ("false", "no", "n", "off", "0", "")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f"`{field}` must be text", field=field)
    return str(value)


def _number(value: object, field: str) -> float | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"`{field}` must be a number", field=field)
    if isinstance(value, int | float):
        return float(value)
    return validate.parse_number(_text(value, field), f"`{field}`", field=field)


def _whole(value: object, field: str) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    text = value.strip() if isinstance(value, str) else str(value)
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"`{field}` must be a whole number (got {validate.quoted(text, 20)})", field=field) from None


def _flag(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    word = _text(value, field).strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise InvalidInput(f"`{field}` must be true or false (got {validate.quoted(word, 20)})", field=field)


def _days(value: object, field: str) -> str | None:
    if value is None:
        return None
    text = _text(value, field).strip()
    parse_weekdays(text, field)
    return text


def _reminder_days(value: object) -> str:
    if _blank(value):
        return ""  # reminders on the days the habit is due
    text = _text(value, "remind_days").strip()
    reminder_days(text)
    return text


def _schedule(value: object) -> str:
    word = _text(value, "schedule").strip().lower()
    if word not in SCHEDULES:
        raise InvalidInput(f"`schedule` must be one of {', '.join(SCHEDULES)}", field="schedule")
    return word


_READERS: dict[str, Callable[[Any], Any]] = {
    "name": lambda value: validate.habit_name(_text(value, "name")),
    "unit": lambda value: None if _blank(value) else clean_unit(_text(value, "unit")),
    "target": lambda value: None if (number := _number(value, "target")) is None else clean_target(number),
    "at_most": lambda value: _flag(value, "at_most"),
    "schedule": _schedule,
    "days": lambda value: _days(value, "days"),
    "times": lambda value: _whole(value, "times"),
    "per": lambda value: _whole(value, "per"),
    "remind": lambda value: None if value is None else parse_reminders(_text(value, "remind")),
    "remind_days": _reminder_days,
    "category": lambda value: None if _blank(value) else clean_category(_text(value, "category")),
    "color": lambda value: validate.colour(None if value is None else _text(value, "color")),
    "description": lambda value: None if _blank(value) else clean_description(_text(value, "description")),
}


def read_habit_form(values: Mapping[str, object]) -> tuple[HabitFields, dict[str, InvalidInput]]:
    """Read and check each field given; return the fields (UNSET where not given) and what is wrong, by field.

    Text, numbers and booleans are all read, so "8", 8 and 8.0 give the same target. `schedule` (daily, weekdays or
    x_per_y), when given, says which of `days`, `times` and `per` count; the others are cleared.
    """
    unknown = sorted(set(values) - set(FORM_FIELDS))
    if unknown:
        raise InvalidInput(f"no habit field named {validate.quoted(unknown[0])}", field=unknown[0])
    read: dict[str, Any] = {}
    errors: dict[str, InvalidInput] = {}
    for name in FORM_FIELDS:
        if name not in values or (values[name] is None and name in ("name", "at_most", "schedule")):
            continue
        try:
            read[name] = _READERS[name](values[name])
        except InvalidInput as exc:
            errors.setdefault(exc.field or name, exc)
    _choose_schedule(read, errors)
    _check_together(read, errors)
    read.pop("schedule", None)
    fields = HabitFields(**read)
    return fields, errors


def parse_habit_form(values: Mapping[str, object]) -> HabitFields:
    """The fields given, read and checked; raise the error of the first wrong one (each error names its field)."""
    fields, errors = read_habit_form(values)
    for name in (*FORM_FIELDS, *errors):
        if name in errors:
            raise errors[name]
    return fields


def _choose_schedule(read: dict[str, Any], errors: dict[str, InvalidInput]) -> None:
    schedule = read.get("schedule")
    if schedule is None:
        return
    if schedule != "weekdays":
        read["days"] = None
        errors.pop("days", None)
    if schedule != "x_per_y":
        read["times"] = read["per"] = None
        errors.pop("times", None)
        errors.pop("per", None)
    if schedule == "weekdays" and read.get("days") is None and "days" not in errors:
        errors["days"] = InvalidInput("choose the days, e.g. mon,wed,fri", field="days")


def _check_together(read: dict[str, Any], errors: dict[str, InvalidInput]) -> None:
    """The rules across fields that can be judged from the form alone; core checks them again on save."""
    parts = ("days", "times", "per")
    if any(name in read for name in parts) and not any(name in errors for name in parts):
        try:
            build_schedule(read.get("days"), read.get("times"), read.get("per"))
        except InvalidInput as exc:
            errors.setdefault(exc.field or "days", exc)
    if read.get("unit") is not None and "target" in read and read["target"] is None and "target" not in errors:
        errors["target"] = InvalidInput(NEEDS_TARGET, hint=NEEDS_TARGET_HINT, field="target")
