"""The one reader of times of day, used by habit reminders, the check-in time, reminders and the assistant's tools."""

from __future__ import annotations

from datetime import time

import pytest

from paa.timeofday import hhmm, parse_time_of_day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:30", time(21, 30)),
        ("9:05", time(9, 5)),
        (" 7:5 ", time(7, 5)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("9pm", time(21, 0)),
        ("9:30 am", time(9, 30)),
        ("12am", time(0, 0)),
        ("12:15PM", time(12, 15)),
    ],
)
def test_reads_the_ways_people_write_a_time(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("9", "must be a time as HH:MM, e.g. 21:30"),  # a bare number could be a count or a date
        ("nine", "must be a time as HH:MM, e.g. 21:30"),
        ("ab:cd", "must be a time as HH:MM, e.g. 21:30"),
        ("", "must be a time as HH:MM, e.g. 21:30"),
        ("9:00:30", "must be a time as HH:MM, e.g. 21:30"),
        ("24:00", "must be a time between 00:00 and 23:59"),
        ("21:60", "must be a time between 00:00 and 23:59"),
    ],
)
def test_refuses_what_is_not_a_time_of_day(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_time_of_day(text)


def test_seconds_when_asked_and_the_stored_form() -> None:
    assert parse_time_of_day("18:00:30", seconds=True) == time(18, 0, 30)
    assert hhmm("9:05am") == hhmm("09:05") == "09:05"
