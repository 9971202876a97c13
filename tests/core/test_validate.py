"""Numbers as people type them: a decimal point or a decimal comma, never a guessed thousands separator."""

from __future__ import annotations

import pytest

from paa.core.validate import parse_number
from paa.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "number"),
    [("3", 3.0), (" 2.5 ", 2.5), ("2,5", 2.5), ("0,25", 0.25), ("1000", 1000.0), ("12,75", 12.75), ("1,0", 1.0)],
)
def test_a_point_or_a_decimal_comma(text: str, number: float) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["1,000", "12,500", "1,000.5", "1.000,5", "1,2,3"])
def test_a_comma_that_may_group_thousands_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="ambiguous") as caught:
        parse_number(text, "amount")
    assert caught.value.message.startswith("amount ")
    assert caught.value.hint and "1000" in caught.value.hint


@pytest.mark.parametrize("text", ["abc", "", "3 glasses", ",", "x,5"])
def test_what_is_not_a_number(text: str) -> None:
    with pytest.raises(InvalidInput, match="must be a number"):
        parse_number(text)
