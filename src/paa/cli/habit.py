"""`paa habit`: add, list, show, change and log habits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from paa.cli.output import confirm, emit_json, say

DATE_HELP = "Day: today, yesterday, -N, a weekday name or YYYY-MM-DD."
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/json.md).")]
DateOpt = Annotated[str, typer.Option("--date", "-d", help=DATE_HELP)]
NoteOpt = Annotated[str | None, typer.Option("--note", "-n", help="A note for the day.")]
HabitArg = Annotated[str, typer.Argument(help="Habit id, name, or a unique prefix of it.", show_default=False)]


def create() -> typer.Typer:
    app = typer.Typer(help="Track habits: add, log, skip and review them.", no_args_is_help=True)
    commands: list[tuple[str, Callable[..., None]]] = [
        ("add", add), ("list", list_), ("today", today), ("show", show), ("log", log),
        ("skip", skip), ("unlog", unlog), ("history", history), ("edit", edit),
        ("rename", rename), ("archive", archive), ("unarchive", unarchive), ("delete", delete),
    ]  # fmt: skip
    for name, function in commands:
        app.command(name)(function)
    return app


def add(
    name: Annotated[str, typer.Argument(help="Name of the habit.", show_default=False)],
    unit: Annotated[str | None, typer.Option(help="Unit of a measurable habit, e.g. glasses, km.")] = None,
    target: Annotated[float | None, typer.Option(help="Daily target of a measurable habit.")] = None,
    at_most: Annotated[bool, typer.Option("--at-most/--at-least", help="Target is a ceiling / a floor.")] = False,
    days: Annotated[str | None, typer.Option(help="Weekdays it is due: mon,wed,fri, weekdays, weekends.")] = None,
    times: Annotated[int | None, typer.Option(help="Times per period (with --per).")] = None,
    per: Annotated[int | None, typer.Option(help="Period in days for --times (default 7).")] = None,
    remind: Annotated[str | None, typer.Option(help="Reminder times, e.g. 09:00 or 09:00,18:00.")] = None,
    remind_days: Annotated[str | None, typer.Option(help="Days for reminders (default: the days it is due).")] = None,
    category: Annotated[str | None, typer.Option("--category", "-c", help="Category, e.g. health.")] = None,
    color: Annotated[str | None, typer.Option(help="Colour: a name or #rrggbb.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Longer description.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a habit.

    Examples:

      paa habit add "Drink water" --unit glasses --target 8 --remind 09:00

      paa habit add Run --days mon,wed,fri --category health

      paa habit add Meditate --times 5 --per 7
    """
    from paa.cli import runtime
    from paa.core.habits.form import parse_habit_form
    from paa.core.habits.manage import add_habit
    from paa.core.habits.overview import definition_text, habit_json

    fields = parse_habit_form({
        "name": name, "unit": unit, "target": target, "at_most": at_most, "days": days, "times": times, "per": per,
        "remind": remind, "remind_days": remind_days, "category": category, "color": color, "description": description,
    })  # fmt: skip
    with runtime.current().context(write=True) as ctx:
        habit = add_habit(ctx, fields)
        data, words = habit_json(habit), definition_text(habit)
    if as_json:
        emit_json(data)
    else:
        from paa.cli.habit_views import escape

        say(f"Added [bold]{escape(habit.name)}[/] (#{habit.id}): {escape(words)}.")


