"""`paa remind`: custom reminders, what is coming up, the history of notifications, and sending what is due."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Annotated

import typer

from paa.cli.output import console, emit_json, escape, say, say_lines

if TYPE_CHECKING:
    from paa.core.reminders.custom import RemindersOverview, ReminderView
    from paa.core.reminders.outbox import NotificationView
    from paa.core.reminders.upcoming import Agenda

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (schema in docs/reminders.md).")]


def create() -> typer.Typer:
    app = typer.Typer(help="Custom reminders, upcoming reminders, and sending what is due.", no_args_is_help=True)
    commands: list[tuple[str, Callable[..., None]]] = [
        ("add", add), ("list", list_), ("edit", edit), ("snooze", snooze), ("done", done), ("remove", remove),
        ("upcoming", upcoming), ("run-due", run_due),
    ]  # fmt: skip
    for name, function in commands:
        app.command(name)(function)
    return app


def _when(instant: datetime | None, zone: tzinfo) -> str:
    return "-" if instant is None else instant.astimezone(zone).strftime("%a %d %b %Y %H:%M")


def add(
    text: Annotated[str, typer.Argument(help="What to be reminded of.", show_default=False)],
    at: Annotated[
        str | None,
        typer.Option("--at", help='When, once: "tomorrow 9am", "today 18:00", "fri 9:30", "2027-03-14 18:00" (ISO).'),
    ] = None,
    in_: Annotated[
        str | None, typer.Option("--in", help="Once, this long from now: 20m, 2h, 1h30m, 1d.", show_default=False)
    ] = None,
    cron: Annotated[str | None, typer.Option("--cron", help='Repeat on a cron schedule, e.g. "0 17 * * FRI".')] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a reminder, once (--at or --in) or repeating (--cron), in your time zone.

    Examples:

      paa remind add "Call mom" --at "sunday 18:00"

      paa remind add "Take the laundry out" --in 1h30m

      paa remind add "Weekly review" --cron "0 17 * * FRI"
    """
    from paa.cli import runtime
    from paa.core.reminders.custom import add_reminder

    with runtime.current().context(write=True) as ctx:
        view = add_reminder(ctx, text, at=at, cron=cron, in_=in_)
        zone = ctx.prefs.zone
    if as_json:
        emit_json(view.to_json())
        return
    how = f"cron {view.cron}" if view.cron else "once"
    say(f"Added reminder [bold]#{view.id}[/] {escape(view.text)!r} ({escape(how)}); next: {_when(view.next, zone)}.")


