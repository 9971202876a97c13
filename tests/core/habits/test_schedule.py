"""Schedules: reading days, building from the days/times/per fields, describing, and which days are due."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paa.core.habits.schedule import (
    MAX_PERIOD_DAYS,
    SHORT_DAYS,
    Schedule,
    bits_to_weekdays,
    build_schedule,
    parse_weekdays,
    weekdays_to_bits,
)
from paa.errors import InvalidInput

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
PROPERTY = settings(max_examples=150, deadline=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon,wed,fri", {MON, WED, FRI}),
        ("Mon, Wed, Fri", {MON, WED, FRI}),
        ("mon wed fri", {MON, WED, FRI}),
        ("monday,wednesday", {MON, WED}),
        ("MONDAY", {MON}),
        ("tu,th", {TUE, THU}),
        ("tues,thurs", {TUE, THU}),
        ("sa,su", {SAT, SUN}),
        ("weekdays", {MON, TUE, WED, THU, FRI}),
        ("workdays", {MON, TUE, WED, THU, FRI}),
        ("weekends", {SAT, SUN}),
        ("weekend", {SAT, SUN}),
        ("daily", set(range(7))),
        ("everyday", set(range(7))),
        ("weekends,mon", {SAT, SUN, MON}),
        ("mon,mon,monday", {MON}),
        (",mon,,fri,", {MON, FRI}),
    ],
)
def test_parse_weekdays(text: str, expected: set[int]) -> None:
    assert parse_weekdays(text) == frozenset(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no days given"),
        (" , ,", "no days given"),
        ("t", "unknown day 't'"),  # tuesday or thursday
        ("s", "unknown day 's'"),
        ("m", "unknown day 'm'"),
        ("mon,xyz", "unknown day 'xyz'"),
        ("mon;wed", "unknown day 'mon;wed'"),
        ("1,2,3", "unknown day '1'"),
        ("lundi", "unknown day 'lundi'"),
        ("mondays", "unknown day 'mondays'"),
    ],
)
def test_parse_weekdays_refuses(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_weekdays(text)
    assert caught.value.message == message


def test_unknown_day_message_stays_short_for_huge_input() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_weekdays("x" * 1_000_000)
    assert len(caught.value.message) < 100
    assert "mon,tue" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, Schedule("daily")),
        ({"days": "mon,wed,fri"}, Schedule("weekdays", frozenset({MON, WED, FRI}))),
        ({"days": "weekdays"}, Schedule("weekdays", frozenset(range(5)))),
        ({"days": "daily"}, Schedule("daily")),
        ({"days": "mon,tue,wed,thu,fri,sat,sun"}, Schedule("daily")),  # every day is just daily
        ({"times": 5, "per": 7}, Schedule("x_per_y", times=5, period_days=7)),
        ({"times": 3}, Schedule("x_per_y", times=3, period_days=7)),  # --per defaults to a week
        ({"per": 3}, Schedule("x_per_y", times=1, period_days=3)),  # --times defaults to once
        ({"times": 1, "per": 1}, Schedule("daily")),
        ({"times": 7, "per": 7}, Schedule("daily")),  # every day of the period is daily
        ({"times": 1, "per": MAX_PERIOD_DAYS}, Schedule("x_per_y", times=1, period_days=MAX_PERIOD_DAYS)),
    ],
)
def test_build_schedule(kwargs: dict[str, object], expected: Schedule) -> None:
    assert build_schedule(**kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message", "field"),
    [
        ({"days": "mon", "times": 2}, "either `days` or `times`/`per`", "days"),
        ({"days": "mon", "per": 7}, "either `days` or `times`/`per`", "days"),
        ({"times": 0, "per": 7}, "`times` must be between 1 and `per` (7) (got 0)", "times"),
        ({"times": -1, "per": 7}, "`times` must be between 1 and `per` (7) (got -1)", "times"),
        ({"times": 8, "per": 7}, "`times` must be between 1 and `per` (7) (got 8)", "times"),
        ({"times": 9}, "`times` must be between 1 and `per` (7) (got 9)", "times"),
        ({"per": 0}, "`per` must be between 1 and 366 days (got 0)", "per"),
        ({"per": -7}, "`per` must be between 1 and 366 days (got -7)", "per"),
        ({"times": 1, "per": MAX_PERIOD_DAYS + 1}, "`per` must be between 1 and 366 days (got 367)", "per"),
        ({"times": 10**30, "per": 10**30}, "`per` must be between 1 and 366 days", "per"),
        ({"days": ""}, "no days given", "days"),
    ],
)
def test_build_schedule_refuses(kwargs: dict[str, object], message: str, field: str) -> None:
    """Each refusal names its field, and refers to the others in backticks for an interface to name them."""
    with pytest.raises(InvalidInput) as caught:
        build_schedule(**kwargs)  # type: ignore[arg-type]
    assert message in caught.value.message
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        (Schedule("daily"), "every day"),
        (Schedule("weekdays", frozenset(range(5))), "weekdays"),
        (Schedule("weekdays", frozenset({SAT, SUN})), "weekends"),
        (Schedule("weekdays", frozenset({FRI, MON, WED})), "Mon, Wed, Fri"),
        (Schedule("weekdays", frozenset({SUN})), "Sun"),
        (Schedule("x_per_y", times=5, period_days=7), "5 times a week"),
        (Schedule("x_per_y", times=1, period_days=7), "once a week"),
        (Schedule("x_per_y", times=1, period_days=3), "once in 3 days"),
        (Schedule("x_per_y", times=10, period_days=30), "10 times in 30 days"),
    ],
)
def test_describe(schedule: Schedule, text: str) -> None:
    assert schedule.describe() == text
    assert schedule.to_json()["text"] == text


def test_to_json() -> None:
    assert Schedule("weekdays", frozenset({FRI, MON, WED})).to_json() == {
        "type": "weekdays",
        "weekdays": ["mon", "wed", "fri"],
        "times": 1,
        "period_days": 1,
        "text": "Mon, Wed, Fri",
    }
    assert Schedule("x_per_y", times=1, period_days=3).to_json() == {
        "type": "x_per_y",
        "weekdays": [],
        "times": 1,
        "period_days": 3,
        "text": "once in 3 days",
    }


def test_is_scheduled() -> None:
    monday = date(2026, 11, 23)
    week = [monday + timedelta(days=i) for i in range(7)]
    assert [Schedule("daily").is_scheduled(d) for d in week] == [True] * 7
    mwf = Schedule("weekdays", frozenset({MON, WED, FRI}))
    assert [mwf.is_scheduled(d) for d in week] == [True, False, True, False, True, False, False]
    # An X-per-Y habit may be done on any day.
    assert all(Schedule("x_per_y", times=2, period_days=7).is_scheduled(d) for d in week)


def test_weekday_bits() -> None:
    assert weekdays_to_bits(frozenset()) == 0
    assert weekdays_to_bits(frozenset({MON})) == 1
    assert weekdays_to_bits(frozenset({MON, WED, FRI})) == 0b10101
    assert weekdays_to_bits(frozenset(range(7))) == 127
    assert bits_to_weekdays(0b1100000) == frozenset({SAT, SUN})


# --- properties --------------------------------------------------------------------------------

day_sets = st.frozensets(st.integers(min_value=0, max_value=6), min_size=1)
spellings = st.sampled_from(
    [
        lambda i: SHORT_DAYS[i],
        lambda i: ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[i],
        lambda i: SHORT_DAYS[i].upper(),
        lambda i: ("mo", "tu", "we", "th", "fr", "sa", "su")[i],
    ]
)


@PROPERTY
@given(days=day_sets, spell=spellings, separator=st.sampled_from([",", ", ", " ", " , "]), data=st.data())
def test_any_spelling_of_a_day_set_reads_back(days: frozenset[int], spell, separator: str, data) -> None:
    order = data.draw(st.permutations(sorted(days)))
    text = separator.join(spell(i) for i in order)
    assert parse_weekdays(text) == days


@PROPERTY
@given(days=st.frozensets(st.integers(min_value=0, max_value=6)))
def test_weekday_bits_round_trip(days: frozenset[int]) -> None:
    bits = weekdays_to_bits(days)
    assert 0 <= bits < 128
    assert bits_to_weekdays(bits) == days


@PROPERTY
@given(days=day_sets)
def test_built_weekday_schedule_is_due_exactly_on_its_days(days: frozenset[int]) -> None:
    text = ",".join(SHORT_DAYS[i] for i in days)
    schedule = build_schedule(days=text)
    monday = date(2026, 11, 23)
    due = {d for d in range(7) if schedule.is_scheduled(monday + timedelta(days=d))}
    assert due == days
    assert (schedule.type == "daily") == (len(days) == 7)
    # The JSON form names the same days, and the description never comes out empty.
    if schedule.type == "weekdays":
        assert schedule.to_json()["weekdays"] == [SHORT_DAYS[i] for i in sorted(days)]
    assert schedule.describe()


@PROPERTY
@given(times=st.integers(min_value=-5, max_value=400), per=st.integers(min_value=-5, max_value=400))
def test_times_per_rules(times: int, per: int) -> None:
    valid = 1 <= per <= MAX_PERIOD_DAYS and 1 <= times <= per
    if not valid:
        with pytest.raises(InvalidInput):
            build_schedule(times=times, per=per)
        return
    schedule = build_schedule(times=times, per=per)
    if times == per:
        assert schedule == Schedule("daily")
    else:
        assert (schedule.type, schedule.times, schedule.period_days) == ("x_per_y", times, per)
        assert str(per) in schedule.describe() or per == 7


@PROPERTY
@given(text=st.text(max_size=30))
def test_any_days_text_reads_or_is_invalid_input(text: str) -> None:
    try:
        days = parse_weekdays(text)
    except InvalidInput as exc:
        assert exc.message
        return
    assert days and days <= frozenset(range(7))
