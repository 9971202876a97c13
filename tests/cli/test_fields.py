"""The CLI names the option behind a field core refers to (a habit field, a reminder's time, a range), in the error
and in its hint."""

from __future__ import annotations

from typing import Any

import pytest

from paa.cli.fields import FLAGS, HABIT_FLAGS, as_flags
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
    assert set(HABIT_FLAGS) <= set(FORM_FIELDS)
    assert as_flags("see `paa habit list` for `times`") == "see `paa habit list` for --times"


def test_every_flag_in_the_table_is_a_real_option() -> None:
    import typer.main

    from paa.cli.app import create_app

    options: set[str] = set()

    def walk(command: Any) -> None:
        options.update(opt for param in command.params for opt in getattr(param, "opts", ()))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(create_app()))
    assert set(FLAGS.values()) <= options, set(FLAGS.values()) - options


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        (("remind", "add", "x", "--at", "18:00", "--in", "2h"), "give either --at or --in, not both", None),
        (("remind", "add", "x"), "give either --at, --in or --cron", None),
        (("habit", "history", "water", "--from", "today", "--to", "-1"), "--from (2026-11-26) is after --to", None),
        (("checkin", "history", "--from", "today", "--to", "-1"), "--from 2026-11-26 is after --to 2026-11-25", None),
        (("checkin", "edit", "today"), "nothing to change", "give --mood, --energy or --answer"),
        (("checkin", "--answer", "fine"), "a check-in needs a mood from 1 to 5", "e.g. --mood 4"),
    ],
)
def test_other_errors_name_the_option(cli, args: tuple[str, ...], error: str, hint: str | None) -> None:
    assert cli("habit", "add", "Water", "--unit", "glasses", "--target", "8").code == 0
    assert cli("checkin", "--mood", "3", "--answer", "ok", "--date", "-1").code == 0
    if args[:2] == ("checkin", "edit"):
        assert cli("checkin", "--mood", "3", "--answer", "ok").code == 0
    result = cli(*args)
    assert result.code == 3 and result.out == "", result.err
    lines = result.err.splitlines()
    assert lines[0].startswith(f"paa: error: {error}") and "`" not in lines[0], lines
    if hint:
        assert lines[1].startswith(f"hint: {hint}")


def test_core_names_fields_and_the_cli_names_options(make_ctx) -> None:
    """Core's errors carry the field; the words are the interface's (here the CLI's)."""
    from paa.ai.store import list_conversations
    from paa.core.reminders.upcoming import agenda
    from paa.errors import InvalidInput

    with make_ctx() as ctx:
        with pytest.raises(InvalidInput) as days:
            agenda(ctx, ctx.now(), 0)
        with pytest.raises(InvalidInput) as limit:
            list_conversations(ctx, 0)
    assert (days.value.field, limit.value.field) == ("days", "limit")
    assert "--" not in days.value.message and as_flags(days.value.message).startswith("--days must be between 1")
    assert as_flags(limit.value.message) == "--limit must be at least 1"