def list_(
    history: Annotated[bool, typer.Option("--history", help="Also show the latest notifications sent.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="How many notifications --history shows.")] = 30,
    as_json: JsonOpt = False,
) -> None:
    """List custom reminders, habit reminders and the check-in prompt, with when each is next due."""
    from paa.cli import runtime
    from paa.core.reminders.custom import reminders_overview

    with runtime.current().context() as ctx:
        overview = reminders_overview(ctx, history=limit if history else None)
        zone = ctx.prefs.zone
    if as_json:
        emit_json(overview.to_json())
        return
    _render_overview(overview, zone)


def _render_overview(overview: RemindersOverview, zone: tzinfo) -> None:
    out = console()
    out.print(f"[bold]Check-in[/] at {overview.checkin_time}; next: {_when(overview.checkin_next, zone)}")
    out.print()
    if overview.habits:
        out.print("[bold]Habit reminders[/]")
        for habit in overview.habits:
            days = ", ".join(habit.days) if habit.days else "when due"
            out.print(
                f"  {escape(habit.name)} [dim]#{habit.habit_id}[/]  {', '.join(habit.times)} ({days}); "
                f"next: {_when(habit.next, zone)}"
            )
        out.print()
    if overview.reminders:
        out.print("[bold]Reminders[/]")
        for reminder in overview.reminders:
            _render_reminder(reminder, zone)
    else:
        out.print('No custom reminders. Add one with: paa remind add "Call mom" --at "sunday 18:00"')
    if overview.history is not None:
        out.print()
        _render_history(overview.history, zone)


def _render_reminder(reminder: ReminderView, zone: tzinfo) -> None:
    how = f"cron {escape(reminder.cron)}" if reminder.cron else f"at {_when(reminder.at, zone)}"
    state = f"next: {_when(reminder.next, zone)}" if reminder.next else f"done ({reminder.last_status or 'past'})"
    console().print(f"  [bold]#{reminder.id}[/] {escape(reminder.text)}  [dim]{how}[/]; {state}")


def _render_history(rows: list[NotificationView], zone: tzinfo) -> None:
    out = console()
    if not rows:
        out.print("No notifications yet.")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold", title="Latest notifications", title_justify="left")
    for column in ("Due", "What", "Channel", "Status", "Tries", "Note"):
        table.add_column(column)
    colours = {"sent": "green", "logged": "blue", "failed": "red", "missed": "yellow", "sending": "cyan"}
    for row in rows:
        status = f"[{colours.get(row.status, 'white')}]{row.status}[/]"
        note = row.error or ""
        if row.status == "failed" and row.next_attempt_at:
            note += f" (retry at {_when(row.next_attempt_at, zone)})"
        table.add_row(_when(row.due_at, zone), escape(row.title), row.channel, status, str(row.attempts), escape(note))
    out.print(table)


def remove(
    reminder: Annotated[str, typer.Argument(help="Id of the reminder (see `paa remind list`).", show_default=False)],
) -> None:
    """Remove a custom reminder (its notification history stays)."""
    from paa.cli import runtime
    from paa.core.reminders.custom import remove_reminder

    with runtime.current().context(write=True) as ctx:
        view = remove_reminder(ctx, reminder)
    say(f"Removed reminder #{view.id} {escape(view.text)!r}.")


RefArg = Annotated[
    str,
    typer.Argument(help="Id of the reminder (see `paa remind list`), or habit:ID for a habit's.", show_default=False),
]


def edit(
    reminder: Annotated[str, typer.Argument(help="Id of the reminder (see `paa remind list`).", show_default=False)],
    text: Annotated[str | None, typer.Option("--text", help="New text.", show_default=False)] = None,
    at: Annotated[str | None, typer.Option("--at", help="Fire once at this time instead.", show_default=False)] = None,
    in_: Annotated[str | None, typer.Option("--in", help="Fire once this long from now.", show_default=False)] = None,
    cron: Annotated[str | None, typer.Option("--cron", help="Repeat on this cron schedule.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a reminder's text or when it fires.

    Examples:

      paa remind edit 3 --text "Call mom and dad"

      paa remind edit 3 --at "sunday 19:00"
    """
    from paa.cli import runtime
    from paa.core.reminders.custom import edit_reminder

    with runtime.current().context(write=True) as ctx:
        view = edit_reminder(ctx, reminder, text=text, at=at, cron=cron, in_=in_)
        zone = ctx.prefs.zone
    if as_json:
        emit_json(view.to_json())
        return
    how = f"cron {view.cron}" if view.cron else "once"
    say(f"Changed reminder [bold]#{view.id}[/] {escape(view.text)!r} ({escape(how)}); next: {_when(view.next, zone)}.")


def snooze(
    reminder: RefArg,
    for_: Annotated[str, typer.Option("--for", help="How long: 15m, 1h, 1h30m.")] = "15m",
    as_json: JsonOpt = False,
) -> None:
    """Snooze a reminder: its last notification comes again later, or its next firing comes later.

    Examples:

      paa remind snooze 3

      paa remind snooze habit:2 --for 1h
    """
    from paa.cli import runtime
    from paa.core.reminders.custom import snooze_reminder

    with runtime.current().context(write=True) as ctx:
        action = snooze_reminder(ctx, reminder, for_)
        zone = ctx.prefs.zone
    if as_json:
        emit_json(action.to_json())
        return
    say(f"Snoozed {escape(action.title)!r} until {_when(action.until, zone)}.")


def done(reminder: RefArg, as_json: JsonOpt = False) -> None:
    """Mark a reminder done: a habit's logs the habit for today; a repeating one rests until tomorrow.

    Examples:

      paa remind done 3

      paa remind done habit:2
    """
    from paa.cli import runtime
    from paa.core.reminders.custom import done_reminder

    with runtime.current().context(write=True) as ctx:
        action = done_reminder(ctx, reminder)
        zone = ctx.prefs.zone
    if as_json:
        emit_json(action.to_json())
        return
    said = {
        "logged": f"Logged {escape(action.title)!r} for today.",
        "removed": f"Done: removed the one-off reminder {escape(action.title)!r}.",
        "done": f"Done for today: {escape(action.title)!r}; next: {_when(action.until, zone)}.",
    }
    say(said[action.action])


def upcoming(
    days: Annotated[
        int,
        typer.Option(
            min=1,
            max=366,
            help="Whole days in your time zone, today included: 3 is the rest of today and the next two.",
        ),
    ] = 1,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="Start instant (ISO; local time unless it has an offset). Default: now."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the reminders due today and on the days after, computed from your habits, reminders and settings.

    Examples:

      paa remind upcoming --days 3

      paa remind upcoming --from 2027-03-13T00:00 --days 2 --json
    """
    from paa.cli import runtime
    from paa.core.reminders.rules import parse_instant
    from paa.core.reminders.upcoming import agenda

    with runtime.current().context() as ctx:
        start = parse_instant(from_, ctx.prefs.zone, field="from") if from_ else ctx.now()
        found = agenda(ctx, start, days)
    if as_json:
        emit_json([item.to_json() for item in found.items])
        return
    _render_upcoming(found)


def _render_upcoming(found: Agenda) -> None:
    # Without colour (a pipe, a script, NO_COLOR) the lines are written directly, without loading rich (~20 ms of a
    # command that answers in ~0.5 s cold).
    if not found.items:
        say(f"Nothing due until the end of {found.last_day:%A %d %B %Y}.")
        return
    lines: list[str] = []
    labels = {"habit": "habit", "checkin": "check-in", "custom": "reminder"}
    current = None
    for item in found.items:
        heading = item.local.strftime("%A %d %B %Y")
        if heading != current:
            lines += [""] if current is not None else []
            lines.append(f"[bold]{heading}[/]")
            current = heading
        kind = labels[item.occurrence.kind]
        lines.append(f"  {item.local:%H:%M}  {escape(item.title)} [dim]({kind})[/]")
    say_lines(lines)


def run_due(as_json: JsonOpt = False) -> None:
    """Send the reminders due now, once; safe to run every minute from cron, also beside the daemon."""
    # The daemon is its own interface: this hands over to its entry point rather than importing it.
    command = [sys.executable, "-m", "paa.daemon", "run-due", *(["--json"] if as_json else [])]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode:
        raise typer.Exit(done.returncode)