def list_(
    all_: Annotated[bool, typer.Option("--all", "-a", help="Include archived habits.")] = False,
    category: Annotated[str | None, typer.Option("--category", "-c", help="Only this category.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List habits with today's status, streak and schedule."""
    from paa.cli import runtime
    from paa.core.habits.manage import list_habits
    from paa.core.habits.overview import statuses

    with runtime.current().context() as ctx:
        # The table shows the current streak only: the best one (in JSON) needs every log read.
        found = statuses(ctx, list_habits(ctx, include_archived=all_, category=category), best=as_json)
    if as_json:
        emit_json([status.to_json() for status in found])
        return
    from paa.cli.habit_views import render_list

    render_list(found)


def today(as_json: JsonOpt = False) -> None:
    """Show what is due today, what is done and what is left."""
    from paa.cli import runtime
    from paa.core.habits.manage import list_habits
    from paa.core.habits.overview import statuses

    with runtime.current().context() as ctx:
        found = statuses(ctx, list_habits(ctx), best=as_json)
        day = ctx.today()
    if as_json:
        emit_json({"day": day.isoformat(), "habits": [status.to_json() for status in found]})
        return
    from paa.cli.habit_views import render_today

    render_today(day, found)


def show(
    habit: HabitArg,
    weeks: Annotated[int, typer.Option(min=1, max=52, help="Weeks in the strip of recent days.")] = 8,
    as_json: JsonOpt = False,
) -> None:
    """Show a habit's details, its recent weeks and key figures."""
    from paa.cli import runtime
    from paa.core.habits.manage import resolve_habit
    from paa.core.habits.overview import detail

    with runtime.current().context() as ctx:
        found = detail(ctx, resolve_habit(ctx, habit), weeks=weeks)
        week_start = ctx.prefs.week_start
    if as_json:
        emit_json(found.to_json())
        return
    from paa.cli.habit_views import render_detail

    render_detail(found, week_start)


def log(
    habit: HabitArg,
    value: Annotated[str | None, typer.Argument(help="Amount, for a measurable habit.", show_default=False)] = None,
    date: DateOpt = "today",
    note: NoteOpt = None,
    replace: Annotated[bool, typer.Option("--set", help="Replace the day's amount instead of adding to it.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Log a habit as done, with an amount when it is measurable.

    Examples:

      paa habit log water 3

      paa habit log run --date yesterday --note "5 km, easy"
    """
    from paa.cli import runtime
    from paa.core.dates import parse_day
    from paa.core.habits.logs import log_habit
    from paa.core.habits.manage import resolve_habit
    from paa.core.validate import parse_number

    amount = None if value is None else parse_number(value)
    with runtime.current().context(write=True) as ctx:
        found = resolve_habit(ctx, habit)
        result = log_habit(ctx, found, parse_day(date, ctx.today()), value=amount, note=note, replace=replace)
    from paa.cli.habit_views import report_log

    report_log(found, result, as_json)


def skip(habit: HabitArg, date: DateOpt = "today", note: NoteOpt = None, as_json: JsonOpt = False) -> None:
    """Skip a habit for a day: it does not count, and does not break a streak."""
    from paa.cli import runtime
    from paa.core.dates import parse_day
    from paa.core.habits.logs import skip_habit
    from paa.core.habits.manage import resolve_habit

    with runtime.current().context(write=True) as ctx:
        found = resolve_habit(ctx, habit)
        result = skip_habit(ctx, found, parse_day(date, ctx.today()), note=note)
    from paa.cli.habit_views import report_log

    report_log(found, result, as_json)


def unlog(habit: HabitArg, date: DateOpt = "today") -> None:
    """Remove what was logged or skipped for a habit on a day."""
    from paa.cli import runtime
    from paa.core.dates import parse_day
    from paa.core.habits.logs import unlog_habit
    from paa.core.habits.manage import resolve_habit

    with runtime.current().context(write=True) as ctx:
        found = resolve_habit(ctx, habit)
        removed = unlog_habit(ctx, found, parse_day(date, ctx.today()))
    from paa.cli.habit_views import escape

    say(f"Removed the {removed.status} entry of {escape(found.name)} on {removed.day.isoformat()}.")


def history(
    habit: HabitArg,
    from_: Annotated[str | None, typer.Option("--from", help="First day. " + DATE_HELP)] = None,
    to: Annotated[str | None, typer.Option("--to", help="Last day. " + DATE_HELP)] = None,
    as_json: JsonOpt = False,
) -> None:
    """List a habit's logged and skipped days, newest first."""
    from paa.cli import runtime
    from paa.core.dates import parse_day
    from paa.core.habits.logs import history as read_history
    from paa.core.habits.manage import resolve_habit
    from paa.core.habits.overview import logged_days

    with runtime.current().context() as ctx:
        found = resolve_habit(ctx, habit)
        today_ = ctx.today()
        start = parse_day(from_, today_) if from_ else None
        end = parse_day(to, today_) if to else None
        days = logged_days(ctx, found, read_history(ctx, found, start, end))
    if as_json:
        emit_json({"habit": {"id": found.id, "name": found.name}, "logs": [day.to_json() for day in days]})
        return
    from paa.cli.habit_views import render_history

    render_history(found, days)


def edit(
    habit: HabitArg,
    unit: Annotated[str | None, typer.Option(help="Unit; '' makes it a yes/no habit with --target ''.")] = None,
    target: Annotated[float | None, typer.Option(help="Daily target of a measurable habit.")] = None,
    at_most: Annotated[bool | None, typer.Option("--at-most/--at-least", help="Target is a ceiling / a floor.")] = None,
    days: Annotated[str | None, typer.Option(help="Weekdays it is due: mon,wed,fri, weekdays, daily.")] = None,
    times: Annotated[int | None, typer.Option(help="Times per period (with --per).")] = None,
    per: Annotated[int | None, typer.Option(help="Period in days for --times.")] = None,
    remind: Annotated[str | None, typer.Option(help="Reminder times, e.g. 09:00,18:00; 'none' clears.")] = None,
    remind_days: Annotated[str | None, typer.Option(help="Days for reminders; '' means the days it is due.")] = None,
    category: Annotated[str | None, typer.Option("--category", "-c", help="Category; '' clears.")] = None,
    color: Annotated[str | None, typer.Option(help="Colour: a name or #rrggbb; '' clears.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Description; '' clears.")] = None,
    no_target: Annotated[bool, typer.Option("--no-target", help="Make it a yes/no habit again.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Change a habit's schedule, target, reminders or details.

    Examples:

      paa habit edit water --remind 09:00,13:00,17:00

      paa habit edit run --days mon,thu,sat
    """
    from paa.cli import runtime
    from paa.core.habits.form import parse_habit_form
    from paa.core.habits.manage import edit_habit, resolve_habit
    from paa.core.habits.overview import definition_text, habit_json

    options = {
        "unit": unit, "target": target, "at_most": at_most, "days": days, "times": times, "per": per,
        "remind": remind, "remind_days": remind_days, "category": category, "color": color, "description": description,
    }  # fmt: skip
    given: dict[str, Any] = {field: value for field, value in options.items() if value is not None}
    if no_target:
        given["unit"] = given["target"] = None
    fields = parse_habit_form(given)
    with runtime.current().context(write=True) as ctx:
        found = edit_habit(ctx, resolve_habit(ctx, habit), fields)
        data, words = habit_json(found), definition_text(found)
    if as_json:
        emit_json(data)
    else:
        from paa.cli.habit_views import escape

        say(f"Updated [bold]{escape(found.name)}[/] (#{found.id}): {escape(words)}.")


def rename(habit: HabitArg, new_name: Annotated[str, typer.Argument(help="The new name.")]) -> None:
    """Rename a habit."""
    from paa.cli import runtime
    from paa.core.habits.manage import HabitFields, edit_habit, resolve_habit

    with runtime.current().context(write=True) as ctx:
        found = resolve_habit(ctx, habit)
        old = found.name
        edit_habit(ctx, found, HabitFields(name=new_name))
    from paa.cli.habit_views import escape

    say(f"Renamed {escape(old)} to [bold]{escape(found.name)}[/].")


def _set_archived(habit: str, archived: bool) -> None:
    from paa.cli import runtime
    from paa.core.habits.manage import resolve_habit, set_archived

    with runtime.current().context(write=True) as ctx:
        found = set_archived(ctx, resolve_habit(ctx, habit), archived)
    from paa.cli.habit_views import escape

    word = "Archived" if archived else "Restored"
    say(
        f"{word} {escape(found.name)}." + (" Its history is kept; `paa habit list --all` shows it." if archived else "")
    )


def archive(habit: HabitArg) -> None:
    """Archive a habit: hidden from lists and reminders, history kept."""
    _set_archived(habit, True)


def unarchive(habit: HabitArg) -> None:
    """Bring an archived habit back."""
    _set_archived(habit, False)


def delete(
    habit: HabitArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a habit and all its logs (asks first; see also `archive`)."""
    from paa.cli import runtime
    from paa.core.habits.manage import delete_habit, resolve_habit

    with runtime.current().context() as ctx:
        found = resolve_habit(ctx, habit)
    # Ask outside the write transaction so other paa processes are not held up by the prompt.
    confirm(f"Delete {found.name} and all its logs?", assume_yes=yes)
    with runtime.current().context(write=True) as ctx:
        removed = delete_habit(ctx, resolve_habit(ctx, str(found.id)))
    from paa.cli.habit_views import escape

    say(f"Deleted {escape(found.name)} and {removed} log{'s' if removed != 1 else ''}.")
