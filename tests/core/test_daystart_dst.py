"""The local habit day: the day-start hour and daylight-saving changes, in core and through the CLI.

Transitions used (2026):
  America/New_York  spring forward Sun 8 March 02:00 EST -> 03:00 EDT (07:00 UTC)
                    fall back      Sun 1 November 02:00 EDT -> 01:00 EST (06:00 UTC)
  Europe/Berlin     spring forward Sun 29 March 02:00 CET -> 03:00 CEST (01:00 UTC)
                    fall back      Sun 25 October 03:00 CEST -> 02:00 CET (01:00 UTC)
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paa.clock import habit_day

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "zone", "start_hour", "expected"),
    [
        # An ordinary day: with start hour 4, 01:30 still belongs to yesterday; 04:00 is today.
        ("2026-11-26T01:30", UTC_ZONE, 0, date(2026, 11, 26)),
        ("2026-11-26T01:30", UTC_ZONE, 4, date(2026, 11, 25)),
        ("2026-11-26T03:59:59", UTC_ZONE, 4, date(2026, 11, 25)),
        ("2026-11-26T04:00", UTC_ZONE, 4, date(2026, 11, 26)),
        ("2026-11-26T23:59", UTC_ZONE, 23, date(2026, 11, 26)),
        ("2026-11-26T22:59", UTC_ZONE, 23, date(2026, 11, 25)),
        # The zone decides the day: 03:00 UTC is still the evening before in New York.
        ("2026-11-26T03:00", NEW_YORK, 0, date(2026, 11, 25)),
        ("2026-11-26T00:30", BERLIN, 0, date(2026, 11, 26)),  # 01:30 CET
        ("2026-11-26T00:30", BERLIN, 4, date(2026, 11, 25)),
        # New York, spring forward night (Sat 7 -> Sun 8 March).
        ("2026-03-08T06:30", NEW_YORK, 4, date(2026, 3, 7)),  # 01:30 EST
        ("2026-03-08T07:30", NEW_YORK, 4, date(2026, 3, 7)),  # 03:30 EDT, an hour later by the clock on the wall
        ("2026-03-08T08:00", NEW_YORK, 4, date(2026, 3, 8)),  # 04:00 EDT
        ("2026-03-08T06:59", NEW_YORK, 2, date(2026, 3, 7)),  # 01:59 EST; 02:00 never happens
        ("2026-03-08T07:00", NEW_YORK, 2, date(2026, 3, 8)),  # 03:00 EDT: the day began in the gap
        ("2026-03-08T04:59", NEW_YORK, 0, date(2026, 3, 7)),  # 23:59 EST
        ("2026-03-08T05:00", NEW_YORK, 0, date(2026, 3, 8)),  # midnight EST
        # New York, fall back night (Sat 31 October -> Sun 1 November): 01:30 happens twice.
        ("2026-11-01T05:30", NEW_YORK, 4, date(2026, 10, 31)),  # 01:30 EDT
        ("2026-11-01T06:30", NEW_YORK, 4, date(2026, 10, 31)),  # 01:30 EST
        ("2026-11-01T08:59", NEW_YORK, 4, date(2026, 10, 31)),  # 03:59 EST
        ("2026-11-01T09:00", NEW_YORK, 4, date(2026, 11, 1)),  # 04:00 EST
        ("2026-11-01T05:00", NEW_YORK, 1, date(2026, 11, 1)),  # 01:00 EDT, the first one
        ("2026-11-01T04:59", NEW_YORK, 1, date(2026, 10, 31)),  # 00:59 EDT
        ("2026-11-01T06:00", NEW_YORK, 1, date(2026, 11, 1)),  # 01:00 EST, the second one: still Sunday
        # Berlin, spring forward (Sat 28 -> Sun 29 March).
        ("2026-03-29T00:30", BERLIN, 4, date(2026, 3, 28)),  # 01:30 CET
        ("2026-03-29T01:30", BERLIN, 4, date(2026, 3, 28)),  # 03:30 CEST
        ("2026-03-29T02:00", BERLIN, 4, date(2026, 3, 29)),  # 04:00 CEST
        ("2026-03-28T23:00", BERLIN, 0, date(2026, 3, 29)),  # midnight CET
        # Berlin, fall back (Sat 24 -> Sun 25 October): 02:30 happens twice.
        ("2026-10-25T00:30", BERLIN, 4, date(2026, 10, 24)),  # 02:30 CEST
        ("2026-10-25T01:30", BERLIN, 4, date(2026, 10, 24)),  # 02:30 CET
        ("2026-10-25T02:59", BERLIN, 4, date(2026, 10, 24)),  # 03:59 CET
        ("2026-10-25T03:00", BERLIN, 4, date(2026, 10, 25)),  # 04:00 CET
        ("2026-10-25T01:00", BERLIN, 3, date(2026, 10, 24)),  # 02:00 CET, after 02:59 CEST
        ("2026-10-25T01:00", BERLIN, 2, date(2026, 10, 25)),
    ],
)
def test_habit_day(instant: str, zone: ZoneInfo, start_hour: int, expected: date) -> None:
    assert habit_day(utc(instant), zone, start_hour) == expected


def test_habit_day_takes_any_offset() -> None:
    # The same instant written with another offset is the same habit day.
    instant = datetime.fromisoformat("2026-03-07T20:30:00-05:00")
    assert habit_day(instant, NEW_YORK, 4) == habit_day(instant.astimezone(UTC), NEW_YORK, 4) == date(2026, 3, 7)


TRANSITIONS = [
    (NEW_YORK, "2026-03-08T07:00"),
    (NEW_YORK, "2026-11-01T06:00"),
    (BERLIN, "2026-03-29T01:00"),
    (BERLIN, "2026-10-25T01:00"),
]


@pytest.mark.parametrize(("zone", "change"), TRANSITIONS)
def test_days_around_a_change_are_contiguous_and_begin_at_the_start_hour(zone: ZoneInfo, change: str) -> None:
    """Walk three days around a change in 15-minute steps, for every start hour."""
    step = timedelta(minutes=15)
    begin = utc(change) - timedelta(days=2)
    instants = [begin + step * i for i in range(4 * 24 * 4)]
    for start_hour in range(24):
        days = [habit_day(t, zone, start_hour) for t in instants]
        firsts: dict[date, datetime] = {}
        for previous, current, instant in zip(days, days[1:], instants[1:], strict=False):
            assert (current - previous).days in (0, 1), (start_hour, instant)
            if current != previous:
                firsts[current] = instant
        # A day begins at the start hour on the wall clock, or at the end of the gap when that
        # hour is skipped (03:00 in both zones on the spring-forward night).
        for day, first in firsts.items():
            local = first.astimezone(zone)
            assert local.date() == day
            assert local.minute == 0
            assert local.hour == start_hour or (local.hour == 3 and start_hour == 2), (start_hour, local)
        # Whole days in the walk last 23, 24 or 25 hours, and exactly one of them is not 24.
        ordered = sorted(firsts)
        hours = [(firsts[b] - firsts[a]) / timedelta(hours=1) for a, b in itertools.pairwise(ordered)]
        assert set(hours) <= {23.0, 24.0, 25.0}
        assert sum(h != 24.0 for h in hours) <= 1


zones = st.sampled_from([NEW_YORK, BERLIN, UTC_ZONE, ZoneInfo("Asia/Kolkata"), ZoneInfo("Australia/Lord_Howe")])


@settings(max_examples=200, deadline=None)
@given(
    instant=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)),
    zone=zones,
    start_hour=st.integers(min_value=0, max_value=23),
)
def test_before_the_start_hour_is_the_previous_day(instant: datetime, zone: ZoneInfo, start_hour: int) -> None:
    local = instant.astimezone(zone)
    day = habit_day(instant, zone, start_hour)
    expected = local.date() if local.hour >= start_hour else local.date() - timedelta(days=1)
    assert day == expected
    assert habit_day(instant, zone) == local.date()


# --- through the CLI ---------------------------------------------------------------------------


def at(monkeypatch: pytest.MonkeyPatch, instant: str) -> None:
    """Set the CLI's clock to a UTC instant."""
    monkeypatch.setenv("PAA_NOW", f"{instant}:00+00:00")


