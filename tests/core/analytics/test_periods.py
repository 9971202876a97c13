"""Reading --period and resolving windows."""

from __future__ import annotations

from datetime import date

import pytest

from paa.core.analytics.periods import ALL, Period, parse_period
from paa.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "days", "label"),
    [("7d", 7, "7d"), ("30D", 30, "30d"), (" 12w ", 84, "84d"), ("1y", 365, "365d"), ("all", None, "all")],
)
def test_parse(text: str, days: int | None, label: str) -> None:
    assert parse_period(text) == Period(days, label)


@pytest.mark.parametrize("text", ["", "30", "d", "0d", "-3d", "3m", "40000y", "forever"])
def test_refuses(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_period(text)


def test_windows() -> None:
    as_of = date(2026, 11, 26)
    assert parse_period("7d").window(as_of, date(2020, 1, 1)) == (date(2026, 11, 20), as_of)
    assert parse_period("30d").start(as_of, date(2026, 11, 20)) == date(2026, 11, 20)  # never before the data
    assert ALL.start(as_of, date(2026, 1, 1)) == date(2026, 1, 1)
    assert parse_period("7d").previous(as_of) == (date(2026, 11, 13), date(2026, 11, 19))
    assert ALL.previous(as_of) is None
    assert parse_period("7d").to_json(as_of, date(2026, 11, 25)) == {
        "label": "7d",
        "start": "2026-11-25",
        "end": "2026-11-26",
        "days": 2,
    }
