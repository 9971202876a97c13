"""The CLI names the option behind a habit field core refers to, in the error and in its hint."""

from __future__ import annotations

import pytest

from paa.cli.fields import FLAGS, as_flags
from paa.core.habits.form import FORM_FIELDS


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        (("--times", "9"), "--times must be between 1 and --per (7) (got 9)", None),
        (("--per", "400"), "--per must be between 1 and 366 days (got 400)", None),
        (("--days", "mon", "--times", "2"), "use either --days or --times/--per, not both", None),
        (("--days", ""), "no days given", "e.g. --days mon,wed,fri"),
        (("--remind-days", ","), "no days given", "e.g. --remind-days mon,wed,fri"),
        (("--unit", "cups"), "a measurable habit needs a --target", "e.g. --unit glasses --target 8"),
    ],
)
def test_a_habit_error_names_the_option(cli, args: tuple[str, ...], error: str, hint: str | None) -> None:
    result = cli("habit", "add", "Tea", *args)
    assert result.code == 3 and result.out == ""
    expected = [f"paa: error: {error}"] + ([f"hint: {hint}"] if hint else [])
    assert result.err.splitlines() == expected


def test_an_edit_with_both_schedules_is_refused_as_an_add_is(cli) -> None:
    assert cli("habit", "add", "Run", "--days", "mon").code == 0
    both = cli("habit", "edit", "run", "--days", "tue", "--times", "2")
    assert both.code == 3 and both.err.splitlines() == ["paa: error: use either --days or --times/--per, not both"]


def test_every_option_named_is_a_habit_field_and_other_references_stay() -> None:
    assert set(FLAGS) <= set(FORM_FIELDS)
    assert as_flags("see `paa habit list` for `times`") == "see `paa habit list` for --times"
