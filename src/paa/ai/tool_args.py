"""The chat tools' arguments as typed models: the JSON schema the model sees is generated from them, and its input
is read through them, so a wrong argument becomes an error that names it.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from paa.core.validate import quoted
from paa.errors import InvalidInput

PREFERENCE_KEYS = ("display_name", "assistant_tone", "timezone", "day_start_hour", "week_start", "checkin_time")

HabitRef = Annotated[str, Field(description="Habit id, name, or a unique prefix of a word in its name.")]
Day = Annotated[str | None, Field(description="Day: today (default), yesterday, -N, a weekday name or YYYY-MM-DD.")]
Period = Annotated[str | None, Field(description="Window ending today: 7d, 30d, 12w, 1y or all.")]
Note = Annotated[str | None, Field(description="A note for the day.")]


class Arguments(BaseModel):
    """What every tool's arguments share: unknown keys are ignored, and a number is read as text where text is due."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class NoArguments(Arguments):
    """A tool without arguments."""


class ListHabitsArgs(Arguments):
    include_archived: bool = False


class HabitArgs(Arguments):
    habit: HabitRef


class HabitDayArgs(HabitArgs):
    date: Day = None


class LogHabitArgs(HabitDayArgs):
    value: float | None = Field(None, description="Amount in the habit's unit, for a measurable habit.")
    note: Note = None
    set_total: bool = Field(False, description="Replace the day's total instead of adding to it.")


class SkipHabitArgs(HabitDayArgs):
    note: Note = None


class HabitFieldArgs(Arguments):
    """The habit fields a tool can set; each is read by core's habit form parser."""

    unit: str | None = Field(None, description="Unit of a measurable habit, e.g. glasses, km, pages.")
    target: float | None = Field(None, description="Daily target of a measurable habit.")
    at_most: bool | None = Field(None, description="True when the target is a ceiling (e.g. coffee), not a floor.")
    days: str | None = Field(None, description="Weekdays it is due: mon,wed,fri, weekdays or weekends.")
    times: int | None = Field(None, description="Times per period (with `per`), e.g. 3 times per 7 days.")
    per: int | None = Field(None, description="Period in days for `times`.")
    remind: str | None = Field(None, description="Reminder times HH:MM, comma separated; empty to clear.")
    remind_days: str | None = Field(None, description="Days for reminders (default: the days it is due).")
    category: str | None = None
    description: str | None = None

    def habit_fields(self) -> dict[str, Any]:
        """The habit fields the model gave (an explicit null included), by name, for the form parser."""
        return self.model_dump(exclude_unset=True, include=set(HabitFieldArgs.model_fields) | {"name"})


class NewHabitArgs(Arguments):
    name: str


class RenameArgs(HabitArgs):
    name: str | None = Field(None, description="A new name.")


# The bases' fields come first (the last base's first), so the model reads `name` or `habit` before the rest.
class CreateHabitArgs(HabitFieldArgs, NewHabitArgs):
    pass


class EditHabitArgs(HabitFieldArgs, RenameArgs):
    pass


class ArchiveHabitArgs(HabitArgs):
    archived: bool = True


class HabitAnalyticsArgs(HabitArgs):
    period: Period = None


class OverallAnalyticsArgs(Arguments):
    period: Period = None


class CheckinAnswer(BaseModel):
    """One answer of a check-in, to a prompt or (without one) to the next prompt in order."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    prompt: str | None = None
    answer: str


class RecordCheckinArgs(Arguments):
    mood: int | None = Field(None, ge=1, le=5)
    energy: int | None = Field(None, ge=1, le=5)
    answers: list[CheckinAnswer] = []
    mode: Literal["new", "append", "replace"] = "new"
    date: Day = None

    @field_validator("answers", mode="before")
    @classmethod
    def _plain_answers(cls, value: Any) -> Any:
        """A bare string, or a list holding strings, is read as answers without prompts."""
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return [{"answer": item} if isinstance(item, str) else item for item in value]
        return value


class SearchMemoryArgs(Arguments):
    query: str
    limit: int | None = Field(None, description="How many to return: 1-20, 5 by default.")


class RememberArgs(Arguments):
    content: str


class ForgetArgs(Arguments):
    memory_id: int


class AddReminderArgs(Arguments):
    text: str
    at: str | None = None
    time: str | None = None
    days: str | None = None


class SetPreferenceArgs(Arguments):
    key: str = Field(json_schema_extra={"enum": list(PREFERENCE_KEYS)})
    value: Any


# ---- schema and reading -----------------------------------------------------------------------------------


@cache
def input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of a tool's arguments as sent to the model: an object, its properties and what is required.

    Generated from the model, then made plain for the model's eyes: no titles, nested models inlined, and an
    optional value shown as its type (a null is still accepted when read).
    """
    generated = model.model_json_schema()
    definitions = generated.pop("$defs", {})
    generated.pop("description", None)  # the class docstring; the tool has its own description
    return _plain(generated, definitions)


def _plain(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        node = {**definitions[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
        node.pop("description", None)
    options = node.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options and len(options) == 2:
        (other,) = [option for option in options if option != {"type": "null"}]
        node = {**{k: v for k, v in node.items() if k != "anyOf"}, **other}
    plain: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" or (key == "default" and value is None):
            continue
        if key == "properties":
            plain[key] = {name: _plain(schema, definitions) for name, schema in value.items()}
        elif key == "items" and isinstance(value, dict):
            plain[key] = _plain(value, definitions)
        elif key == "anyOf":
            plain[key] = [_plain(option, definitions) for option in value]
        else:
            plain[key] = value
    return plain


def read_arguments(model: type[Arguments], raw: dict[str, Any]) -> Arguments:
    """The model's tool input read through the tool's argument model; InvalidInput naming the first wrong one."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc) from None


_KIND_WORDS = (
    (("float_",), "must be a number"),
    (("int_",), "must be a whole number"),
    (("bool_",), "must be true or false"),
    (("string_",), "must be text"),
    (("list_",), "must be a list"),
    (("model_", "dict_"), "must be an object"),
)


def _invalid(exc: ValidationError) -> InvalidInput:
    error = exc.errors(include_url=False)[0]
    location = [str(part) for part in error["loc"]]
    name = ".".join(location) or "input"
    kind = error["type"]
    if kind == "missing":
        return InvalidInput(f"`{name}` is required", field=location[0] if location else None)
    words = next((text for prefixes, text in _KIND_WORDS if kind.startswith(prefixes)), None)
    if words is None:  # pydantic's own words, as a predicate: "Input should be ..." -> "must be ..."
        words = str(error["msg"]).replace("Input should be ", "must be ", 1)
    given = error.get("input")
    got = f" (got {quoted(str(given), 20)})" if isinstance(given, str | int | float) else ""
    return InvalidInput(f"`{name}` {words}{got}", field=location[0] if location else None)