def logged_days(cli, habit: str) -> list[str]:
    result = cli("habit", "history", habit, "--json")
    assert result.code == 0, result.err
    return [row["day"] for row in json.loads(result.out)["logs"]]


def test_cli_log_after_midnight_counts_for_the_day_before(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", "Europe/Berlin")
    at(monkeypatch, "2026-11-20T12:00")
    assert cli("config", "set", "day_start_hour", "4").code == 0
    assert cli("habit", "add", "Read").code == 0
    at(monkeypatch, "2026-11-26T00:30")  # Thursday 01:30 CET
    logged = cli("habit", "log", "read", "--json")
    assert logged.code == 0, logged.err
    assert logged_days(cli, "read") == ["2026-11-25"]
    today = json.loads(cli("habit", "today", "--json").out)
    assert today["day"] == "2026-11-25"
    # Without a day-start hour the same instant is Thursday.
    assert cli("config", "set", "day_start_hour", "0").code == 0
    assert json.loads(cli("habit", "today", "--json").out)["day"] == "2026-11-26"


def test_cli_logs_on_dst_nights_land_on_the_evening_before(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", "America/New_York")
    at(monkeypatch, "2026-03-01T17:00")
    assert cli("config", "set", "day_start_hour", "4").code == 0
    assert cli("habit", "add", "Stretch").code == 0
    at(monkeypatch, "2026-03-08T07:30")  # 03:30 EDT on the spring-forward night, before 04:00
    assert cli("habit", "log", "stretch").code == 0
    assert logged_days(cli, "stretch") == ["2026-03-07"]
    at(monkeypatch, "2026-11-01T05:30")  # 01:30 EDT on the fall-back night
    assert cli("habit", "log", "stretch").code == 0
    at(monkeypatch, "2026-11-01T06:30")  # 01:30 EST, the same wall-clock time an hour later
    again = cli("habit", "log", "stretch", "--json")
    assert json.loads(again.out)["outcome"] == "unchanged"
    assert logged_days(cli, "stretch") == ["2026-10-31", "2026-03-07"]


@pytest.mark.parametrize(
    ("zone", "start_hour", "created", "logs", "checked", "days"),
    [
        # New York, fall back weekend, day starting at 04:00; logs late in the evening or after midnight.
        (
            "America/New_York",
            "4",
            "2026-10-30T20:00",  # Fri 16:00 EDT
            [
                "2026-10-31T02:00",  # Fri 22:00 EDT
                "2026-11-01T06:30",  # Sun 01:30 EST (second pass): counts for Saturday
                "2026-11-02T04:00",  # Sun 23:00 EST
                "2026-11-03T08:30",  # Tue 03:30 EST: counts for Monday
            ],
            "2026-11-03T17:00",  # Tue 12:00 EST, not done yet
            ["2026-11-02", "2026-11-01", "2026-10-31", "2026-10-30"],
        ),
        # Berlin, spring forward weekend, plain midnight day start.
        (
            "Europe/Berlin",
            "0",
            "2026-03-27T08:00",
            [
                "2026-03-27T22:30",  # Fri 23:30 CET
                "2026-03-28T22:30",  # Sat 23:30 CET
                "2026-03-29T21:30",  # Sun 23:30 CEST
                "2026-03-30T21:30",  # Mon 23:30 CEST
            ],
            "2026-03-31T10:00",  # Tue 12:00 CEST, not done yet
            ["2026-03-30", "2026-03-29", "2026-03-28", "2026-03-27"],
        ),
    ],
)
def test_cli_daily_streak_survives_a_dst_weekend(
    cli, monkeypatch: pytest.MonkeyPatch, zone, start_hour, created, logs, checked, days
) -> None:
    monkeypatch.setenv("PAA_TIMEZONE", zone)
    at(monkeypatch, created)
    assert cli("config", "set", "day_start_hour", start_hour).code == 0
    assert cli("habit", "add", "Walk").code == 0
    for instant in logs:
        at(monkeypatch, instant)
        result = cli("habit", "log", "walk")
        assert result.code == 0, result.err
    at(monkeypatch, checked)
    assert logged_days(cli, "walk") == days
    [walk] = json.loads(cli("habit", "list", "--json").out)
    assert walk["today"]["state"] == "due"
    assert walk["streak"] == {"current": 4, "current_start": days[-1], "best": 4}
    shown = json.loads(cli("habit", "show", "walk", "--json").out)
    states = {row["day"]: row["state"] for row in shown["recent"]}
    assert [states[day] for day in reversed(days)] == ["done"] * 4
    assert shown["stats"]["completion"]["7d"] == 1.0
