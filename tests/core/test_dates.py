"""Day expressions: every accepted form by example, and properties that hold for any day and any text."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from paa.core.dates import EARLIEST_DAY, WEEKDAYS, parse_day, weekday_index
from paa.errors import InvalidInput

# Thursday 26 November 2026, the day the rest of the suite lives in.
TODAY = date(2026, 11, 26)

# Any realistic "today", and any day up to it.
todays = st.dates(min_value=date(1971, 1, 1), max_value=date(2200, 12, 31))
PROPERTY = settings(max_examples=150, deadline=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", TODAY),
        ("  TODAY ", TODAY),
        ("now", TODAY),
        ("0", TODAY),
        ("-0", TODAY),
        ("yesterday", date(2026, 11, 25)),
        ("Yesterday", date(2026, 11, 25)),
        ("-1", date(2026, 11, 25)),
        ("-3", date(2026, 11, 23)),
        ("-007", date(2026, 11, 19)),
        ("-30", date(2026, 10, 27)),
        ("-365", date(2025, 11, 26)),
        ("2026-11-26", TODAY),
        ("2026-02-28", date(2026, 2, 28)),
        ("2024-02-29", date(2024, 2, 29)),
        ("20261101", date(2026, 11, 1)),
        (" 2026-01-01\n", date(2026, 1, 1)),
    ],
)
def test_accepted_forms(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Today is a Thursday: a weekday name means its last occurrence, today included.
        ("thursday", date(2026, 11, 26)),
        ("thu", date(2026, 11, 26)),
        ("th", date(2026, 11, 26)),
        ("wednesday", date(2026, 11, 25)),
        ("Wed", date(2026, 11, 25)),
        ("tuesday", date(2026, 11, 24)),
        ("tu", date(2026, 11, 24)),
        ("monday", date(2026, 11, 23)),
        ("mo", date(2026, 11, 23)),
        ("sunday", date(2026, 11, 22)),
        ("su", date(2026, 11, 22)),
        ("saturday", date(2026, 11, 21)),
        ("sa", date(2026, 11, 21)),
        ("friday", date(2026, 11, 20)),
        ("FRI", date(2026, 11, 20)),
    ],
)
def test_weekday_names_mean_the_last_occurrence(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "t",  # too short: tuesday or thursday
        "s",  # saturday or sunday
        "m",  # one letter is never enough
        "tomorrow",
        "next monday",
        "2026-13-01",
        "2026-02-30",
        "2025-02-29",
        "26-11-2026",
        "2026/11/26",
        "2026-11",
        "-",
        "--3",
        "+3",
        "-3.5",
        "-1e3",
        "- 3",
        "-100001",  # beyond the 100,000-day limit
        "-²",  # a superscript digit is a "digit" to str.isdigit() but not a number
        "-٣",  # Arabic-Indic digits are not offsets either
        "-" + "9" * 5000,  # more digits than int() converts
        "yesterday\x00",
        "monday; DROP TABLE habits",
    ],
)
def test_unreadable_days_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_day(text, TODAY)
    assert "cannot read" in caught.value.message
    assert "YYYY-MM-DD" in (caught.value.hint or "")


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_day_is_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="empty date"):
        parse_day(text, TODAY)


@pytest.mark.parametrize("text", ["2026-11-27", "2027-01-01", "9999-12-31"])
def test_future_is_refused_unless_allowed(text: str) -> None:
    with pytest.raises(InvalidInput, match="is in the future"):
        parse_day(text, TODAY)
    assert parse_day(text, TODAY, allow_future=True) == date.fromisoformat(text)


def test_huge_input_gives_a_short_message() -> None:
    text = "x" * 1_000_000
    with pytest.raises(InvalidInput) as caught:
        parse_day(text, TODAY)
    assert len(caught.value.message) < 200


def test_days_before_1900_are_refused_not_a_crash() -> None:
    assert parse_day("1900-01-01", TODAY) == EARLIEST_DAY
    for text in ("1899-12-31", "0001-01-05", "-100000"):
        with pytest.raises(InvalidInput, match="too long ago") as caught:
            parse_day(text, TODAY)
        assert caught.value.hint == "paa keeps days from 1900-01-01 on"
    earliest = date(1, 1, 1)  # a Monday: even days the calendar cannot go back from are an error, not a crash
    for text in ("today", "yesterday", "-1", "sunday"):
        with pytest.raises(InvalidInput):
            parse_day(text, earliest)


def test_weekday_index() -> None:
    assert [weekday_index(name) for name in WEEKDAYS] == list(range(7))
    assert weekday_index(" FRIDAY ") == 4
    assert weekday_index("tues") == 1
    assert weekday_index("thurs") == 3
    assert weekday_index("t") is None
    assert weekday_index("mondays") is None
    assert weekday_index("") is None


# --- properties --------------------------------------------------------------------------------


@PROPERTY
@given(today=todays, back=st.integers(min_value=0, max_value=3000))
def test_iso_dates_round_trip(today: date, back: int) -> None:
    day = today - timedelta(days=back)
    assert parse_day(day.isoformat(), today) == day
    assert parse_day(f"  {day.isoformat().upper()} ", today) == day


@PROPERTY
@given(today=todays, offset=st.integers(min_value=0, max_value=100_000))
def test_minus_n_is_exactly_n_days_before(today: date, offset: int) -> None:
    assume(today - timedelta(days=offset) >= EARLIEST_DAY)
    assert parse_day(f"-{offset}", today) == today - timedelta(days=offset)
    assert (today - parse_day(f"-{offset}", today)).days == offset


@PROPERTY
@given(today=todays, weekday=st.integers(min_value=0, max_value=6), length=st.integers(min_value=3, max_value=9))
def test_weekday_names_land_in_the_last_seven_days(today: date, weekday: int, length: int) -> None:
    name = WEEKDAYS[weekday][:length]
    day = parse_day(name, today)
    assert day.weekday() == weekday
    assert 0 <= (today - day).days <= 6


@PROPERTY
@given(today=todays, ahead=st.integers(min_value=1, max_value=100_000))
def test_nothing_in_the_future_is_accepted(today: date, ahead: int) -> None:
    try:
        future = today + timedelta(days=ahead)
    except OverflowError:
        return
    with pytest.raises(InvalidInput, match="future"):
        parse_day(future.isoformat(), today)


@PROPERTY
@given(today=st.dates(), text=st.text(max_size=40))
def test_any_text_gives_a_past_day_or_invalid_input(today: date, text: str) -> None:
    try:
        day = parse_day(text, today)
    except InvalidInput as exc:
        assert exc.message
        return
    assert day <= today


@PROPERTY
@given(
    today=todays,
    text=st.one_of(
        st.from_regex(r"\A-[0-9]{1,8}\Z"),
        st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
        st.sampled_from(["today", "now", "yesterday", *WEEKDAYS]),
    ),
)
def test_well_formed_text_never_lands_in_the_future(today: date, text: str) -> None:
    try:
        day = parse_day(text, today)
    except InvalidInput:
        return
    assert day <= today
    assert parse_day(text, today, allow_future=True) == day
