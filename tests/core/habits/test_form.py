"""The habit form parser: the same fields from CLI options, form text or tool JSON; errors name their field."""

from __future__ import annotations

import pytest

from paa.core.habits.form import FORM_FIELDS, parse_habit_form, read_habit_form
from paa.core.habits.manage import UNSET
from paa.errors import InvalidInput


def test_text_numbers_and_booleans_give_the_same_fields() -> None:
    as_text = parse_habit_form({"name": " Water ", "unit": "glasses", "target": "2,5", "at_most": "no", "times": "3",
                                "per": "7", "remind": "9:00, 13:00", "remind_days": " weekends "})  # fmt: skip
    typed = parse_habit_form({"name": "Water", "unit": "glasses", "target": 2.5, "at_most": False, "times": 3,
                              "per": 7.0, "remind": "09:00,13:00", "remind_days": "weekends"})  # fmt: skip
    assert as_text == typed
    assert (typed.name, typed.target, typed.times, typed.per) == ("Water", 2.5, 3, 7)
    assert typed.remind == "09:00,13:00" and typed.remind_days == "weekends"


def test_fields_not_given_stay_unset_and_blank_ones_clear() -> None:
    fields = parse_habit_form({"category": "  ", "remind": "none", "remind_days": "", "color": ""})
    assert fields.category is None and fields.remind is None and fields.remind_days == "" and fields.color is None
    assert fields.name is UNSET and fields.target is UNSET and fields.days is UNSET


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": ""}, "name", "habit name cannot be empty"),
        ({"name": "42"}, "name", "a habit name cannot be only digits"),
        ({"target": "lots"}, "target", "`target` must be a number (got 'lots')"),
        ({"target": -1}, "target", "target must be zero or more (got -1)"),
        ({"unit": "km", "target": None}, "target", "a measurable habit needs a `target`"),
        ({"at_most": "maybe"}, "at_most", "`at_most` must be true or false (got 'maybe')"),
        ({"times": "x"}, "times", "`times` must be a whole number (got 'x')"),
        ({"times": 2.5}, "times", "`times` must be a whole number (got '2.5')"),
        ({"times": 9, "per": 7}, "times", "`times` must be between 1 and `per` (7) (got 9)"),
        ({"per": 0}, "per", "`per` must be between 1 and 366 days (got 0)"),
        ({"days": "mon", "times": 2}, "days", "use either `days` or `times`/`per`, not both"),
        ({"days": "someday"}, "days", "unknown day 'someday'"),
        ({"remind": "25:00"}, "remind", "reminder time '25:00' must be a time between 00:00 and 23:59"),
        ({"remind": "9"}, "remind", "reminder time '9' must be a time as HH:MM, e.g. 21:30"),
        ({"remind_days": "someday"}, "remind_days", "unknown day 'someday'"),
        ({"color": "plaid"}, "color", "unknown colour 'plaid'"),
        ({"category": "x" * 51}, "category", "category is too long (51 characters; the limit is 50)"),
        ({"schedule": "weekdays"}, "days", "choose the days, e.g. mon,wed,fri"),
        ({"schedule": "hourly"}, "schedule", "`schedule` must be one of daily, weekdays, x_per_y"),
        ({"colour": "red"}, "colour", "no habit field named 'colour'"),
    ],
)
def test_a_wrong_field_is_an_error_that_names_it(values: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_habit_form(values)
    assert caught.value.field == field
    assert caught.value.message == message


def test_every_wrong_field_is_reported_and_the_first_is_raised() -> None:
    values = {"name": "Run", "unit": "km", "target": "lots", "schedule": "x_per_y", "times": "9", "per": "7",
              "remind": "25:00", "color": "plaid"}  # fmt: skip
    _fields, errors = read_habit_form(values)
    assert sorted(errors) == ["color", "remind", "target", "times"]
    assert all(error.field == name for name, error in errors.items())
    with pytest.raises(InvalidInput) as caught:
        parse_habit_form(values)
    assert caught.value.field == "target"  # the first in the form's order


def test_the_schedule_says_which_of_days_times_and_per_count() -> None:
    form = {"days": "mon", "times": "x", "per": "7"}
    assert parse_habit_form({**form, "schedule": "weekdays"}).days == "mon"
    daily = parse_habit_form({**form, "schedule": "daily"})
    assert (daily.days, daily.times, daily.per) == (None, None, None)
    every_other = parse_habit_form({"days": "", "times": "1", "per": "2", "schedule": "x_per_y"})
    assert (every_other.days, every_other.times, every_other.per) == (None, 1, 2)


def test_the_form_fields_are_the_habit_fields() -> None:
    from dataclasses import fields

    from paa.core.habits.manage import HabitFields

    assert set(FORM_FIELDS) - {"schedule"} == {field.name for field in fields(HabitFields)}
